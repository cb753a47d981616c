'use strict'

// The MemoryStore's storage with the sessions it recently handed over or stored remembered in
// JavaScript, so that reading one of them again does not call into the addon.
//
// Each call into the addon from a server costs a few microseconds, far more than its work: by the
// time the next request makes it, the code and data on its way (V8's API call, napi, the store)
// have left the CPU's caches. The middleware reads its session on every request; what it reads is
// a data JSON string and a cookie shape that the store handed over or was given moments before.
// This keeps those for a bounded number of sessions, and forgets a session whenever the store
// changes it by any other way than the ones that say what it now holds.
//
// It is only put in front of storage that nothing else can change: a store shared by name with
// other threads is not, and a bounded store evicts (and orders its evictions by reads) inside the
// addon, so neither gets it.

// Sessions remembered at most; beyond, the first remembered is forgotten.
const REMEMBERED_SESSIONS = 1024

// A session's parts as the storage's load reports them (see MemoryStoreAdapter#loadSession).
class Remembered {
  constructor (dataJson, shape, serial, expiresAt, flags) {
    this.dataJson = dataJson
    this.shape = shape
    this.serial = serial
    this.expiresAt = expiresAt
    this.flags = flags
  }
}

class RecentSessions {
  constructor (storage) {
    this.storage = storage
    this.sessions = new Map()
    // reads answered here, which the storage's own count of hits does not see
    this.hits = 0
  }

  load (key, parts) {
    const remembered = this.sessions.get(key)
    if (remembered !== undefined) {
      if (remembered.expiresAt > Date.now()) {
        this.hits++
        parts[0] = remembered.shape
        parts[1] = remembered.serial
        parts[2] = remembered.expiresAt
        parts[3] = remembered.flags
        return remembered.dataJson
      }
      // expired: the storage removes it and counts it
      this.sessions.delete(key)
    }
    const json = this.storage.load(key, parts)
    if (json !== null && parts[0] >= 0) this.remember(key, json, parts)
    return json
  }

  // The middleware's saves say where to report the session's parts, and are remembered; sessions
  // set through the store's callback API (a bulk load, say) are not, which would only churn the
  // memory of recent sessions and the heap.
  set (key, cookieJson, dataJson, expiresMs, parts) {
    this.sessions.delete(key)
    this.storage.set(key, cookieJson, dataJson, expiresMs, parts)
    if (parts !== undefined && parts[0] >= 0) this.remember(key, dataJson, parts)
  }

  setFields (key, shape, serial, dataJson, expiresMs, parts) {
    this.sessions.delete(key)
    if (!this.storage.setFields(key, shape, serial, dataJson, expiresMs, parts)) return false
    this.remember(key, dataJson, parts)
    return true
  }

  // Only the expiry changes; a new expiry the storage worked out itself (from `ttl`) is not known here.
  touchFields (key, shape, serial, expiresMs) {
    const touched = this.storage.touchFields(key, shape, serial, expiresMs)
    const remembered = this.sessions.get(key)
    if (touched && remembered !== undefined) {
      if (Number.isFinite(expiresMs)) remembered.expiresAt = Math.trunc(expiresMs)
      else this.sessions.delete(key)
    }
    return touched
  }

  touch (key, cookieJson, expiresMs) {
    this.sessions.delete(key)
    return this.storage.touch(key, cookieJson, expiresMs)
  }

  merge (key, changesJson, removedKeys, cookieJson, expiresMs) {
    this.sessions.delete(key)
    return this.storage.merge(key, changesJson, removedKeys, cookieJson, expiresMs)
  }

  destroy (key) {
    this.sessions.delete(key)
    this.storage.destroy(key)
  }

  clear () {
    this.sessions.clear()
    this.storage.clear()
  }

  stats () {
    const stats = this.storage.stats()
    stats.hits += this.hits
    return stats
  }

  get (key) { return this.storage.get(key) }
  cookieFieldsJson (shape, serial) { return this.storage.cookieFieldsJson(shape, serial) }
  length () { return this.storage.length() }
  entries () { return this.storage.entries() }
  sweep () { return this.storage.sweep() }

  remember (key, dataJson, parts) {
    if (this.sessions.size >= REMEMBERED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value)
    this.sessions.set(key, new Remembered(dataJson, parts[0], parts[1], parts[2], parts[3]))
  }
}

module.exports = RecentSessions
