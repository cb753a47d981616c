'use strict'

// The embedded session store. Sessions live in native memory (see src/memory_store.rs), outside
// the JS heap: expired ones are never returned and are swept on a timer that does not keep the
// process alive, an optional bound evicts the least recently used, and stores given the same
// `name` share their sessions across the worker threads of one process.
//
// The callback API is express-session's MemoryStore's, callbacks deferred the same way. The session
// middleware talks to it through MemoryStoreAdapter instead, which calls the native storage directly
// and answers synchronously, which is what lets a response go out in a single write.

const native = require('../core')
const Session = require('./session')
const Store = require('./store')
const util = require('util')
const { CallbackStoreAdapter } = require('./store-adapter')
const { cookieExpiry, cookieJson, parseStored, sessionDataJson } = require('./serialize')
const { kAdapter, kNativeStore, kStandsInForDeferredAnswer } = require('./internal')

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
  defer(callback, null, parseStored(this[kNativeStore].get(storageKey(sessionId))))
}

MemoryStore.prototype.set = function set (sessionId, session, callback) {
  writeSession(this[kNativeStore], storageKey(sessionId), session, sessionDataJson(session))
  callback && defer(callback)
}

MemoryStore.prototype.touch = function touch (sessionId, session, callback) {
  touchSession(this[kNativeStore], storageKey(sessionId), session)
  callback && defer(callback)
}

MemoryStore.prototype.destroy = function destroy (sessionId, callback) {
  this[kNativeStore].destroy(storageKey(sessionId))
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

MemoryStore.prototype[kAdapter] = function adapter () {
  return new MemoryStoreAdapter(this)
}

const memoryGet = MemoryStore.prototype.get
const memorySet = MemoryStore.prototype.set
const memoryTouch = MemoryStore.prototype.touch
const memoryDestroy = MemoryStore.prototype.destroy
const sessionSave = Session.prototype.save

// The middleware's way into this store: the native storage is called directly and answers at once,
// so a response is not held back by a deferred callback. A store whose methods were replaced
// (a subclass, a test spy) gets exactly what any store gets; that is checked on every call, since
// methods can be replaced after the middleware was made.
class MemoryStoreAdapter extends CallbackStoreAdapter {
  load (id, callback) {
    if (this.store.get !== memoryGet) return super.load(id, callback)
    let stored
    try {
      stored = parseStored(this.store[kNativeStore].get(storageKey(id)))
    } catch (err) {
      callback(err)
      return
    }
    callback(null, stored)
  }

  // Saved under the session's own ID, as Session#save would, with the data JSON the middleware
  // already made to tell whether the session changed.
  save (view, callback) {
    const sess = view.session
    if (this.store.set !== memorySet || sess.save !== sessionSave) return super.save(view, callback)
    answerSynchronously(writeSession, this.store[kNativeStore], storageKey(sess.id), sess, view.dataJson, callback)
  }

  touch (id, sess, callback) {
    if (this.store.touch !== memoryTouch) return super.touch(id, sess, callback)
    answerSynchronously(touchSession, this.store[kNativeStore], storageKey(id), sess, undefined, callback)
  }

  destroy (id, callback) {
    if (this.store.destroy !== memoryDestroy) return super.destroy(id, callback)
    answerSynchronously(destroySession, this.store[kNativeStore], storageKey(id), undefined, undefined, callback)
  }
}

function answerSynchronously (operation, storage, key, session, dataJson, callback) {
  try {
    operation(storage, key, session, dataJson)
  } catch (err) {
    callback(err)
    return
  }
  callback(null, kStandsInForDeferredAnswer)
}

function writeSession (storage, key, session, dataJson) {
  const cookie = session.cookie
  storage.set(key, cookieJson(cookie), dataJson, cookieExpiry(cookie))
}

function touchSession (storage, key, session) {
  const cookie = session && session.cookie
  storage.touch(key, cookieJson(cookie), cookieExpiry(cookie))
}

function destroySession (storage, key) {
  storage.destroy(key)
}

// Session IDs are normally strings; express-session's MemoryStore keys its object by any value the
// way property keys are made, so a number ID 5 and the string '5' name the same session.
function storageKey (id) {
  return typeof id === 'string' ? id : String(id)
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
