'use strict'

// Starting the bench servers (bench/server.js, one process each) and measuring the CPU time they
// spend on a load, for bench/run.js and bench/pair.js.

const autocannon = require('autocannon')
const { fork } = require('child_process')
const http = require('http')
const path = require('path')

// How each variant of a server is named in the tables.
const labels = {
  bare: 'bare',
  upstream: 'express-session',
  ours: 'express-session-rs',
  fallback: 'express-session-rs, JS fallback',
  merge: 'express-session-rs, merge: true',
  'upstream-filled': 'express-session',
  'ours-filled': 'express-session-rs',
  fsync: "express-session-rs, durability: 'fsync'"
}

// A server for `config` ({ framework, store, variant }) on Node `node`; `fill` other sessions are
// set in a filled variant's store first. Resolves with the child process and its port.
function start (config, { node, fill }) {
  const env = { ...process.env }
  delete env.EXPRESS_SESSION_RS_FALLBACK
  if (config.variant === 'fallback') env.EXPRESS_SESSION_RS_FALLBACK = '1'
  const serverConfig = {
    impl: config.variant === 'bare' || config.variant.startsWith('upstream') ? config.variant.replace('-filled', '') : 'ours',
    framework: config.framework,
    store: config.store,
    merge: config.variant === 'merge',
    fill: config.variant.endsWith('-filled') ? fill : 0,
    durability: config.variant === 'fsync' ? 'fsync' : 'process'
  }
  const child = fork(path.join(__dirname, 'server.js'), [JSON.stringify(serverConfig)], {
    env, execPath: node, stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) => resolve({ child, port }))
    child.once('exit', (code) => reject(new Error(`server ${JSON.stringify(serverConfig)} exited with ${code}`)))
  })
}

// The server's CPU time so far (user + system), in microseconds.
function cpuOf (child) {
  return new Promise((resolve) => {
    child.once('message', ({ cpu }) => resolve(cpu.user + cpu.system))
    child.send('cpu')
  })
}

// The session cookie the server's /setup route sets (undefined for bare Express).
function sessionCookie (port) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/setup' }, (res) => {
      res.resume()
      const setCookie = res.headers['set-cookie']
      resolve(setCookie ? setCookie[0].split(';')[0] : undefined)
    }).on('error', reject)
  })
}

// One autocannon run against a server (`server`: { child, port }), with `options` added to the
// URL: the run's result, and the server's CPU microseconds per request during it. A response other
// than 2xx, or a failed request, is an error: the figure would not be the route's cost.
async function measuredRun (server, route, cookie, options) {
  const before = await cpuOf(server.child)
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${route}`,
    headers: route !== '/new' && cookie ? { cookie } : {},
    ...options
  })
  const after = await cpuOf(server.child)
  if (result.non2xx || result.errors) throw new Error(`${route}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { result, cpu: (after - before) / result.requests.total }
}

module.exports = { labels, measuredRun, sessionCookie, start }
