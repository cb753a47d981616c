'use strict'

// A session store on the local disk, shared by every process and worker thread of the machine that
// opens the same directory, and kept across restarts (see src/disk_store/). Reads come from the
// file's memory map on the calling thread. Writes commit on the calling thread with the default
// durability ('process': in the OS's hands, which a killed process cannot undo), and on libuv's
// thread pool with 'fsync' (on the disk, which takes the disk's time). Every operation is one
// transaction, exclusive across processes for writes, so `merge` is atomic between processes too.
//
// The callback API is the Store's, callbacks deferred as express-session's MemoryStore defers them;
// an error of the store (a full disk, a damaged file) reaches the callback, and so the request's
// `next(err)`.

const core = require('../core')
const path = require('path')
const Store = require('./store')
const util = require('util')
const debug = require('debug')('express-session')
const { cookieExpiry, cookieJson, dataJsonToSet, parseStored } = require('./serialize')
const { isWellFormed } = require('./well-formed')
const { optionalPositiveInteger, optionalPositiveNumber } = require('./store-options')
const Session = require('./session')
const { CallbackStoreAdapter } = require('./store-adapter')
const { checkStoreFile } = require('./disk-check')
const { codedError, storeError } = require('./disk-errors')
const { kAdapter, kStandsInForDeferredAnswer } = require('./internal')
const { copyStoredData, keepsShape, reviveCookie } = require('./stored')

const defer = setImmediate
const kStorage = Symbol('disk storage')
const kSweep = Symbol('disk sweep')
const kTtl = Symbol('disk ttl')
const kQueued = Symbol('disk queued writes')
const kLastQueued = Symbol('disk last queued write of each session')
const kMax = Symbol('disk max')
const kQueueReads = Symbol('disk reads answered from queued writes')

// expired sessions deleted per transaction, so that a sweep holds the write lock only briefly
const SWEEP_BATCH = 1000
const DEFAULTS = { durability: 'process', mapSize: 1024 * 1024 * 1024, checkPeriod: 5 * 60 * 1000 }
const DURABILITIES = ['process', 'fsync']
// never-expiring cookies whose fields an adapter remembers, by their JSON (a server's sessions
// share a few such cookies; one that expires is written with its own instant, so it is not kept)
const MAX_REMEMBERED_COOKIES = 64
// where the native load writes the loaded cookie's length (one load at a time: it is read right
// after each call)
const loadedCookieLength = new Float64Array(1)

function DiskStore (options) {
  Store.call(this)

  if (!core.isNative) throw needsNative()
  const opts = options || {}
  if (typeof opts.path !== 'string' || opts.path === '') {
    throw new TypeError('DiskStore path option must be the path of a directory')
  }
  const max = optionalPositiveInteger('DiskStore', opts.max, 'max')
  const ttl = optionalPositiveNumber('DiskStore', opts.ttl, 'ttl')
  const mapSize = optionalPositiveInteger('DiskStore', opts.mapSize, 'mapSize') ?? DEFAULTS.mapSize
  const durability = opts.durability ?? DEFAULTS.durability
  if (!DURABILITIES.includes(durability)) {
    throw new TypeError("DiskStore durability option must be 'process' or 'fsync'")
  }
  if (opts.verify !== undefined && typeof opts.verify !== 'boolean') {
    throw new TypeError('DiskStore verify option must be a boolean')
  }
  const checkPeriod = opts.checkPeriod === false ? undefined : optionalPositiveNumber('DiskStore', opts.checkPeriod, 'checkPeriod') ?? DEFAULTS.checkPeriod

  const directory = path.resolve(opts.path)
  // every page of an existing file is read in another process first (see disk-check.js)
  if (opts.verify !== false) checkStoreFile(directory)

  let storage
  try {
    storage = new core.NativeDiskStore({ path: directory, max, ttl, durability, mapSize })
  } catch (err) {
    throw storeError(err)
  }
  this[kStorage] = storage
  this[kTtl] = ttl
  this[kSweep] = { running: false }
  this[kQueued] = []
  // the last write queued for each session, which a read of it is answered from (see readOne)
  this[kLastQueued] = new Map()
  this[kMax] = max
  this[kQueueReads] = { hits: 0, misses: 0 }
  this.path = directory
  this.durability = durability
  this.sweeper = null

  if (checkPeriod !== undefined) {
    this.sweeper = setInterval(sweepExpired, checkPeriod, storage, this[kSweep])
    this.sweeper.unref()
  }
}

util.inherits(DiskStore, Store)

DiskStore.prototype.get = function get (sessionId, callback) {
  let json
  try {
    json = readOne(this, storageKey(sessionId))
  } catch (err) {
    defer(callback, storeError(err))
    return
  }
  defer(callback, null, parseStored(json))
}

DiskStore.prototype.set = function set (sessionId, session, callback) {
  const dataJson = dataJsonToSet(sessionId, session, callback)
  if (dataJson === undefined) return
  const cookie = session.cookie
  write(this, 'set', sessionId, [cookieJson(cookie), dataJson, cookieExpiry(cookie)], callback)
}

// A new cookie and expiry for a stored session; the data stays as stored (another process may
// have changed it meanwhile), and a session that is gone stays gone.
DiskStore.prototype.touch = function touch (sessionId, session, callback) {
  const cookie = session.cookie
  write(this, 'touch', sessionId, [cookieJson(cookie), cookieExpiry(cookie)], callback)
}

// The optional merge method of the store contract, atomic across every process on the store: in
// one write transaction, the `changes` (top-level keys and their new values) are written into the
// session as stored now, the `removedKeys` deleted and the cookie replaced; a session that is no
// longer there (destroyed, expired, evicted) stays gone.
DiskStore.prototype.merge = function merge (sessionId, changes, removedKeys, session, callback) {
  const cookie = session.cookie
  write(this, 'merge', sessionId, [JSON.stringify(changes), removedKeys, cookieJson(cookie), cookieExpiry(cookie)], callback)
}

DiskStore.prototype.destroy = function destroy (sessionId, callback) {
  write(this, 'destroy', sessionId, [], callback)
}

DiskStore.prototype.clear = function clear (callback) {
  write(this, 'clear', undefined, [], callback)
}

DiskStore.prototype.all = function all (callback) {
  read(this, 'entries', callback, function bySessionId (flat) {
    const sessions = Object.create(null)
    for (let i = 0; i < flat.length; i += 2) {
      sessions[flat[i]] = JSON.parse(flat[i + 1])
    }
    return sessions
  })
}

DiskStore.prototype.length = function length (callback) {
  read(this, 'length', callback, Number)
}

// { sessions, bytes, hits, misses, expirations, evictions }: sessions and bytes are the store's
// (every process's, expired sessions not yet swept included; bytes of the file in use), the
// counters this process's.
DiskStore.prototype.stats = function stats () {
  commitQueued(this, true)
  let stats
  try {
    stats = this[kStorage].stats()
  } catch (err) {
    throw storeError(err)
  }
  stats.hits += this[kQueueReads].hits
  stats.misses += this[kQueueReads].misses
  return stats
}

// Stop the expiry sweeper (the MemoryStore's name for it).
DiskStore.prototype.stopInterval = function stopInterval () {
  if (this.sweeper !== null) {
    clearInterval(this.sweeper)
    this.sweeper = null
  }
}

DiskStore.prototype[kAdapter] = function adapter () {
  return new DiskStoreAdapter(this)
}

const diskGet = DiskStore.prototype.get
const diskSet = DiskStore.prototype.set
const diskTouch = DiskStore.prototype.touch
const diskDestroy = DiskStore.prototype.destroy
const storeCreateSession = Store.prototype.createSession
const sessionSave = Session.prototype.save

// The middleware's way into this store. A read comes from the memory map and a write with the
// default durability is committed before the storage call returns, so the middleware is answered
// at once, as the MemoryStore answers it, rather than on a later turn of the event loop; a write
// with 'fsync' is answered once the disk has it. A store whose methods were replaced gets what any
// store gets.
class DiskStoreAdapter extends CallbackStoreAdapter {
  constructor (store) {
    super(store)
    this.cookies = new Map() // cookie JSON -> its fields, parsed and frozen
  }

  load (id, callback) {
    if (this.store.get !== diskGet || this.store.createSession !== storeCreateSession) return super.load(id, callback)
    let stored
    try {
      stored = this.loadSession(storageKey(id))
    } catch (err) {
      callback(storeError(err))
      return
    }
    callback(null, stored)
  }

  // The live session under `key` as a StoredParts (as a parsed object when it was stored without
  // a cookie), or undefined.
  loadSession (key) {
    const store = this.store
    const queued = queuedSave(store, key)
    if (queued === null) return undefined
    if (queued !== undefined) return this.parts(key, queued.args[0], queued.args[1])
    const json = store[kStorage].load(key, loadedCookieLength)
    if (json === null) return undefined
    const cookieLength = loadedCookieLength[0]
    return cookieLength < 0
      ? JSON.parse(json)
      : this.parts(key, json.slice(0, cookieLength), json.slice(cookieLength))
  }

  parts (key, cookieJson, dataJson) {
    if (cookieJson === undefined) return JSON.parse(dataJson)
    const fields = this.cookieFields(cookieJson)
    if (fields === null || typeof fields !== 'object') return JSON.parse(sessionJson(cookieJson, dataJson))
    return new StoredParts(key, fields, dataJson)
  }

  cookieFields (json) {
    let fields = this.cookies.get(json)
    if (fields === undefined) {
      fields = Object.freeze(JSON.parse(json))
      if (fields !== null && fields.expires === null) {
        if (this.cookies.size >= MAX_REMEMBERED_COOKIES) this.cookies.clear()
        this.cookies.set(json, fields)
      }
    }
    return fields
  }

  // What Store#createSession makes from the whole stored session, made from its parts; the data
  // JSON is handed back when serializing the new session is sure to give it.
  inflate (req, stored) {
    if (!(stored instanceof StoredParts)) return super.inflate(req, stored)
    const fields = stored.cookieFields
    const sess = new Session(req, null)
    sess.cookie = reviveCookie(fields, typeof fields.expires === 'string' ? new Date(fields.expires) : undefined)
    const copiedEveryKey = copyStoredData(sess, stored.data)
    req.session = sess
    return copiedEveryKey && !mayHaveIndexKeys(stored.data) ? stored.dataJson : undefined
  }

  // under the session's own ID, as Session#save would, with the data JSON the middleware has made
  save (view, callback) {
    const sess = view.session
    if (this.store.set !== diskSet || sess.save !== sessionSave) return super.save(view, callback)
    const cookie = sess.cookie
    writeForRequest(this.store, 'set', sess.id, [cookieJson(cookie), view.dataJson, cookieExpiry(cookie)], callback)
  }

  // A touch that would write back the cookie the session was loaded with, never expiring, changes
  // nothing and is not made: a write transaction per request saved, for cookies without maxAge.
  touch (id, sess, stored, callback) {
    if (this.store.touch !== diskTouch) return super.touch(id, sess, stored, callback)
    const cookie = sess.cookie
    if (this.store[kTtl] === undefined && stored instanceof StoredParts && stored.key === id &&
      stored.cookieFields.expires === null && keepsShape(cookie, stored.cookieFields)) {
      callback(null, kStandsInForDeferredAnswer)
      return
    }
    const json = cookieJson(cookie)
    const expiry = cookieExpiry(cookie)
    if (expiry === undefined && this.store[kTtl] === undefined && stored !== null && typeof stored === 'object' &&
      stored.cookie !== null && typeof stored.cookie === 'object' && json === JSON.stringify(stored.cookie)) {
      callback(null, kStandsInForDeferredAnswer)
      return
    }
    writeForRequest(this.store, 'touch', id, [json, expiry], callback)
  }

  destroy (id, callback) {
    if (this.store.destroy !== diskDestroy) return super.destroy(id, callback)
    writeForRequest(this.store, 'destroy', id, [], callback)
  }
}

// A session the middleware loaded from this store: its cookie's fields (parsed, frozen and shared
// by the sessions with that cookie) and its data apart, and the data JSON as stored, which is what
// JSON.stringify gives for the data: every writer stores JSON.stringify's output, and a merge
// (src/session_merge.rs) keeps the stored order of the keys and adds new ones at the end, as
// assigning properties does, except for array-index keys, which JavaScript puts first (see
// mayHaveIndexKeys).
class StoredParts {
  constructor (key, cookieFields, dataJson) {
    // the storage key it was loaded under
    this.key = key
    this.cookieFields = cookieFields
    this.data = JSON.parse(dataJson)
    this.dataJson = dataJson
  }
}

// Whether parsed data may have an array-index key: an object lists those first, so its first key
// tells (any key starting with a digit is taken for one).
function mayHaveIndexKeys (data) {
  // eslint-disable-next-line no-unreachable-loop -- only the first key is wanted, without a list of all
  for (const key in data) {
    const first = key.charCodeAt(0)
    return first >= 48 && first <= 57
  }
  return false
}

// A write the middleware makes for a request. With the 'process' durability it is queued, and the
// writes of one turn of the event loop are committed together in one transaction after it: a commit
// writes the pages it changed plus the trees' upper pages, the free list and the meta page, which
// one commit per request would write again for each. The queue is kept here and handed to the
// storage at the commit, one call right after another, which costs less than a call per request
// made when the addon's code has gone cold. Each callback is answered once the commit that holds
// its write is done, so a save that reports success has been committed, as before. With 'fsync' the
// write goes to the thread pool's group commit (see writeNow).
function writeForRequest (store, method, sessionId, args, callback) {
  if (store.durability !== 'process') return writeNow(store, method, sessionId, args, callback)
  let key
  try {
    key = storageKey(sessionId)
  } catch (err) {
    callback(storeError(err))
    return
  }
  const waiting = store[kQueued]
  const queued = new QueuedWrite(queueMethods[method], key, args, callback)
  waiting.push(queued)
  store[kLastQueued].set(key, queued)
  if (waiting.length === 1) setImmediate(commitQueued, store)
}

const queueMethods = { set: 'queueSet', touch: 'queueTouch', destroy: 'queueDestroy' }

class QueuedWrite {
  constructor (method, key, args, callback) {
    this.method = method
    this.key = key
    this.args = args
    this.callback = callback
  }

  // Whether a read of the session once this write is committed finds it as this write left it:
  // true for a save, whose cookie and data JSON (args[0] and args[1]) are then the session's;
  // false when the write leaves no live session; undefined when only the storage can tell (a
  // touch keeps the stored data; with `max`, a later write of the same commit may evict the
  // session).
  leavesSession (store) {
    if (this.method === 'queueDestroy') return false
    if (this.method !== 'queueSet' || store[kMax] !== undefined) return undefined
    const expiresMs = this.args[2]
    return expiresMs === undefined || Math.max(0, Math.trunc(expiresMs)) > Date.now()
  }
}

// Commits the queued writes; their callbacks are answered now, or with `answerLater` on the next
// turn (when the commit runs inside another call of the store's). Each is answered null, or the
// error of its write or of the commit.
function commitQueued (store, answerLater) {
  const writes = store[kQueued]
  if (writes.length === 0) return
  store[kQueued] = []
  store[kLastQueued].clear()
  const storage = store[kStorage]
  const answers = new Array(writes.length).fill(null)
  // the writes the storage took, by their place in `writes`
  const held = []
  for (let i = 0; i < writes.length; i++) {
    const write = writes[i]
    try {
      storage[write.method](write.key, ...write.args)
      held.push(i)
    } catch (err) {
      answers[i] = storeError(err)
    }
  }
  if (held.length !== 0) {
    let results
    let failure = null
    try {
      results = storage.commitQueued()
    } catch (err) {
      failure = storeError(err)
    }
    held.forEach((at, j) => {
      answers[at] = failure !== null ? failure : typeof results[j] === 'string' ? storeError(new Error(results[j])) : null
    })
  }
  if (answerLater) setImmediate(answerCommitted, writes, answers, 0)
  else answerCommitted(writes, answers, 0)
}

// Answers each queued write's callback in order. One that throws does not keep the others from
// their answers: they are answered on a later turn, and the error goes on its way.
function answerCommitted (writes, answers, from) {
  for (let i = from; i < writes.length; i++) {
    try {
      writes[i].callback(answers[i])
    } catch (thrown) {
      if (i + 1 < writes.length) setImmediate(answerCommitted, writes, answers, i + 1)
      throw thrown
    }
  }
}

// A write for the middleware: answered at once when committed at once, else after the commit.
function writeNow (store, method, sessionId, args, callback) {
  let written
  try {
    written = store[kStorage][method](storageKey(sessionId), ...args)
  } catch (err) {
    callback(storeError(err))
    return
  }
  if (typeof written === 'number') {
    callback(null, kStandsInForDeferredAnswer)
    return
  }
  written.then(function onCommitted () {
    callback(null)
  }, function onFailed (err) {
    callback(storeError(err))
  })
}

// One write of session `sessionId` (none for clear). The storage commits it at once with the
// 'process' durability, answering a number, and on the thread pool with 'fsync', answering a
// promise; either way the callback hears of it after the commit.
function write (store, method, sessionId, args, callback) {
  // writes the middleware queued this turn go first, so that the store sees writes in call order
  commitQueued(store, true)
  let written
  try {
    written = sessionId === undefined
      ? store[kStorage][method]()
      : store[kStorage][method](storageKey(sessionId), ...args)
  } catch (err) {
    return answer(callback, storeError(err))
  }
  if (typeof written === 'number') return answer(callback, null)
  written.then(function onCommitted () {
    if (callback) callback(null)
  }, function onFailed (err) {
    answer(callback, storeError(err))
  })
}

// A read of one session finds it as the writes before the read in call order left it (one
// ordered connection to Redis gives the same). When this turn queued a write for the session, the
// read is answered from that write where it tells the outcome (a save or a destroy), so that
// concurrent requests of one session keep their writes in one commit; otherwise the queue is
// committed first. Reads of other sessions leave the queue to its commit after the turn.
//
// This answers the queued save a read of session `key` is answered from, null when the queue
// leaves no live session, or undefined when the storage answers (the queue is then committed).
function queuedSave (store, key) {
  const queued = store[kLastQueued].get(key)
  if (queued === undefined) return undefined
  const leaves = queued.leavesSession(store)
  if (leaves === undefined) {
    commitQueued(store, true)
    return undefined
  }
  store[kQueueReads][leaves ? 'hits' : 'misses']++
  return leaves ? queued : null
}

// The stored JSON of one session (see queuedSave), or null.
function readOne (store, key) {
  const queued = queuedSave(store, key)
  if (queued === undefined) return store[kStorage].get(key)
  return queued === null ? null : sessionJson(queued.args[0], queued.args[1])
}

// The whole session's JSON from its parts, as the storage answers it (see Record::session_json in
// src/disk_store/record.rs).
function sessionJson (cookieJson, dataJson) {
  if (cookieJson === undefined) return dataJson
  const members = dataJson.slice(1, -1).trim()
  return '{"cookie":' + cookieJson + (members === '' ? '' : ',' + members) + '}'
}

// A read of the whole store (`method` of the storage, without arguments), answered as `shape` of
// it, after the writes queued before it are committed.
function read (store, method, callback, shape) {
  commitQueued(store, true)
  let value
  try {
    value = shape(store[kStorage][method]())
  } catch (err) {
    return answer(callback, storeError(err))
  }
  answer(callback, null, value)
}

function answer (callback, err, value) {
  if (callback) defer(callback, err, value)
  else if (err) debug('DiskStore call failed: %s', err.message)
}

// Deletes expired sessions a batch at a time on the thread pool, each batch its own transaction,
// until a batch comes back short; one sweep at a time per store.
function sweepExpired (storage, state) {
  if (state.running) return
  state.running = true
  const next = function next (swept) {
    if (swept === SWEEP_BATCH) {
      storage.sweep(SWEEP_BATCH).then(next, failed)
    } else {
      state.running = false
    }
  }
  const failed = function failed (err) {
    state.running = false
    debug('DiskStore sweep failed: %s', err.message)
  }
  storage.sweep(SWEEP_BATCH).then(next, failed)
}

// IDs are stored as UTF-8, where a lone UTF-16 surrogate would become U+FFFD and two IDs could
// meet: such IDs (which no cookie can carry) are refused.
function storageKey (id) {
  const key = typeof id === 'string' ? id : String(id)
  if (!isWellFormed(key)) {
    const err = new TypeError('DiskStore session IDs must be well-formed strings (no lone surrogates)')
    err.code = 'ERR_INVALID_ARG_VALUE'
    throw err
  }
  return key
}

function needsNative () {
  const reason = core.loadError
    ? 'the native addon did not load (' + core.loadError.message + ')'
    : 'the JavaScript fallback core was forced (EXPRESS_SESSION_RS_FALLBACK=1)'
  return codedError('ERR_DISK_STORE_NEEDS_NATIVE', 'DiskStore needs the native addon, and this process runs on the ' +
    'JavaScript fallback core: ' + reason + '. Use a MemoryStore or a networked store (Redis, PostgreSQL, ...) there.')
}

module.exports = DiskStore
