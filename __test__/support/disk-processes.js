'use strict'

// Real processes on one DiskStore directory, for the DiskStore specs: servers
// (fixtures/disk-store-app.js, alone or as cluster workers) and writers
// (fixtures/disk-store-writer.js), plus temporary directories and the skip on the fallback core.

const fs = require('fs')
const os = require('os')
const path = require('path')
const readline = require('readline')
const { spawn } = require('child_process')
const session = require('../..')

const fixtures = path.join(__dirname, '..', 'fixtures')
const children = new Set()
const dirs = []

// The DiskStore needs the native addon: on the JavaScript fallback core its specs are skipped.
function requireDiskStore (context) {
  if (session.native) return
  console.log('      (skipped: the DiskStore needs the native addon, and this run is on the JavaScript fallback core)')
  context.skip()
}

// A new directory, removed after the run (the stores this process opened on it stay open until it
// exits, which the OS allows).
function tempDir (label) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `esrs-disk-${label}-`))
  dirs.push(dir)
  return dir
}

// Starts `script` from the fixtures with `env`, resolving once it prints a line matching `ready`.
// Every line it prints is kept in `lines`.
function start (script, env, ready) {
  const child = spawn(process.execPath, [path.join(fixtures, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.add(child)
  const lines = []
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child)
    resolve({ code, signal, stderr })
  }))
  const readied = new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      const match = ready && ready.exec(line)
      if (match) resolve(match)
    })
    exited.then(({ code, signal }) => reject(new Error(`${script} exited (${code || signal}) before it was ready: ${stderr}`)))
  })
  return { child, lines, exited, readied }
}

// A server on the DiskStore at `dir`; resolves with { url, child, stop }.
async function startServer (dir, { disk = {}, session: sessionOptions = {}, workers = 0 } = {}) {
  const started = start('disk-store-app.js', {
    DISK_PATH: dir,
    DISK_OPTIONS: JSON.stringify(disk),
    SESSION_OPTIONS: JSON.stringify(sessionOptions),
    WORKERS: String(workers)
  }, /^listening (\d+)$/)
  const [, port] = await started.readied
  return {
    url: `http://127.0.0.1:${port}`,
    child: started.child,
    exited: started.exited,
    async stop () {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGTERM')
      await started.exited
    }
  }
}

// A writer saving `count` sessions (or until killed) into the DiskStore at `dir`.
function startWriter (dir, { disk = {}, count, prefix } = {}) {
  return start('disk-store-writer.js', {
    DISK_PATH: dir,
    DISK_OPTIONS: JSON.stringify(disk),
    COUNT: count === undefined ? '' : String(count),
    PREFIX: prefix || ''
  }, null)
}

// Saves `count` sessions into `dir` from a process of its own, resolving once it is done.
async function writeSessions (dir, count, disk = {}) {
  const writer = startWriter(dir, { count, disk })
  const { code, stderr } = await writer.exited
  if (code !== 0) throw new Error('the writer failed: ' + stderr + writer.lines.join('\n'))
  return writer.lines.filter((line) => line.startsWith('saved ')).map((line) => line.slice(6))
}

// No child outlives the specs, and no directory either (a root hook: this module is loaded by specs).
after(() => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

module.exports = { fixtures, requireDiskStore, startServer, startWriter, tempDir, writeSessions }
