'use strict'

// The embedded session store. Sessions live in native memory (see src/memory_store.rs), outside
// the JS heap: expired ones are never returned and are swept on a timer that does not keep the
// process alive, an optional bound evicts the least recently used, and stores given the same
// `name` share their sessions across the worker threads of one process.
//
// The callback API is express-session's MemoryStore's, callbacks deferred the same way. The session
// middleware recognises an unmodified MemoryStore and calls the native storage directly and
// synchronously, which is what lets a response go out in a single write.

const native = require('../core')
const Store = require('./store')
const util = require('util')
const { cookieExpiry, cookieJson, parseStored, sessionDataJson } = require('./serialize')
const { kNativeStore } = require('./internal')

const defer = setImmediate

function MemoryStore (options) {
  Store.call(this)

  const opts = options || {}
  const checkPeriod = optionalPositiveNumber(opts.checkPeriod, 'checkPeriod')
  const max = optionalPositiveNumber(opts.max, 'max')
  const ttl = optionalPositiveNumber(opts.ttl, 'ttl')

  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new TypeError('MemoryStore name option must be a string')
  }

  const storage = new native.NativeMemoryStore({ name: opts.name, max, ttl })
  this[kNativeStore] = storage
  this.sweeper = null

  if (checkPeriod !== undefined) {
    this.sweeper = setInterval(sweepExpired, checkPeriod, storage)
    this.sweeper.unref()
  }
}

util.inherits(MemoryStore, Store)

MemoryStore.prototype.get = function get (sessionId, callback) {
  defer(callback, null, parseStored(this[kNativeStore].get(sessionId)))
}

MemoryStore.prototype.set = function set (sessionId, session, callback) {
  writeSession(this[kNativeStore], sessionId, session)
  callback && defer(callback)
}

MemoryStore.prototype.touch = function touch (sessionId, session, callback) {
  const cookie = session && session.cookie
  this[kNativeStore].touch(sessionId, cookieJson(cookie), cookieExpiry(cookie))
  callback && defer(callback)
}

MemoryStore.prototype.destroy = function destroy (sessionId, callback) {
  this[kNativeStore].destroy(sessionId)
  callback && defer(callback)
}

MemoryStore.prototype.all = function all (callback) {
  const flat = this[kNativeStore].entries()
  const sessions = Object.create(null)
  for (let i = 0; i < flat.length; i += 2) {
    sessions[flat[i]] = JSON.parse(flat[i + 1])
  }
  callback && defer(callback, null, sessions)
}

MemoryStore.prototype.length = function length (callback) {
  defer(callback, null, this[kNativeStore].length())
}

MemoryStore.prototype.clear = function clear (callback) {
  this[kNativeStore].clear()
  callback && defer(callback)
}

// Counters of the native storage: sessions, bytes, hits, misses, expirations, evictions.
MemoryStore.prototype.stats = function stats () {
  return this[kNativeStore].stats()
}

// Stop the expiry sweeper (the `memorystore` package's name for it).
MemoryStore.prototype.stopInterval = function stopInterval () {
  if (this.sweeper !== null) {
    clearInterval(this.sweeper)
    this.sweeper = null
  }
}

// express-session's MemoryStore exposed its map of ID to JSON; a snapshot keeps code that read it working.
Object.defineProperty(MemoryStore.prototype, 'sessions', {
  configurable: true,
  enumerable: false,
  get: function sessions () {
    const flat = this[kNativeStore].entries()
    const snapshot = Object.create(null)
    for (let i = 0; i < flat.length; i += 2) {
      snapshot[flat[i]] = flat[i + 1]
    }
    return snapshot
  }
})

function writeSession (storage, sessionId, session) {
  const cookie = session.cookie
  storage.set(sessionId, cookieJson(cookie), sessionDataJson(session), cookieExpiry(cookie))
}

function sweepExpired (storage) {
  storage.sweep()
}

function optionalPositiveNumber (value, name) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError('MemoryStore ' + name + ' option must be a positive number')
  }
  return value
}

module.exports = MemoryStore
