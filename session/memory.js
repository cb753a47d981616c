'use strict'

// The embedded session store. Sessions live in native memory (see src/memory_store.rs), outside
// the JS heap: expired ones are never returned and are swept on a timer that does not keep the
// process alive, an optional bound evicts the least recently used, and stores given the same
// `name` share their sessions across the worker threads of one process.
//
// The callback API is express-session's MemoryStore's, callbacks deferred the same way. The session
// middleware recognises an unmodified MemoryStore and calls the native storage directly and
// synchronously, which is what lets a response go out in a single write.

const native = require('../native')
const Store = require('./store')
const util = require('util')
const { cookieExpiry, cookieJson, parseStored, sessionDataJson } = require('./serialize')
const { kNativeStore } = require('./internal')
const { isWellFormed } = require('./well-formed')

const defer = setImmediate
const kSessionsView = Symbol('sessions view')

function MemoryStore (options) {
  Store.call(this)

  const opts = options || {}
  const checkPeriod = optionalPositiveNumber(opts.checkPeriod, 'checkPeriod')
  const max = optionalPositiveNumber(opts.max, 'max')
  const ttl = optionalPositiveNumber(opts.ttl, 'ttl')

  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new TypeError('MemoryStore name option must be a string')
  }

  const storage = new SessionStorage({ name: opts.name, max, ttl })
  this[kNativeStore] = storage
  this[kSessionsView] = null
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

// express-session's MemoryStore kept its sessions in `store.sessions`, an object of ID to JSON
// string, and some applications and tests read it or seed it directly. This is a live view of the
// native storage in that shape: reading, assigning and deleting its entries and listing its keys
// act on the store. Assigning the whole property replaces the store's sessions with the object's.
Object.defineProperty(MemoryStore.prototype, 'sessions', {
  configurable: true,
  enumerable: false,
  get: function sessions () {
    if (this[kSessionsView] === null) {
      this[kSessionsView] = sessionsView(this[kNativeStore])
    }
    return this[kSessionsView]
  },
  set: function sessions (replacement) {
    // every entry is checked before any session is replaced
    const entries = replacement !== null && typeof replacement === 'object'
      ? Object.keys(replacement).map((id) => [id, parseSessionJson(id, replacement[id])])
      : []
    const storage = this[kNativeStore]
    storage.clear()
    for (const [id, session] of entries) {
      writeSession(storage, id, session)
    }
  }
})

function sessionsView (storage) {
  return new Proxy(Object.create(null), {
    get (target, id) {
      return typeof id === 'string' ? storage.get(id) ?? undefined : undefined
    },
    set (target, id, json) {
      writeSession(storage, id, parseSessionJson(id, json))
      return true
    },
    has (target, id) {
      return typeof id === 'string' && storage.get(id) !== null
    },
    deleteProperty (target, id) {
      if (typeof id === 'string') storage.destroy(id)
      return true
    },
    ownKeys () {
      const flat = storage.entries()
      const ids = []
      for (let i = 0; i < flat.length; i += 2) ids.push(flat[i])
      return ids
    },
    getOwnPropertyDescriptor (target, id) {
      const json = typeof id === 'string' ? storage.get(id) : null
      return json === null ? undefined : { value: json, writable: true, enumerable: true, configurable: true }
    },
    defineProperty (target, id, descriptor) {
      if (!('value' in descriptor)) return false
      writeSession(storage, id, parseSessionJson(id, descriptor.value))
      return true
    }
  })
}

// A session given to the view, as JSON.stringify(session) gives it, parsed.
function parseSessionJson (id, json) {
  if (typeof id !== 'string') {
    throw new TypeError('MemoryStore sessions are keyed by session ID strings')
  }
  if (typeof json !== 'string') {
    throw new TypeError('MemoryStore sessions hold JSON strings, as JSON.stringify(session) gives')
  }
  const session = JSON.parse(json)
  if (session === null || typeof session !== 'object') {
    throw new TypeError('MemoryStore session JSON must be an object')
  }
  return session
}

function writeSession (storage, sessionId, session) {
  const cookie = session.cookie
  storage.set(sessionId, cookieJson(cookie), sessionDataJson(session), cookieExpiry(cookie))
}

// The native storage, keyed by IDs that arrive in Rust unchanged. Rust strings are UTF-8, where a
// lone UTF-16 surrogate becomes U+FFFD, so '\uD800a' and '\uDBFFa' would share one record. Such
// IDs, and the IDs beginning with the escape character itself (so no two IDs ever meet), are
// stored as the escape character followed by their UTF-16 code units in hex, and turned back when
// listed. Well-formed IDs, which is all of them in practice, pass through after one quick check.
// The middleware calls this object directly too (see index.js), so both agree on the keys.
class SessionStorage {
  constructor (options) {
    this.native = new native.NativeMemoryStore(options)
  }

  get (id) {
    return this.native.get(storageKey(id))
  }

  set (id, cookieJson, dataJson, expiresMs) {
    this.native.set(storageKey(id), cookieJson, dataJson, expiresMs)
  }

  touch (id, cookieJson, expiresMs) {
    return this.native.touch(storageKey(id), cookieJson, expiresMs)
  }

  destroy (id) {
    this.native.destroy(storageKey(id))
  }

  // ID, JSON, ID, JSON, ...: the IDs as they were given
  entries () {
    const flat = this.native.entries()
    for (let i = 0; i < flat.length; i += 2) {
      if (flat[i].charCodeAt(0) === ESCAPE_CODE) flat[i] = unescapeKey(flat[i])
    }
    return flat
  }

  clear () {
    this.native.clear()
  }

  length () {
    return this.native.length()
  }

  sweep () {
    return this.native.sweep()
  }

  stats () {
    return this.native.stats()
  }
}

const ESCAPE = '\uFFFF'
const ESCAPE_CODE = 0xFFFF

function storageKey (id) {
  if (typeof id !== 'string') return id
  return id.charCodeAt(0) !== ESCAPE_CODE && isWellFormed(id) ? id : escapeKey(id)
}

function escapeKey (id) {
  let key = ESCAPE
  for (let i = 0; i < id.length; i++) {
    key += id.charCodeAt(i).toString(16).padStart(4, '0')
  }
  return key
}

function unescapeKey (key) {
  let id = ''
  for (let i = 1; i < key.length; i += 4) {
    id += String.fromCharCode(parseInt(key.slice(i, i + 4), 16))
  }
  return id
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
