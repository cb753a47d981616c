'use strict'

// Starting the bench servers (bench/server.js, one process each) and reading their CPU time, for
// bench/run.js and bench/pair.js.

const { fork } = require('child_process')
const http = require('http')
const path = require('path')

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

module.exports = { cpuOf, sessionCookie, start }
