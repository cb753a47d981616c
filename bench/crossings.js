'use strict'

// What crosses into the addon per request: every function of the addon is counted while an Express
// app serves each route over the MemoryStore (and the DiskStore), after a warm-up. A call into the
// addon from a busy server costs microseconds, most of it in caches the rest of the request has
// cooled, so this count is the first thing to look at when the native core costs more than it
// should.
//
//   node bench/crossings.js

const http = require('http')
const { get } = require('./get')
const os = require('os')
const path = require('path')
const fs = require('fs')

const addon = require('../native')
const counts = new Map()
for (const name of Object.keys(addon)) {
  const value = addon[name]
  if (typeof value !== 'function' || /^[A-Z]/.test(name)) continue
  addon[name] = function counted (...args) {
    counts.set(name, (counts.get(name) || 0) + 1)
    return value.apply(this, args)
  }
}
const session = require('..')
const express = require('express')

const REQUESTS = 1000

function appWith (store) {
  const app = express()
  app.use(session({ secret: 'bench secret', resave: false, saveUninitialized: true, store }))
  app.get('/setup', (req, res) => { req.session.user = { id: 12345, name: 'user12345' }; req.session.views = 0; res.end('ready') })
  app.get('/new', (req, res) => res.end('new'))
  app.get('/read', (req, res) => res.end('hello ' + req.session.user.name))
  app.get('/write', (req, res) => { req.session.views++; res.end('written') })
  return app
}

async function perRequest (store) {
  const server = appWith(store).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const port = server.address().port
  const agent = new http.Agent({ keepAlive: true })
  const setup = await get(port, '/setup', undefined, agent)
  const cookie = setup.headers['set-cookie'][0].split(';')[0]
  const rows = {}
  for (const route of ['/new', '/read', '/write']) {
    for (let i = 0; i < 100; i++) await get(port, route, route === '/new' ? undefined : cookie, agent)
    counts.clear()
    for (let i = 0; i < REQUESTS; i++) await get(port, route, route === '/new' ? undefined : cookie, agent)
    rows[route] = new Map([...counts].map(([name, n]) => [name, n / REQUESTS]))
  }
  agent.destroy()
  server.close()
  return rows
}

async function main () {
  console.log(`calls into the addon per request, ${REQUESTS} requests per route; node ${process.version}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossings-'))
  try {
    for (const [label, store] of [['MemoryStore', new session.MemoryStore()], ['DiskStore', new session.DiskStore({ path: dir })]]) {
      const rows = await perRequest(store)
      console.log(`\n| ${label} | route | calls per request | of which |`)
      console.log('| --- | --- | ---: | --- |')
      for (const [route, byName] of Object.entries(rows)) {
        const total = [...byName.values()].reduce((a, b) => a + b, 0)
        const detail = [...byName].map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ')
        console.log(`| | ${route} | ${total.toFixed(2)} | ${detail} |`)
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
