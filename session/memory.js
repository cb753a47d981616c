'use strict'

// The embedded session store. Sessions live in native memory (see src/memory_store/), outside
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
const { changedKeys } = require('./merge')
const { cookieExpiry, cookieJson, dataJsonToSet, parseStored, sessionDataJson } = require('./serialize')
const { kAdapter, kNativeStore, kStandsInForDeferredAnswer } = require('./internal')
const { isWellFormed } = require('./well-formed')
const { optionalPositiveInteger, optionalPositiveNumber } = require('./store-options')
const { keepsShape } = require('./stored')
const RecentSessions = require('./recent-sessions')

const defer = setImmediate
const kSessionsView = Symbol('sessions view')

function MemoryStore (options) {
  Store.call(this)

  const opts = options || {}
  const checkPeriod = optionalPositiveNumber('MemoryStore', opts.checkPeriod, 'checkPeriod')
  const max = optionalPositiveInteger('MemoryStore', opts.max, 'max')
  const ttl = optionalPositiveNumber('MemoryStore', opts.ttl, 'ttl')

  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw new TypeError('MemoryStore name option must be a string')
  }

  const nativeStorage = new native.NativeMemoryStore({ name: opts.name, max, ttl })
  // see session/recent-sessions.js for why, and for which stores
  const storage = native.isNative && opts.name === undefined && max === undefined
    ? new RecentSessions(nativeStorage, ttl)
    : nativeStorage
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
  defer(callback, null, parseStored(this[kNativeStore].get(storageKey(sessionId))))
}

MemoryStore.prototype.set = function set (sessionId, session, callback) {
  const dataJson = dataJsonToSet(sessionId, session, callback)
  if (dataJson === undefined) return
  writeSession(this[kNativeStore], storageKey(sessionId), session, dataJson)
  callback && defer(callback)
}

MemoryStore.prototype.touch = function touch (sessionId, session, callback) {
  touchSession(this[kNativeStore], storageKey(sessionId), session)
  callback && defer(callback)
}

// The optional merge method of the store contract, atomic here: under the storage's lock, the
// `changes` (top-level keys and their new values) are written into the session as stored now, the
// `removedKeys` deleted and the cookie replaced; a session that is no longer there stays gone.
MemoryStore.prototype.merge = function merge (sessionId, changes, removedKeys, session, callback) {
  mergeSession(this[kNativeStore], storageKey(sessionId), JSON.stringify(changes), removedKeys, session)
  callback && defer(callback)
}

MemoryStore.prototype.destroy = function destroy (sessionId, callback) {
  this[kNativeStore].destroy(storageKey(sessionId))
  callback && defer(callback)
}

MemoryStore.prototype.all = function all (callback) {
  const flat = liveEntries(this[kNativeStore])
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
      writeSessionUnder(storage, id, session)
    }
  }
})

function sessionsView (storage) {
  return new Proxy(Object.create(null), {
    get (target, id) {
      return typeof id === 'string' ? storage.get(storageKey(id)) ?? undefined : undefined
    },
    set (target, id, json) {
      writeSessionUnder(storage, id, parseSessionJson(id, json))
      return true
    },
    has (target, id) {
      return typeof id === 'string' && storage.get(storageKey(id)) !== null
    },
    deleteProperty (target, id) {
      if (typeof id === 'string') storage.destroy(storageKey(id))
      return true
    },
    ownKeys () {
      const flat = liveEntries(storage)
      const ids = []
      for (let i = 0; i < flat.length; i += 2) ids.push(flat[i])
      return ids
    },
    getOwnPropertyDescriptor (target, id) {
      const json = typeof id === 'string' ? storage.get(storageKey(id)) : null
      return json === null ? undefined : { value: json, writable: true, enumerable: true, configurable: true }
    },
    defineProperty (target, id, descriptor) {
      if (!('value' in descriptor)) return false
      writeSessionUnder(storage, id, parseSessionJson(id, descriptor.value))
      return true
    }
  })
}

function writeSessionUnder (storage, id, session) {
  writeSession(storage, storageKey(id), session, sessionDataJson(session))
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

MemoryStore.prototype[kAdapter] = function adapter () {
  return new MemoryStoreAdapter(this)
}

const memoryGet = MemoryStore.prototype.get
const memorySet = MemoryStore.prototype.set
const memoryTouch = MemoryStore.prototype.touch
const memoryDestroy = MemoryStore.prototype.destroy
const memoryMerge = MemoryStore.prototype.merge
const storeCreateSession = Store.prototype.createSession
const sessionSave = Session.prototype.save

// Where the native load writes a session's cookie shape, serial, expiry and flags (one load at a
// time: it is read right after each call).
const loadedCookie = new Float64Array(4)
// Where a save reports how the storage keeps the session's cookie, laid out alike.
const savedCookie = new Float64Array(4)
const DATA_AS_STRINGIFIED = 1
const TOUCH_CHANGES_NOTHING = 2
// Cookie shapes remembered per adapter; shapes differ by cookie options (and by originalMaxAge when
// an application sets maxAge per session), so a few are enough and more are simply forgotten.
const MAX_REMEMBERED_SHAPES = 64

// A session the native storage handed over as its data JSON and its cookie's shape: what the
// adapter needs to make req.session and, when the cookie keeps that shape, to touch it cheaply.
class LoadedSession {
  constructor (key, data, dataJson, shape, serial, cookieFields, expiresAt, touchChangesNothing) {
    // the storage key it was loaded under
    this.key = key
    this.data = data
    // the data JSON, when it is what JSON.stringify gives for `data` (else undefined)
    this.dataJson = dataJson
    this.shape = shape
    this.serial = serial
    // the cookie's JSON form, parsed (frozen and shared between sessions of that shape)
    this.cookieFields = cookieFields
    this.expiresAt = expiresAt
    // a touch with the same cookie would leave the stored session as it is
    this.touchChangesNothing = touchChangesNothing
  }
}

// The middleware's way into this store: the native storage is called directly and answers at once,
// so a response is not held back by a deferred callback. A store whose methods were replaced
// (a subclass, a test spy) gets exactly what any store gets; that is checked on every call, since
// methods can be replaced after the middleware was made.
class MemoryStoreAdapter extends CallbackStoreAdapter {
  constructor (store) {
    super(store)
    this.shapes = new Map() // serial -> cookie fields
    // the cookie shape last loaded or saved (a server's sessions have few): a cookie that still has
    // it is saved as the shape's number, without its JSON
    this.lastShape = null
  }

  rememberShape (shape, serial, fields) {
    if (this.lastShape === null || this.lastShape.serial !== serial) this.lastShape = { shape, serial, fields }
  }

  load (id, callback) {
    if (this.store.get !== memoryGet) return super.load(id, callback)
    let stored
    try {
      const key = storageKey(id)
      stored = this.store.createSession === storeCreateSession
        ? this.loadSession(key)
        : parseStored(this.store[kNativeStore].get(key))
    } catch (err) {
      callback(err)
      return
    }
    callback(null, stored)
  }

  // The session under `key` as a LoadedSession, or parsed whole when its cookie has no shape.
  loadSession (key) {
    const storage = this.store[kNativeStore]
    const json = storage.load(key, loadedCookie)
    if (json === null || loadedCookie[0] < 0) return parseStored(json)

    const shape = loadedCookie[0]
    const serial = loadedCookie[1]
    const expiresAt = loadedCookie[2]
    const flags = loadedCookie[3]
    const cookieFields = this.cookieFields(storage, shape, serial)
    if (cookieFields === null) {
      // the shape went with its last session, in another thread, since the load
      return parseStored(storage.get(key))
    }
    this.rememberShape(shape, serial, cookieFields)
    return new LoadedSession(key, JSON.parse(json), flags & DATA_AS_STRINGIFIED ? json : undefined, shape, serial,
      cookieFields, expiresAt, (flags & TOUCH_CHANGES_NOTHING) !== 0)
  }

  cookieFields (storage, shape, serial) {
    let fields = this.shapes.get(serial)
    if (fields === undefined) {
      const json = storage.cookieFieldsJson(shape, serial)
      if (json === null) return null
      fields = Object.freeze(JSON.parse(json))
      // a new Map rather than clear() (see DiskWrites#commitQueued)
      if (this.shapes.size >= MAX_REMEMBERED_SHAPES) this.shapes = new Map()
      this.shapes.set(serial, fields)
    }
    return fields
  }

  // What Store#createSession makes from the whole stored session, made from its parts; the data
  // JSON is handed back when serializing the new session is sure to give it.
  inflate (req, stored) {
    if (!(stored instanceof LoadedSession)) return super.inflate(req, stored)
    const fields = stored.cookieFields
    const expires = typeof fields.expires === 'string' ? new Date(stored.expiresAt) : undefined
    return this.inflateParts(req, fields, expires, stored.data, stored.dataJson)
  }

  // Saved under the session's own ID, as Session#save would, with the data JSON the middleware
  // already made to tell whether the session changed.
  save (view, callback) {
    const sess = view.session
    if (this.store.set !== memorySet || sess.save !== sessionSave) return super.save(view, callback)
    try {
      this.saveSession(storageKey(sess.id), sess.cookie, view.dataJson)
    } catch (err) {
      callback(err)
      return
    }
    callback(null, kStandsInForDeferredAnswer)
  }

  // By the shape last seen when the cookie still has it, else with the cookie's JSON.
  saveSession (key, cookie, dataJson) {
    const storage = this.store[kNativeStore]
    const last = this.lastShape
    const expiresMs = cookieExpiry(cookie)
    if (last !== null && keepsShape(cookie, last.fields) &&
      storage.setFields(key, last.shape, last.serial, dataJson, expiresMs, savedCookie, last.fields)) {
      return
    }
    storage.set(key, cookieJson(cookie), dataJson, expiresMs, savedCookie)
    if (savedCookie[0] >= 0) {
      const fields = this.cookieFields(storage, savedCookie[0], savedCookie[1])
      if (fields !== null) this.rememberShape(savedCookie[0], savedCookie[1], fields)
    }
  }

  // A session whose cookie still has the shape it was loaded with gets only its expiry changed, or
  // nothing when that stays "never" (loading it counted as its use); any other is touched with its
  // cookie's JSON.
  touch (id, sess, stored, callback) {
    if (this.store.touch !== memoryTouch) return super.touch(id, sess, stored, callback)
    const storage = this.store[kNativeStore]
    const key = storageKey(id)
    if (stored instanceof LoadedSession && stored.key === key && sess && keepsShape(sess.cookie, stored.cookieFields) &&
      (stored.touchChangesNothing || storage.touchFields(key, stored.shape, stored.serial, cookieExpiry(sess.cookie), stored.cookieFields))) {
      callback(null, kStandsInForDeferredAnswer)
      return
    }
    answerSynchronously(touchSession, storage, key, sess, undefined, undefined, callback)
  }

  merge (view, baselineJson, callback) {
    const sess = view.session
    if (this.store.merge !== memoryMerge) return super.merge(view, baselineJson, callback)
    let diff
    try {
      diff = changedKeys(baselineJson, view.dataJson)
    } catch (err) {
      callback(err)
      return
    }
    answerSynchronously(mergeSession, this.store[kNativeStore], storageKey(sess.id), diff.changesJson, diff.removed, sess, callback)
  }

  destroy (id, callback) {
    if (this.store.destroy !== memoryDestroy) return super.destroy(id, callback)
    answerSynchronously(destroySession, this.store[kNativeStore], storageKey(id), undefined, undefined, undefined, callback)
  }
}

// Runs a storage operation with up to three arguments after the key and answers at once.
function answerSynchronously (operation, storage, key, first, second, third, callback) {
  try {
    operation(storage, key, first, second, third)
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

function mergeSession (storage, key, changesJson, removedKeys, session) {
  const cookie = session.cookie
  storage.merge(key, changesJson, removedKeys, cookieJson(cookie), cookieExpiry(cookie))
}

function touchSession (storage, key, session) {
  const cookie = session && session.cookie
  storage.touch(key, cookieJson(cookie), cookieExpiry(cookie))
}

function destroySession (storage, key) {
  storage.destroy(key)
}

// The key a session ID is stored under natively. express-session's MemoryStore keys its object by
// any value the way property keys are made, so a number ID 5 and the string '5' name the same
// session. And Rust strings are UTF-8, where a lone UTF-16 surrogate becomes U+FFFD, so '\uD800a'
// and '\uDBFFa' would share one record: such IDs, and the IDs beginning with the escape character
// itself (so no two IDs ever meet), are stored as the escape character followed by their UTF-16
// code units in hex, and turned back when listed. Well-formed IDs, which is all of them in
// practice, pass through after one quick check.
function storageKey (id) {
  const key = typeof id === 'string' ? id : String(id)
  return key.charCodeAt(0) !== ESCAPE_CODE && isWellFormed(key) ? key : escapeKey(key)
}

const ESCAPE = '\uFFFF'
const ESCAPE_CODE = 0xFFFF

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

// Live sessions as a flat list, ID, JSON, ID, JSON, ..., with the IDs as they were given.
function liveEntries (storage) {
  const flat = storage.entries()
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i].charCodeAt(0) === ESCAPE_CODE) flat[i] = unescapeKey(flat[i])
  }
  return flat
}

function sweepExpired (storage) {
  storage.sweep()
}

module.exports = MemoryStore
