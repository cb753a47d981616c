'use strict'

// Instructions per request, counted by valgrind's callgrind: the same servers as bench/run.js
// (bench/server.js, Express 4, the MemoryStore; and this package over a DiskStore with its default
// durability), each run under callgrind with
// `--single-threaded` (so that V8's compiler and collector work on the thread that is counted),
// warmed up with requests it is not counting, then counted over a fixed number of requests sent
// by this process. Unlike CPU time, an instruction count does not move with what else the machine
// is doing, so it ranks two cores whose CPU times differ by less than their noise. It does move
// between runs of one server by how V8 happens to compile and collect, so each server is run
// several times and the median and range are printed.
//
// With INSTRUCTION_CACHE=1 callgrind also simulates the CPU's caches (as it finds them on this
// machine), and each row adds the first-level cache misses per request and an estimate of cycles
// (instructions + 10 per first-level miss + 100 per last-level miss, the weights of KCachegrind's
// estimate): a call into the addon that finds its code and data gone from the caches shows there,
// where an instruction count does not see it.
//
//   npm run bench:instructions
//   BENCH_NODE=$(bash scripts/node-lines.sh --path 24) npm run bench:instructions
//   INSTRUCTION_RUNS=5 INSTRUCTION_REQUESTS=3000 INSTRUCTION_WARMUP=6000 npm run bench:instructions
//   INSTRUCTION_CACHE=1 INSTRUCTION_CONNECTIONS=16 npm run bench:instructions
//   INSTRUCTION_SERVERS=bare,upstream,ours,disk npm run bench:instructions   # some of the servers
//
// Needs valgrind (callgrind and callgrind_control); about 25 s per run (about 45 s with the cache
// simulation), two runs at a time.

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
const allServers = {
  bare: { label: 'bare', impl: 'bare', store: 'memory', fallback: false },
  upstream: { label: 'express-session', impl: 'upstream', store: 'memory', fallback: false },
  ours: { label: 'express-session-rs', impl: 'ours', store: 'memory', fallback: false },
  fallback: { label: 'express-session-rs, JS fallback', impl: 'ours', store: 'memory', fallback: true },
  disk: { label: 'express-session-rs, DiskStore', impl: 'ours', store: 'disk', fallback: false }
}
// bare Express is always measured: every overhead is counted from it
const servers = ['bare', ...(process.env.INSTRUCTION_SERVERS || 'upstream,ours,fallback,disk').split(',')
  .filter((key) => key !== 'bare')].map((key) => {
  if (!(key in allServers)) throw new Error(`INSTRUCTION_SERVERS: unknown server ${key} (${Object.keys(allServers).join(', ')})`)
  return allServers[key]
})
// requests in flight at once, as a few keep-alive clients would send them (a saturated server
// reads more of them per turn of its event loop with more connections)
const CONNECTIONS = Number(process.env.INSTRUCTION_CONNECTIONS) || 4
const simulateCaches = process.env.INSTRUCTION_CACHE === '1'

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

// Per request of one server on one route, in one run: { instructions, l1Misses, cycles } (the
// last two with the cache simulation only).
async function measure (server, route) {
  const out = path.join(os.tmpdir(), `esrs-callgrind-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const env = { ...process.env }
  delete env.EXPRESS_SESSION_RS_FALLBACK
  if (server.fallback) env.EXPRESS_SESSION_RS_FALLBACK = '1'
  const config = { impl: server.impl, framework: 'express4', store: server.store, merge: false, fill: 0, durability: 'process' }
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', ...(simulateCaches ? ['--cache-sim=yes'] : []), `--callgrind-out-file=${out}.%p`,
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
  const total = { Ir: 0, I1mr: 0, D1mr: 0, D1mw: 0, ILmr: 0, DLmr: 0, DLmw: 0 }
  for (const file of fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(path.basename(out)))) {
    const text = fs.readFileSync(path.join(os.tmpdir(), file), 'utf8')
    const events = text.match(/^events: (.*)$/m)[1].trim().split(' ')
    for (const match of text.matchAll(/^(?:summary|totals): (.*)$/gm)) {
      const values = match[1].trim().split(' ').map(Number)
      events.forEach((event, i) => { if (event in total) total[event] += values[i] || 0 })
    }
    fs.rmSync(path.join(os.tmpdir(), file))
  }
  const l1Misses = total.I1mr + total.D1mr + total.D1mw
  const lastLevelMisses = total.ILmr + total.DLmr + total.DLmw
  return {
    instructions: total.Ir / counted,
    l1Misses: l1Misses / counted,
    cycles: (total.Ir + 10 * l1Misses + 100 * lastLevelMisses) / counted
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const thousands = (value) => (value / 1000).toFixed(1)
const whole = (value) => value.toFixed(0)

// "median (min–max)" of `values` written with `write`
function withRange (values, write) {
  return `${write(median(values))} (${write(Math.min(...values))}–${write(Math.max(...values))})`
}

// The columns printed: what of a run they show, and how.
const columns = [
  { title: 'thousand instructions per request', of: (run) => run.instructions, write: thousands },
  ...(simulateCaches
    ? [
        { title: 'first-level cache misses per request', of: (run) => run.l1Misses, write: whole },
        { title: 'thousand estimated cycles per request', of: (run) => run.cycles, write: thousands }
      ]
    : [])
]

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
      const run = await measure(job.server, job.route)
      const key = `${job.route} ${job.server.label}`
      if (!results.has(key)) results.set(key, [])
      results.get(key).push(run)
      process.stderr.write(`${key}: ${Math.round(run.instructions)} instructions` +
        (simulateCaches ? `, ${Math.round(run.l1Misses)} first-level misses, ${Math.round(run.cycles)} estimated cycles` : '') + ' per request\n')
    }
  }))

  const date = new Date().toISOString().slice(0, 10)
  console.log(`${simulateCaches ? 'instructions and simulated cache misses' : 'instructions'} per request (callgrind, --single-threaded), ` +
    `Express 4, MemoryStore (the DiskStore row: a DiskStore, durability 'process'); ${date}, node ${version}, ${runs} runs per server, each counting ${counted} requests over ` +
    `${CONNECTIONS} connections after ${warmup} uncounted`)
  console.log()
  console.log(`| route | server | ${columns.map((column) => `${column.title}, median (range) | overhead`).join(' | ')} |`)
  console.log(`| --- | --- | ${columns.map(() => '---: | ---:').join(' | ')} |`)
  for (const route of routes) {
    const bare = results.get(`${route} bare`)
    for (const server of servers) {
      const list = results.get(`${route} ${server.label}`)
      const cells = columns.map((column) => {
        const values = list.map(column.of)
        const bareMedian = median(bare.map(column.of))
        const overhead = server.impl === 'bare' ? '' : withRange(values.map((value) => value - bareMedian), column.write)
        return `${withRange(values, column.write)} | ${overhead}`
      })
      console.log(`| ${route} | ${server.label} | ${cells.join(' | ')} |`)
    }
  }
  console.log('overhead: a run\'s figure minus bare Express\'s median' +
    (simulateCaches ? '; estimated cycles: instructions + 10 × first-level misses + 100 × last-level misses' : ''))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
