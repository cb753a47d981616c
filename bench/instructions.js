'use strict'

// Instructions per request, counted by valgrind's callgrind: the same servers as bench/run.js
// (bench/server.js, Express 4, the MemoryStore), each run under callgrind with
// `--single-threaded` (so that V8's compiler and collector work on the thread that is counted),
// warmed up with requests it is not counting, then counted over a fixed number of requests sent
// by this process. Unlike CPU time, an instruction count does not move with what else the machine
// is doing, so it ranks two cores whose CPU times differ by less than their noise. It does move
// between runs of one server by how V8 happens to compile and collect, so each server is run
// several times and the median and range are printed.
//
//   npm run bench:instructions
//   BENCH_NODE=$(bash scripts/node-lines.sh --path 24) npm run bench:instructions
//   INSTRUCTION_RUNS=5 INSTRUCTION_REQUESTS=3000 INSTRUCTION_WARMUP=6000 npm run bench:instructions
//
// Needs valgrind (callgrind and callgrind_control); about 25 s per run, two runs at a time.

const { execFileSync, spawn } = require('child_process')
const fs = require('fs')
const http = require('http')
const { get } = require('./get')
const os = require('os')
const path = require('path')

const serverNode = process.env.BENCH_NODE || process.execPath
const runs = Number(process.env.INSTRUCTION_RUNS) || 3
const counted = Number(process.env.INSTRUCTION_REQUESTS) || 3000
const warmup = Number(process.env.INSTRUCTION_WARMUP) || 6000
const routes = ['/new', '/read', '/write']
const servers = [
  { label: 'bare', impl: 'bare', fallback: false },
  { label: 'express-session', impl: 'upstream', fallback: false },
  { label: 'express-session-rs', impl: 'ours', fallback: false },
  { label: 'express-session-rs, JS fallback', impl: 'ours', fallback: true }
]
// requests in flight at once, as a few keep-alive clients would send them
const CONNECTIONS = 4

function requireValgrind () {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
    execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' })
  } catch {
    console.error('bench:instructions needs valgrind (callgrind and callgrind_control), e.g. apt-get install valgrind')
    process.exit(1)
  }
}

async function send (port, agent, route, cookie, count) {
  let sent = 0
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (sent < count) {
      sent++
      await get(port, route, route === '/new' ? undefined : cookie, agent)
    }
  }))
}

function control (pid, ...args) {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' })
}

// Instructions per request of one server on one route, in one run.
async function measure (server, route) {
  const out = path.join(os.tmpdir(), `esrs-callgrind-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const env = { ...process.env }
  delete env.EXPRESS_SESSION_RS_FALLBACK
  if (server.fallback) env.EXPRESS_SESSION_RS_FALLBACK = '1'
  const config = { impl: server.impl, framework: 'express4', store: 'memory', merge: false, fill: 0, durability: 'process' }
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}.%p`,
    serverNode, '--single-threaded', path.join(__dirname, 'server.js'), JSON.stringify(config)], {
    env, stdio: ['ignore', 'ignore', 'pipe', 'ipc']
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const port = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.port))
    child.once('exit', (code) => reject(new Error(`server under callgrind exited with ${code}: ${stderr.slice(-2000)}`)))
  })
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  try {
    const setup = await get(port, '/setup', undefined, agent)
    const cookie = setup.headers['set-cookie'] ? setup.headers['set-cookie'][0].split(';')[0] : undefined
    await send(port, agent, route, cookie, warmup)
    control(child.pid, '-i', 'on')
    await send(port, agent, route, cookie, counted)
    control(child.pid, '-i', 'off')
    control(child.pid, '-d')
  } finally {
    agent.destroy()
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  }
  let total = 0
  for (const file of fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(path.basename(out)))) {
    const text = fs.readFileSync(path.join(os.tmpdir(), file), 'utf8')
    for (const match of text.matchAll(/^(?:summary|totals): (\d+)/gm)) total += Number(match[1])
    fs.rmSync(path.join(os.tmpdir(), file))
  }
  return total / counted
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const thousands = (value) => (value / 1000).toFixed(1)

async function main () {
  requireValgrind()
  const version = execFileSync(serverNode, ['--version'], { encoding: 'utf8' }).trim()
  const jobs = []
  for (const route of routes) {
    for (const server of servers) {
      for (let run = 0; run < runs; run++) jobs.push({ route, server })
    }
  }
  // two runs at a time: a count does not depend on what runs beside it
  const results = new Map()
  let next = 0
  await Promise.all([0, 1].map(async () => {
    while (next < jobs.length) {
      const job = jobs[next++]
      const value = await measure(job.server, job.route)
      const key = `${job.route} ${job.server.label}`
      if (!results.has(key)) results.set(key, [])
      results.get(key).push(value)
      process.stderr.write(`${key}: ${Math.round(value)} instructions per request\n`)
    }
  }))

  const date = new Date().toISOString().slice(0, 10)
  console.log(`instructions per request (callgrind, --single-threaded), Express 4, MemoryStore; ${date}, node ${version}, ` +
    `${runs} runs per server, each counting ${counted} requests over ${CONNECTIONS} connections after ${warmup} uncounted`)
  console.log()
  console.log('| route | server | thousand instructions per request, median (range) | overhead, median (range) |')
  console.log('| --- | --- | ---: | ---: |')
  for (const route of routes) {
    const bare = results.get(`${route} bare`)
    const bareMedian = median(bare)
    for (const server of servers) {
      const values = results.get(`${route} ${server.label}`)
      const cell = `${thousands(median(values))} (${thousands(Math.min(...values))}–${thousands(Math.max(...values))})`
      const overheads = values.map((value) => value - bareMedian)
      const overhead = server.impl === 'bare'
        ? ''
        : `${thousands(median(overheads))} (${thousands(Math.min(...overheads))}–${thousands(Math.max(...overheads))})`
      console.log(`| ${route} | ${server.label} | ${cell} | ${overhead} |`)
    }
  }
  console.log('overhead: a run\'s count minus bare Express\'s median count')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
