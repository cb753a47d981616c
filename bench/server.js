'use strict'

// One benchmark server, run as a child of run.js with its configuration as JSON in argv[2]:
//   { impl: 'bare' | 'upstream' | 'ours', framework: 'express4' | 'express5',
//     store: 'memory' | 'async' | 'redis' | 'disk', merge: boolean, durability: 'process' | 'fsync',
//     fill: number }
// (with `fill`, that many other live sessions are set in the store before the server listens)
// (the fallback core is chosen by run.js through EXPRESS_SESSION_RS_FALLBACK). It reports its port
// over IPC and answers 'cpu' messages with process.cpuUsage().

const { requireWithExpressSession } = require('../__test__/support/with-express-session')
const { fillStore } = require('./fill')

const config = JSON.parse(process.argv[2])
const express = require(config.framework === 'express5' ? 'express5' : 'express')

// A JS store answering on a later turn of the event loop, as a networked store would.
function asyncStore (session) {
  class AsyncMapStore extends session.Store {
    constructor () {
      super()
      this.sessions = new Map()
    }

    get (sid, cb) {
      setImmediate(() => { const json = this.sessions.get(sid); cb(null, json === undefined ? null : JSON.parse(json)) })
    }

    set (sid, sess, cb) {
      const json = JSON.stringify(sess)
      setImmediate(() => { this.sessions.set(sid, json); cb() })
    }

    touch (sid, sess, cb) { setImmediate(cb) }
    destroy (sid, cb) { setImmediate(() => { this.sessions.delete(sid); cb() }) }
  }
  return new AsyncMapStore()
}

// connect-redis over a client of the redis-server run.js started; its Store base class is the one
// of the package under test, as in an app that uses that package.
async function redisStore (session) {
  const { createClient } = require('redis')
  const client = createClient({ url: process.env.BENCH_REDIS_URL })
  await client.connect()
  const { RedisStore } = requireWithExpressSession('connect-redis', session)
  return new RedisStore({ client, prefix: 'bench:' + process.pid + ':' })
}

// A DiskStore in a new directory, removed when run.js stops the server.
function diskStore (session) {
  const fs = require('fs')
  const os = require('os')
  const path = require('path')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esrs-bench-disk-'))
  process.on('SIGTERM', () => {
    fs.rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
  return new session.DiskStore({ path: dir, durability: config.durability })
}

async function main () {
  const app = express()

  if (config.impl !== 'bare') {
    const session = config.impl === 'upstream' ? require('express-session-upstream') : require('..')
    const stores = { async: asyncStore, redis: redisStore, disk: diskStore, memory: () => new session.MemoryStore() }
    const store = await stores[config.store](session)
    if (config.fill > 0) await fillStore(session, store, { count: config.fill, round: 'other', maxAge: 3600000 })
    app.use(session({ secret: 'bench secret', resave: false, saveUninitialized: true, store, merge: config.merge }))
  }

  app.get('/setup', (req, res) => {
    if (req.session) {
      req.session.user = { id: 12345, name: 'user12345' }
      req.session.views = 0
    }
    res.end('ready')
  })
  app.get('/new', (req, res) => res.end('new'))
  app.get('/read', (req, res) => res.end(req.session ? 'hello ' + req.session.user.name : 'hello'))
  app.get('/write', (req, res) => {
    if (req.session) req.session.views++
    res.end('written')
  })

  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
}

process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() })
})

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
