'use strict'

// The MemoryStore's storage in JavaScript, with the native storage's interface and behaviour:
// session JSON by ID, split into the cookie JSON and the data JSON; expiry at an epoch-millisecond
// instant (or after the `ttl` option, or never); expired sessions never returned and removed when
// met or swept; an optional `max` bound evicting the least recently used session (lru-cache keeps
// the recency order); and the same counters.
//
// What it cannot do is share one set of sessions between the worker threads of a process: each
// thread has its own JavaScript heap. A `name` (which asks for that sharing) is therefore refused
// with an error rather than quietly giving each thread a separate store.

const { LRUCache } = require('lru-cache')
const { mergeDataJson } = require('./data-json')
const { optionalNumber, optionalString, requireString } = require('./arguments')

const NEVER = Infinity
const MAX_BOUND = 2 ** 32 - 1

// Bytes counted for an entry besides its strings: the entry object and the cache's slot for it.
const ENTRY_OVERHEAD = 64

const NAMED_STORE_ERROR = 'MemoryStore `name` (sessions shared by the worker threads of a process) needs ' +
  "express-session-rs's native addon, which is not loaded: this process runs the JavaScript fallback " +
  '(see `require("express-session-rs").native`). Leave `name` out to get a store private to this thread, ' +
  'or use a store all threads can reach, such as Redis.'

class FallbackMemoryStore {
  #cache
  #ttl
  #stats = { hits: 0, misses: 0, expirations: 0, evictions: 0 }

  constructor (options) {
    const { name, max, ttl } = options || {}
    if (name !== undefined && name !== null) {
      const err = new Error(NAMED_STORE_ERROR)
      err.code = 'ERR_NAMED_STORE_NEEDS_NATIVE'
      throw err
    }
    const bound = optionalNumber(max, 'max')
    this.#ttl = milliseconds(optionalNumber(ttl, 'ttl'))
    this.#cache = new LRUCache({
      // lru-cache preallocates its bookkeeping for `max` entries (about 36 bytes each); a bound
      // beyond what an array can index is no bound, as for the native store
      max: bound >= 1 && bound <= MAX_BOUND ? Math.floor(bound) : 0,
      // sizes are only counted (for stats().bytes), never a reason to evict
      maxSize: Number.MAX_SAFE_INTEGER,
      sizeCalculation: footprint,
      dispose: (entry, id, reason) => {
        if (reason === 'evict') this.#stats.evictions++
      }
    })
  }

  // The session's JSON, or null when it is missing or expired.
  get (id) {
    const entry = this.#cache.get(requireString(id, 'id'))
    if (entry !== undefined && !this.#expire(id, entry, Date.now())) {
      this.#stats.hits++
      return sessionJson(entry)
    }
    this.#stats.misses++
    return null
  }

  // The middleware's read. The addon hands some sessions over as data and cookie fields; this
  // store keeps no shared cookie fields, so every session comes as its whole JSON (marked by -1),
  // and the addon's methods for cookie fields (cookieFieldsJson, touchFields) are never called here.
  load (id, cookie) {
    cookie[0] = -1
    return this.get(id)
  }

  // `parts`, when given, gets -1 at 0: like load, this storage reports no cookie shapes (so it is
  // never asked to store by one, with the addon's setFields)
  set (id, cookieJson, dataJson, expiresMs, parts) {
    if (parts !== undefined) parts[0] = -1
    const now = Date.now()
    this.#cache.set(requireString(id, 'id'), {
      cookie: optionalString(cookieJson, 'cookieJson'),
      data: requireString(dataJson, 'dataJson'),
      expiresAt: this.#expiry(expiresMs, now)
    })
  }

  // Replaces the cookie and expiry of a live session, keeping its data; false when there is none.
  touch (id, cookieJson, expiresMs) {
    const now = Date.now()
    const entry = this.#cache.get(requireString(id, 'id'))
    if (entry === undefined || this.#expire(id, entry, now)) return false
    this.#cache.set(id, {
      cookie: optionalString(cookieJson, 'cookieJson'),
      data: entry.data,
      expiresAt: this.#expiry(expiresMs, now)
    })
    return true
  }

  // Merges a request's changes into a live session's data (see session/merge.js); false, changing
  // nothing, when there is none: a merge never brings a session back.
  merge (id, changesJson, removedKeys, cookieJson, expiresMs) {
    const now = Date.now()
    const entry = this.#cache.get(requireString(id, 'id'))
    if (entry === undefined || this.#expire(id, entry, now)) return false
    this.#cache.set(id, {
      cookie: optionalString(cookieJson, 'cookieJson'),
      data: mergeDataJson(entry.data, requireString(changesJson, 'changesJson'), removedKeys),
      expiresAt: this.#expiry(expiresMs, now)
    })
    return true
  }

  destroy (id) {
    this.#cache.delete(requireString(id, 'id'))
  }

  // Forgets every session; the counters carry on.
  clear () {
    this.#cache.clear()
  }

  // Live sessions, after removing the expired ones.
  length () {
    this.sweep()
    return this.#cache.size
  }

  // Live sessions as a flat list, least recently used first: ID, JSON, ID, JSON, ...
  entries () {
    this.sweep()
    const flat = []
    for (const [id, entry] of this.#cache.rentries()) flat.push(id, sessionJson(entry))
    return flat
  }

  // Removes expired sessions; returns how many.
  sweep () {
    const now = Date.now()
    const expired = []
    for (const [id, entry] of this.#cache.rentries()) {
      if (entry.expiresAt <= now) expired.push(id)
    }
    for (const id of expired) this.#cache.delete(id)
    this.#stats.expirations += expired.length
    return expired.length
  }

  stats () {
    return { sessions: this.#cache.size, bytes: this.#cache.calculatedSize, ...this.#stats }
  }

  // Removes the entry when it has expired by `now`; true when it did.
  #expire (id, entry, now) {
    if (entry.expiresAt > now) return false
    this.#cache.delete(id)
    this.#stats.expirations++
    return true
  }

  #expiry (expiresMs, now) {
    const at = milliseconds(optionalNumber(expiresMs, 'expiresMs'))
    if (at !== undefined) return at
    return this.#ttl === undefined ? NEVER : now + this.#ttl
  }
}

// A finite millisecond count as an integer; anything else is absent.
function milliseconds (ms) {
  return Number.isFinite(ms) ? Math.trunc(ms) : undefined
}

// The whole session: the cookie first, then the data's keys (the data JSON is an object's).
function sessionJson (entry) {
  const { cookie, data } = entry
  if (cookie === undefined) return data
  const rest = data[0] === '{' ? data.slice(1) : ''
  return rest === '' || rest === '}'
    ? '{"cookie":' + cookie + '}'
    : '{"cookie":' + cookie + ',' + rest
}

function footprint (entry, id) {
  return id.length + (entry.cookie === undefined ? 0 : entry.cookie.length) + entry.data.length + ENTRY_OVERHEAD
}

module.exports = FallbackMemoryStore
