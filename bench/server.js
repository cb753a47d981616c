'use strict'

// One benchmark server, run as a child of run.js: `node server.js <bare|upstream|ours> <memory|async>`.
// It reports its port over IPC and answers 'cpu' messages with process.cpuUsage().

const express = require('express')
const util = require('util')

const [impl, storeKind] = process.argv.slice(2)

// A JS store answering on a later turn of the event loop, as a networked store would.
function asyncStore (session) {
  function AsyncMapStore () {
    session.Store.call(this)
    this.sessions = new Map()
  }
  util.inherits(AsyncMapStore, session.Store)
  AsyncMapStore.prototype.get = function (sid, cb) {
    setImmediate(() => { const json = this.sessions.get(sid); cb(null, json === undefined ? null : JSON.parse(json)) })
  }
  AsyncMapStore.prototype.set = function (sid, sess, cb) {
    const json = JSON.stringify(sess)
    setImmediate(() => { this.sessions.set(sid, json); cb() })
  }
  AsyncMapStore.prototype.touch = function (sid, sess, cb) { setImmediate(cb) }
  AsyncMapStore.prototype.destroy = function (sid, cb) { setImmediate(() => { this.sessions.delete(sid); cb() }) }
  return new AsyncMapStore()
}

const app = express()

if (impl !== 'bare') {
  const session = impl === 'upstream' ? require('express-session-upstream') : require('..')
  const store = storeKind === 'async' ? asyncStore(session) : new session.MemoryStore()
  app.use(session({ secret: 'bench secret', resave: false, saveUninitialized: true, store }))
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
process.on('message', (message) => {
  if (message === 'cpu') process.send({ cpu: process.cpuUsage() })
})
