'use strict'

// Two servers compared in alternation: the same app with two session setups (bench/server.js, one
// process each) is driven by autocannon under the closed loop, one server then the other, pair
// after pair, the order swapped every pair, and each pair's difference in the server's CPU time per
// request is kept. On a host whose speed drifts from second to second (a shared virtual machine), a
// difference taken within a few seconds is far steadier than one between rounds minutes apart, so
// this tells two setups apart by less than `npm run bench` can there.
//
//   npm run bench:pair                                   # the JS fallback against the addon
//   BENCH_PAIR=upstream,ours BENCH_PAIRS=30 BENCH_SECONDS=2 npm run bench:pair
//   BENCH_NODE=$(bash scripts/node-lines.sh --path 24) npm run bench:pair
//
// Setups (BENCH_PAIR, two of them): bare, upstream (express-session), ours, fallback (this package
// on its JavaScript fallback core), merge (ours with merge: true), each with the MemoryStore; disk
// (ours with a DiskStore, durability 'process'). Express 4 throughout.

const { execFileSync } = require('child_process')
const os = require('os')
const { labels, measuredRun, sessionCookie, start } = require('./servers')

const serverNode = process.env.BENCH_NODE || process.execPath
const pairs = Number(process.env.BENCH_PAIRS) || 20
const seconds = Number(process.env.BENCH_SECONDS) || 2
const warmupSeconds = Number(process.env.BENCH_WARMUP) || 3
const connections = Number(process.env.BENCH_CONNECTIONS) || 16
const routes = process.env.BENCH_ROUTES ? process.env.BENCH_ROUTES.split(',') : ['/new', '/read', '/write']
const [first, second] = (process.env.BENCH_PAIR || 'fallback,ours').split(',')
// the setups this compares, each a server variant over a store, and how the tables name it
const setups = {
  bare: { variant: 'bare', store: 'memory', label: labels.bare },
  upstream: { variant: 'upstream', store: 'memory', label: labels.upstream },
  ours: { variant: 'ours', store: 'memory', label: labels.ours },
  fallback: { variant: 'fallback', store: 'memory', label: labels.fallback },
  merge: { variant: 'merge', store: 'memory', label: labels.merge },
  disk: { variant: 'ours', store: 'disk', label: `${labels.ours}, DiskStore` }
}
const label = (setup) => setups[setup].label

// CPU microseconds per request of one closed-loop run of `duration` seconds.
async function cpuPerRequest (server, route, duration) {
  return (await measuredRun(server, route, server.cookie, { connections, duration })).cpu
}

const sorted = (values) => [...values].sort((a, b) => a - b)
// the value at fraction `at` of the sorted values (by the nearest rank below)
const quantile = (values, at) => sorted(values)[Math.floor(at * (values.length - 1))]
const median = (values) => quantile(values, 0.5)
const fixed = (n) => n.toFixed(1)

async function comparePair (route) {
  const servers = []
  try {
    for (const setup of [first, second]) {
      const { variant, store } = setups[setup]
      const server = await start({ framework: 'express4', variant, store }, { node: serverNode, fill: 0 })
      servers.push(server)
      server.cookie = await sessionCookie(server.port)
      await cpuPerRequest(server, route, warmupSeconds)
    }
    const samples = [[], []]
    for (let i = 0; i < pairs; i++) {
      for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
        samples[which].push(await cpuPerRequest(servers[which], route, seconds))
      }
      process.stderr.write(`${route} pair ${i + 1}/${pairs}: ${fixed(samples[0][i])} and ${fixed(samples[1][i])} µs CPU/req\n`)
    }
    const differences = samples[1].map((value, i) => value - samples[0][i])
    return {
      route,
      first: median(samples[0]),
      second: median(samples[1]),
      difference: median(differences),
      lowerQuartile: quantile(differences, 0.25),
      upperQuartile: quantile(differences, 0.75),
      secondCheaper: differences.filter((d) => d < 0).length
    }
  } finally {
    for (const server of servers) server.child.kill()
  }
}

async function main () {
  for (const setup of [first, second]) {
    if (!(setup in setups)) throw new Error(`BENCH_PAIR: unknown setup ${setup} (one of ${Object.keys(setups).join(', ')})`)
  }
  const rows = []
  for (const route of routes) rows.push(await comparePair(route))

  const version = execFileSync(serverNode, ['--version'], { encoding: 'utf8' }).trim()
  const cpus = os.cpus()
  console.log(`${new Date().toISOString().slice(0, 10)}, node ${version}, ${cpus[0].model.trim()} × ${cpus.length}; Express 4, ` +
    `closed loop over ${connections} connections; per route ${pairs} pairs of ${seconds} s runs in alternating order, after ${warmupSeconds} s of warm-up each`)
  console.log()
  console.log(`| route | ${label(first)}: CPU µs/req, median | ${label(second)}: CPU µs/req, median | difference per pair, median (quartiles) | pairs where ${label(second)} is cheaper |`)
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const row of rows) {
    console.log(`| ${row.route} | ${fixed(row.first)} | ${fixed(row.second)} | ${fixed(row.difference)} (${fixed(row.lowerQuartile)} to ${fixed(row.upperQuartile)}) | ${row.secondCheaper} of ${pairs} |`)
  }
  console.log(`difference: ${label(second)}'s CPU per request minus ${label(first)}'s, within each pair`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
