'use strict'

// A session store on the local disk, shared by every process and worker thread of the machine that
// opens the same directory, and kept across restarts (see src/disk_store/). Reads come from the
// file's memory map on the calling thread (the middleware's, from the sessions it keeps while no
// one else commits: see session/committed-sessions.js). Writes commit on the calling thread with the default
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
const { optionalPositiveInteger, optionalPositiveNumber } = require('./store-options')
const { checkStoreFile } = require('./disk-check')
const { codedError, storeError } = require('./disk-errors')
const { kAdapter } = require('./internal')
const { DiskWrites, storageKey } = require('./disk-writes')
const DiskStoreAdapter = require('./disk-adapter')

const defer = setImmediate
const kStorage = Symbol('disk storage')
const kSweep = Symbol('disk sweep')
const kTtl = Symbol('disk ttl')
const kWrites = Symbol('disk writes')

// expired sessions deleted per transaction, so that a sweep holds the write lock only briefly
const SWEEP_BATCH = 1000
const DEFAULTS = { durability: 'process', mapSize: 1024 * 1024 * 1024, checkPeriod: 5 * 60 * 1000 }
const DURABILITIES = ['process', 'fsync']

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
  this[kWrites] = new DiskWrites(storage, { durability, bounded: max !== undefined, ttl })
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
    json = this[kWrites].readOne(storageKey(sessionId))
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
  this[kWrites].write('set', sessionId, [cookieJson(cookie), dataJson, cookieExpiry(cookie)], callback)
}

// A new cookie and expiry for a stored session; the data stays as stored (another process may
// have changed it meanwhile), and a session that is gone stays gone.
DiskStore.prototype.touch = function touch (sessionId, session, callback) {
  const cookie = session.cookie
  this[kWrites].write('touch', sessionId, [cookieJson(cookie), cookieExpiry(cookie)], callback)
}

// The optional merge method of the store contract, atomic across every process on the store: in
// one write transaction, the `changes` (top-level keys and their new values) are written into the
// session as stored now, the `removedKeys` deleted and the cookie replaced; a session that is no
// longer there (destroyed, expired, evicted) stays gone.
DiskStore.prototype.merge = function merge (sessionId, changes, removedKeys, session, callback) {
  const cookie = session.cookie
  this[kWrites].write('merge', sessionId, [JSON.stringify(changes), removedKeys, cookieJson(cookie), cookieExpiry(cookie)], callback)
}

DiskStore.prototype.destroy = function destroy (sessionId, callback) {
  this[kWrites].write('destroy', sessionId, [], callback)
}

DiskStore.prototype.clear = function clear (callback) {
  this[kWrites].write('clear', undefined, [], callback)
}

DiskStore.prototype.all = function all (callback) {
  this[kWrites].read('entries', callback, function bySessionId (flat) {
    const sessions = Object.create(null)
    for (let i = 0; i < flat.length; i += 2) {
      sessions[flat[i]] = JSON.parse(flat[i + 1])
    }
    return sessions
  })
}

DiskStore.prototype.length = function length (callback) {
  this[kWrites].read('length', callback, Number)
}

// { sessions, bytes, hits, misses, expirations, evictions }: sessions and bytes are the store's
// (every process's, expired sessions not yet swept included; bytes of the file in use), the
// counters this process's.
DiskStore.prototype.stats = function stats () {
  const writes = this[kWrites]
  writes.commitQueued(true)
  let stats
  try {
    stats = this[kStorage].stats()
  } catch (err) {
    throw storeError(err)
  }
  stats.hits += writes.reads.hits
  stats.misses += writes.reads.misses
  return stats
}

// Stop the expiry sweeper (the MemoryStore's name for it).
DiskStore.prototype.stopInterval = function stopInterval () {
  if (this.sweeper !== null) {
    clearInterval(this.sweeper)
    this.sweeper = null
  }
}

// this store's own methods, which the adapter calls the storage in place of while they are not replaced
const own = {
  get: DiskStore.prototype.get,
  set: DiskStore.prototype.set,
  touch: DiskStore.prototype.touch,
  destroy: DiskStore.prototype.destroy
}

DiskStore.prototype[kAdapter] = function adapter () {
  return new DiskStoreAdapter(this, { writes: this[kWrites], ttl: this[kTtl], own })
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

function needsNative () {
  const reason = core.loadError
    ? 'the native addon did not load (' + core.loadError.message + ')'
    : 'the JavaScript fallback core was forced (EXPRESS_SESSION_RS_FALLBACK=1)'
  return codedError('ERR_DISK_STORE_NEEDS_NATIVE', 'DiskStore needs the native addon, and this process runs on the ' +
    'JavaScript fallback core: ' + reason + '. Use a MemoryStore or a networked store (Redis, PostgreSQL, ...) there.')
}

module.exports = DiskStore
