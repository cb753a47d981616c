'use strict'

// Run inside a scratch app where the packed tarball was installed as `express-session`, beside
// connect-redis (which itself requires 'express-session'). Prints a JSON report of one flow.

const assert = require('assert')
const http = require('http')
const express = require('express')
const session = require('express-session')
const { RedisStore } = require('connect-redis')
const { createClient } = require('redis')

async function main () {
  const report = {
    name: require('express-session/package.json').name,
    native: session.native,
    deepRequire: require('express-session/session/memory') === session.MemoryStore
  }

  const client = createClient({ url: process.env.REDIS_URL })
  await client.connect()
  const prefix = 'dropin:' + process.pid + ':'
  const store = new RedisStore({ client, prefix })
  report.storeExtendsOurs = store instanceof session.Store

  const app = express()
  app.use(session({ store, secret: 'drop-in', resave: false, saveUninitialized: false }))
  app.get('/', (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end(String(req.session.n)) })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))

  const get = (cookie) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.address().port, headers: cookie ? { cookie } : {} }, (res) => {
      let body = ''
      res.on('data', (c) => { body += c })
      res.on('end', () => resolve({ body, cookie: res.headers['set-cookie'] && res.headers['set-cookie'][0].split(';')[0] }))
    }).on('error', reject)
  })

  const first = await get()
  const second = await get(first.cookie)
  report.bodies = [first.body, second.body]
  const sid = decodeURIComponent(first.cookie.split('=')[1]).slice(2).split('.')[0]
  report.storedInRedis = JSON.parse(await client.get(prefix + sid)).n

  server.close()
  await client.quit()
  assert.ok(report)
  console.log(JSON.stringify(report))
}

main().catch((err) => { console.error(err); process.exit(1) })
