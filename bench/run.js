'use strict'

// Session overhead, side by side: the same Express app bare, with express-session, with this
// package and with this package on its JavaScript fallback core (EXPRESS_SESSION_RS_FALLBACK=1),
// each in its own process, driven by autocannon. Runs are interleaved and repeated.
//
//   npm run bench                      # defaults: 3 rounds of 4 s per server and route
//   BENCH_ROUNDS=5 BENCH_SECONDS=8 BENCH_CONNECTIONS=16 npm run bench
//
// For each route it prints requests/s, p50/p99 latency and the server's CPU time per request
// (process.cpuUsage() around the measured run), then the session overhead over bare Express and
// the ratio of this package's overhead to express-session's. Results also go to bench/results/.

const autocannon = require('autocannon')
const { fork } = require('child_process')
const fs = require('fs')
const http = require('http')
const path = require('path')

const rounds = Number(process.env.BENCH_ROUNDS) || 3
const seconds = Number(process.env.BENCH_SECONDS) || 4
const connections = Number(process.env.BENCH_CONNECTIONS) || 16
const impls = ['bare', 'upstream', 'ours', 'fallback']
const labels = { bare: 'bare Express', upstream: 'express-session', ours: 'express-session-rs', fallback: 'express-session-rs (JS fallback)' }
const routes = [['/new', 'memory'], ['/read', 'memory'], ['/write', 'memory'], ['/new', 'async'], ['/read', 'async'], ['/write', 'async']]

// The fallback row is this package's server with the fallback core forced; every other server
// runs without the variable, whatever the environment of this script.
function start (impl, storeKind) {
  const env = { ...process.env }
  delete env.EXPRESS_SESSION_RS_FALLBACK
  if (impl === 'fallback') env.EXPRESS_SESSION_RS_FALLBACK = '1'
  const child = fork(path.join(__dirname, 'server.js'), [impl === 'fallback' ? 'ours' : impl, storeKind], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve) => child.once('message', ({ port }) => resolve({ child, port })))
}

function cpuOf (child) {
  return new Promise((resolve) => {
    child.once('message', ({ cpu }) => resolve(cpu.user + cpu.system))
    child.send('cpu')
  })
}

function sessionCookie (port) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/setup' }, (res) => {
      res.resume()
      const setCookie = res.headers['set-cookie']
      resolve(setCookie ? setCookie[0].split(';')[0] : undefined)
    }).on('error', reject)
  })
}

async function measure (impl, route, storeKind) {
  const { child, port } = await start(impl, storeKind)
  const cookie = await sessionCookie(port)
  const options = { url: `http://127.0.0.1:${port}${route}`, connections, headers: route !== '/new' && cookie ? { cookie } : {} }
  await autocannon({ ...options, duration: 1 }) // warm up the JIT
  const before = await cpuOf(child)
  const result = await autocannon({ ...options, duration: seconds })
  const after = await cpuOf(child)
  child.kill()
  if (result.non2xx || result.errors) throw new Error(`${impl} ${route}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerRequest: (after - before) / result.requests.total
  }
}

const median = (values) => { const s = [...values].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }
const spread = (values) => Math.max(...values) - Math.min(...values)

async function main () {
  const samples = {}
  for (let round = 1; round <= rounds; round++) {
    for (const [route, storeKind] of routes) {
      for (const impl of impls) {
        if (impl === 'bare' && storeKind === 'async') continue
        const key = `${route} ${storeKind}`
        const sample = await measure(impl, route, storeKind)
        ;((samples[key] = samples[key] || {})[impl] = samples[key][impl] || []).push(sample)
        process.stderr.write(`round ${round} ${key} ${labels[impl]}: ${sample.rps.toFixed(0)} req/s, ${sample.cpuPerRequest.toFixed(1)} µs CPU/req\n`)
      }
    }
  }

  const lines = [
    `${rounds} rounds × ${seconds} s, ${connections} connections, node ${process.version}, ${require('os').cpus().length} cores`,
    '',
    '| route | store | server | req/s | p50 ms | p99 ms | CPU µs/req (median ± spread) | overhead µs | this / upstream |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |'
  ]
  const summary = {}
  for (const [key, byImpl] of Object.entries(samples)) {
    const [route, storeKind] = key.split(' ')
    const cpu = (impl) => median(byImpl[impl].map((s) => s.cpuPerRequest))
    const bare = median(samples[`${route} memory`].bare.map((s) => s.cpuPerRequest))
    const overhead = { upstream: cpu('upstream') - bare, ours: cpu('ours') - bare, fallback: cpu('fallback') - bare }
    summary[key] = { bare, ...overhead, ratio: overhead.ours / overhead.upstream, fallbackRatio: overhead.fallback / overhead.upstream }
    for (const impl of impls) {
      if (!byImpl[impl]) continue
      const list = byImpl[impl]
      const ratio = impl === 'ours' || impl === 'fallback' ? (overhead[impl] / overhead.upstream).toFixed(2) : ''
      lines.push(`| ${route} | ${storeKind} | ${labels[impl]} | ${median(list.map((s) => s.rps)).toFixed(0)} | ${median(list.map((s) => s.p50))} | ${median(list.map((s) => s.p99))} | ${cpu(impl).toFixed(1)} ± ${spread(list.map((s) => s.cpuPerRequest)).toFixed(1)} | ${impl === 'bare' ? '' : overhead[impl].toFixed(1)} | ${ratio} |`)
    }
  }

  console.log(lines.join('\n'))
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  const file = path.join(__dirname, 'results', `run-${Date.now()}.json`)
  fs.writeFileSync(file, JSON.stringify({ rounds, seconds, connections, summary, samples }, null, 2))
  console.log(`\nraw samples: ${path.relative(process.cwd(), file)}`)
}

main().catch((err) => { console.error(err); process.exit(1) })
