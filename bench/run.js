'use strict'

// Session overhead, side by side. The same app, bare and with each session package, each server in
// a process of its own, is driven by autocannon; the server's CPU time per request is read from
// process.cpuUsage() around the measured run, at a fixed request rate. Every configuration is measured once per round, rounds
// are interleaved, and each figure is the median over rounds with its spread (max - min).
//
//   npm run bench                          # 3 rounds of 4 s per configuration (about 15 minutes)
//   BENCH_ROUNDS=5 BENCH_SECONDS=8 BENCH_WARMUP=3 BENCH_CONNECTIONS=16 BENCH_RATE=2500 npm run bench
//   BENCH_ONLY=express4/memory npm run bench   # a subset: framework/store prefixes, comma-separated
//   BENCH_NODE=/path/to/node npm run bench     # servers on another Node (scripts/node-lines.sh --path 24)
//
// Rows: Express 4 with the embedded MemoryStore, an asynchronous JS store, and connect-redis on a
// redis-server this script starts on a free loopback port (skipped, saying so, where redis-server is
// not installed); this package on its JavaScript fallback core; this package with `merge: true`;
// this package's DiskStore, with its default durability and with 'fsync' (its ratio is to
// express-session's MemoryStore, and a line after the table compares it with this package's
// MemoryStore); and Express 5 with the MemoryStore. Options: resave false, saveUninitialized true.
// Each route is measured under two loads (BENCH_LOAD=rate or closed for one of them): a fixed rate
// below saturation, and a closed loop where every connection sends its next request as soon as the
// last one is answered. At a fixed rate, work deferred to a later turn of the event loop is batched
// with other requests' and can even show as an overhead below zero; the closed loop keeps the
// server saturated, so its CPU per request is the cost of the work itself.
// With BENCH_FILL=N (default 1,000,000; 0 leaves them out) the MemoryStore rows of this package
// and of express-session are measured again with N other live sessions in the store, set through
// its callback API before the load starts.
// "Overhead" is CPU per request minus bare Express's (same framework, same round); "ratio" divides
// this package's overhead by express-session's. Raw samples go to bench/results/.

const autocannon = require('autocannon')
const { execFileSync, spawn } = require('child_process')
const { labels, measuredRun, sessionCookie, start } = require('./servers')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')

const rounds = Number(process.env.BENCH_ROUNDS) || 3
const seconds = Number(process.env.BENCH_SECONDS) || 4
// Full-speed load before each measurement. V8 keeps optimizing a server's hot functions for a few
// seconds of load (on Node 24 a one-second warm-up left that compiling, on V8's worker threads, in
// the measured window, where it counted as CPU per request), so the warm-up lasts longer.
const warmupSeconds = Number(process.env.BENCH_WARMUP) || 3
const connections = Number(process.env.BENCH_CONNECTIONS) || 16
// Every server is driven at the same request rate, below what the slowest one can serve, so that the
// load generator and redis-server compete for the two cores equally in every measurement: at full
// speed a faster server would share the machine with a busier client and count that against itself.
const rate = Number(process.env.BENCH_RATE) || 2500
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',') : null
const serverNode = process.env.BENCH_NODE || process.execPath
const routes = ['/new', '/read', '/write']
const loads = process.env.BENCH_LOAD ? process.env.BENCH_LOAD.split(',') : ['rate', 'closed']
const fill = process.env.BENCH_FILL === undefined ? 1000000 : Number(process.env.BENCH_FILL)

const loadLabels = { rate: `${rate}/s`, closed: 'closed loop' }

// The variants measured beside bare Express, per store where they differ from the usual three.
const variantsOf = { disk: ['ours', 'fsync'] }
// The store whose express-session rows a store's ratio is taken against (its own by default):
// express-session has no DiskStore, and the DiskStore's target is set against its MemoryStore.
const ratioStoreOf = { disk: 'memory' }

// Every configuration measured in a round: [framework, store, variant].
function configurations (haveRedis) {
  const list = []
  for (const [framework, stores, extras] of [
    ['express4', ['memory', 'async', 'redis', 'disk'], { memory: ['fallback', 'merge', ...(fill > 0 ? ['upstream-filled', 'ours-filled'] : [])], redis: ['merge'] }],
    ['express5', ['memory'], {}]
  ]) {
    for (const store of stores) {
      if (store === 'redis' && !haveRedis) continue
      for (const variant of variantsOf[store] || ['bare', 'upstream', 'ours', ...(extras[store] || [])]) {
        // bare Express has no store: measured once per framework, under 'memory'
        if (variant === 'bare' && store !== 'memory') continue
        if (only && !only.some((prefix) => `${framework}/${store}/${variant}`.startsWith(prefix))) continue
        list.push({ framework, store, variant })
      }
    }
  }
  return list
}

async function measure (config, route, load) {
  const { child, port } = await start(config, { node: serverNode, fill })
  try {
    const cookie = await sessionCookie(port)
    await autocannon({ url: `http://127.0.0.1:${port}${route}`, connections, duration: warmupSeconds, headers: route !== '/new' && cookie ? { cookie } : {} })
    const { result, cpu } = await measuredRun({ child, port }, route, cookie,
      { connections, duration: seconds, ...(load === 'rate' ? { overallRate: rate } : {}) })
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpu }
  } finally {
    child.removeAllListeners('exit')
    child.kill()
  }
}

// redis-server on a free loopback port, without persistence; null where it is not installed.
async function startRedis () {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
  } catch {
    console.error('bench: redis-server is not installed; the connect-redis rows are skipped (apt-get install redis-server)')
    return null
  }
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => resolve(p)) })
  })
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => net.connect(port, '127.0.0.1').on('connect', function () { this.end(); resolve(true) }).on('error', () => resolve(false)))
    if (up) return { child, url: `redis://127.0.0.1:${port}` }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill()
  throw new Error('redis-server did not start')
}

const median = (values) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const spread = (values) => Math.max(...values) - Math.min(...values)
const fixed = (n, digits = 1) => n.toFixed(digits)

// For each DiskStore row: its overhead over this package's MemoryStore's, under the same load.
function againstMemoryStore (summary, samples) {
  const lines = []
  for (const row of summary) {
    if (row.store !== 'disk' || row.overhead === undefined) continue
    const disk = samples[`${row.load} ${row.framework} disk ${row.variant} ${row.route}`]
    const memory = samples[`${row.load} ${row.framework} memory ours ${row.route}`]
    const bare = samples[`${row.load} ${row.framework} memory bare ${row.route}`]
    if (!memory || !bare) continue
    const ratios = disk.map((s, i) => (s.cpu - bare[i].cpu) / (memory[i].cpu - bare[i].cpu))
    const ratio = row.overhead / median(memory.map((s, i) => s.cpu - bare[i].cpu))
    lines.push(`${loadLabels[row.load]}, ${row.framework} ${row.route} ${labels[row.variant]} on the DiskStore: ${fixed(ratio, 2)}× the overhead on its MemoryStore ` +
      `(per round ${fixed(Math.min(...ratios), 2)}–${fixed(Math.max(...ratios), 2)})`)
  }
  return lines
}

async function main () {
  const redis = await startRedis()
  if (redis) process.env.BENCH_REDIS_URL = redis.url
  const configs = configurations(redis !== null)
  const samples = {} // `${framework} ${store} ${variant} ${route}` -> [{ rps, p50, p99, cpu }] by round

  try {
    for (let round = 0; round < rounds; round++) {
      for (const load of loads) {
        for (const route of routes) {
          for (const config of configs) {
            const key = `${load} ${config.framework} ${config.store} ${config.variant} ${route}`
            const sample = await measure(config, route, load)
            ;(samples[key] = samples[key] || []).push(sample)
            process.stderr.write(`round ${round + 1}/${rounds} ${key}: ${fixed(sample.rps, 0)} req/s, ${fixed(sample.cpu)} µs CPU/req\n`)
          }
        }
      }
    }
  } finally {
    if (redis) redis.child.kill()
  }

  const serverVersion = execFileSync(serverNode, ['--version'], { encoding: 'utf8' }).trim()
  const cpus = os.cpus()
  const lines = [
    `${new Date().toISOString().slice(0, 10)}, node ${serverVersion}, ${cpus[0].model.trim()} × ${cpus.length}, ` +
      `${rounds} rounds × ${seconds} s over ${connections} connections, after ${warmupSeconds} s of warm-up; median (spread) over rounds`,
    '',
    '| load | framework | store | route | server | req/s served | p99 ms | CPU µs/req | overhead µs | ratio |',
    '| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |'
  ]
  const summary = []
  for (const load of loads) {
    for (const config of configs) {
      for (const route of routes) {
        const list = samples[`${load} ${config.framework} ${config.store} ${config.variant} ${route}`]
        const bare = samples[`${load} ${config.framework} memory bare ${route}`]
        // a filled store's rows are compared with express-session's store filled alike
        const upstreamVariant = config.variant.endsWith('-filled') ? 'upstream-filled' : 'upstream'
        const upstream = samples[`${load} ${config.framework} ${ratioStoreOf[config.store] || config.store} ${upstreamVariant} ${route}`]
        const cpu = list.map((s) => s.cpu)
        const row = { load, ...config, route, rps: median(list.map((s) => s.rps)), p99: median(list.map((s) => s.p99)), cpu: median(cpu), cpuSpread: spread(cpu) }
        let overheadText = ''
        let ratioText = ''
        if (config.variant !== 'bare' && bare) {
          // per round: this server's CPU minus bare Express's measured in the same round
          const overheads = list.map((s, i) => s.cpu - bare[i].cpu)
          row.overhead = median(overheads)
          row.overheadSpread = spread(overheads)
          overheadText = `${fixed(row.overhead)} (${fixed(row.overheadSpread)})`
          if (!config.variant.startsWith('upstream') && upstream) {
            const upstreamOverhead = median(upstream.map((s, i) => s.cpu - bare[i].cpu))
            const ratios = list.map((s, i) => (s.cpu - bare[i].cpu) / (upstream[i].cpu - bare[i].cpu))
            row.ratio = row.overhead / upstreamOverhead
            row.ratioRange = [Math.min(...ratios), Math.max(...ratios)]
            ratioText = `${fixed(row.ratio, 2)} (${fixed(row.ratioRange[0], 2)}–${fixed(row.ratioRange[1], 2)})`
          }
        }
        summary.push(row)
        lines.push(`| ${loadLabels[load]} | ${config.framework} | ${config.store} | ${route} | ${labels[config.variant]}${config.variant.endsWith('-filled') ? `, ${fill.toLocaleString('en')} other sessions` : ''} | ${fixed(row.rps, 0)} | ${row.p99} | ${fixed(row.cpu)} (${fixed(row.cpuSpread)}) | ${overheadText} | ${ratioText} |`)
      }
    }
  }

  console.log(lines.join('\n'))
  console.log('\nratio: median overhead over express-session\'s median overhead (in brackets: the range of the per-round ratios); ' +
    'for the disk rows, over express-session\'s with its MemoryStore')
  for (const line of againstMemoryStore(summary, samples)) console.log(line)
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  const file = path.join(__dirname, 'results', `run-${Date.now()}.json`)
  fs.writeFileSync(file, JSON.stringify({ node: serverVersion, cpu: cpus[0].model, rounds, seconds, warmupSeconds, rate, connections, fill, summary, samples }, null, 2))
  console.log(`raw samples: ${path.relative(process.cwd(), file)}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
