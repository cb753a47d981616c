'use strict'

// The base every session store extends, with `util.inherits` or `class extends`. Subclasses provide
// get/set/destroy (and optionally touch, all, length, clear); this class adds the helpers the
// middleware and sessions rely on. It stays an EventEmitter so stores can announce
// 'connect' and 'disconnect'.

const EventEmitter = require('events').EventEmitter
const Session = require('./session')
const { reviveCookie } = require('./stored')
const { noteRedisClient } = require('./redis-merge')
const util = require('util')

function Store () {
  EventEmitter.call(this)
  // connect-redis 7 and 8 hide the app's Redis client, which the merge option runs its script on
  noteRedisClient(this)
}

util.inherits(Store, EventEmitter)

// Replace the request's session with a fresh one under a new ID.
Store.prototype.regenerate = function regenerate (req, fn) {
  const store = this
  this.destroy(req.sessionID, function onDestroyed (err) {
    store.generate(req)
    fn(err)
  })
}

// Fetch a session by ID and hand back a live Session (or nothing when the store has none).
Store.prototype.load = function load (sid, fn) {
  const store = this
  this.get(sid, function onLoaded (err, sess) {
    if (err) return fn(err)
    if (!sess) return fn()
    const req = { sessionID: sid, sessionStore: store }
    fn(null, store.createSession(req, sess))
  })
}

// Turn stored session data into `req.session`, reviving its cookie.
Store.prototype.createSession = function createSession (req, sess) {
  const expires = sess.cookie.expires
  sess.cookie = reviveCookie(sess.cookie, typeof expires === 'string' ? new Date(expires) : undefined)
  req.session = new Session(req, sess)
  return req.session
}

module.exports = Store
