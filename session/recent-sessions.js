'use strict'

// The MemoryStore's storage with the sessions it recently handed over or stored remembered in
// JavaScript, so that reading one of them again does not call into the addon, and with the
// middleware's saves handed to the addon together, once per turn of the event loop.
//
// Each call into the addon from a server costs a few microseconds, far more than its work: by the
// time the next request makes it, the code and data on its way (V8's API call, napi, the store)
// have left the CPU's caches. A call right after another, in a loop, costs a fraction of that.
//
// Reads: the middleware reads its session on every request; what it reads is a data JSON string
// and a cookie shape that the store handed over or was given moments before. This keeps those for a
// bounded number of sessions, and forgets a session whenever the store changes it by any other way
// than the ones that say what it now holds.
//
// Writes: a save by cookie shape (setFields) is remembered at once, with the parts the storage will
// report for it, and so is a touch of a remembered session to a new expiry (touchFields); both
// wait, and after the turn of the event loop that made them the waiting writes are handed to the
// addon one after another. A saturated server handles many requests per turn (about 14 with 16 busy
// connections), so most of its writes make a warm call instead of a cold one, and a write that a
// later save of the same session in that turn replaces whole is not handed over at all (concurrent
// requests of one session, each saving it). Every other use of the storage hands the waiting writes
// over first, so the storage is never seen without them: reads of the remembered sessions are
// answered from here, and a session that is not remembered has no write waiting.
//
// It is only put in front of storage that nothing else can change: a store shared by name with
// other threads is not, and a bounded store evicts (and orders its evictions by reads) inside the
// addon, so neither gets it.

const { replacingSaves } = require('./replaced-writes')

// Sessions remembered at most; beyond, the first remembered is forgotten.
const REMEMBERED_SESSIONS = 1024
// Writes waiting at most: more are handed over at once.
const WAITING_WRITES = 128

// The parts' flags, as the storage reports them (see MemoryStoreAdapter#loadSession).
const DATA_AS_STRINGIFIED = 1
const TOUCH_CHANGES_NOTHING = 2
// The storage's expiry for a session that never expires (i64::MAX, as a double).
const NEVER = 2 ** 63
// The expiries a cookie's `expires` can be written for (years 0000 to 9999, as in src/iso_time.rs).
const FIRST_WRITABLE = -62167219200000
const LAST_WRITABLE = 253402300799999

// A session's parts as the storage's load reports them (see MemoryStoreAdapter#loadSession).
class Remembered {
  constructor (dataJson, shape, serial, expiresAt, flags) {
    this.dataJson = dataJson
    this.shape = shape
    this.serial = serial
    this.expiresAt = expiresAt
    this.flags = flags
    // its last save or touch, while that waits to be handed to the storage
    this.waiting = null
  }
}

// A save (with `dataJson`) or a touch (without) by cookie shape that the storage has not had yet.
// `fields` is the shape's cookie JSON (parsed), from which the cookie's own JSON is written again
// should the storage no longer take the shape's number by then.
class WaitingWrite {
  constructor (key, shape, serial, dataJson, expiresMs, fields, remembered) {
    this.key = key
    this.shape = shape
    this.serial = serial
    this.dataJson = dataJson
    this.expiresMs = expiresMs
    this.fields = fields
    this.remembered = remembered
  }
}

// where a waiting save's storage reports the parts it stored
const storedParts = new Float64Array(4)

class RecentSessions {
  // `ttl`: the store's lifetime for sessions saved without an expiry, in milliseconds, or undefined
  constructor (storage, ttl) {
    this.storage = storage
    this.ttl = ttl
    this.sessions = new Map()
    this.waiting = []
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
      // expired: the storage removes it and counts it, once it has every save
      if (remembered.waiting !== null) this.handOver()
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
    this.handOver()
    this.sessions.delete(key)
    this.storage.set(key, cookieJson, dataJson, expiresMs, parts)
    if (parts !== undefined && parts[0] >= 0) this.remember(key, dataJson, parts)
  }

  // A save by cookie shape, waiting for the end of this turn when `fields` (the shape's cookie
  // JSON, parsed) shows that the storage will take it: the expiry is of the kind the shape writes.
  setFields (key, shape, serial, dataJson, expiresMs, parts, fields) {
    if (fields === undefined || !suitsShape(fields, expiresMs)) {
      this.handOver()
      this.sessions.delete(key)
      if (!this.storage.setFields(key, shape, serial, dataJson, expiresMs, parts)) return false
      this.remember(key, dataJson, parts)
      return true
    }

    // the parts the storage will report (its expiry under `ttl` counts from its own clock, and is
    // corrected once it has the save)
    const expiresAt = Number.isFinite(expiresMs)
      ? Math.trunc(expiresMs)
      : this.ttl !== undefined ? Date.now() + this.ttl : NEVER
    const touchChangesNothing = this.ttl === undefined && expiresAt === NEVER && typeof fields.expires !== 'string'
    parts[0] = shape
    parts[1] = serial
    parts[2] = expiresAt
    parts[3] = DATA_AS_STRINGIFIED | (touchChangesNothing ? TOUCH_CHANGES_NOTHING : 0)
    this.sessions.delete(key)
    const remembered = this.remember(key, dataJson, parts)
    this.wait(new WaitingWrite(key, shape, serial, dataJson, expiresMs, fields, remembered))
    return true
  }

  // Only the expiry changes: 1 when touched, 0 when the caller must touch with the cookie's JSON,
  // -1 when there is no live session (as the storage's touchFields answers). A touch of a live
  // remembered session to a date its shape can write waits for the end of this turn, as saves do.
  touchFields (key, shape, serial, expiresMs, fields) {
    const remembered = this.sessions.get(key)
    if (fields !== undefined && remembered !== undefined && remembered.expiresAt > Date.now() &&
      remembered.shape === shape && remembered.serial === serial &&
      typeof fields.expires === 'string' && suitsShape(fields, expiresMs)) {
      remembered.expiresAt = Math.trunc(expiresMs)
      this.wait(new WaitingWrite(key, shape, serial, undefined, expiresMs, fields, remembered))
      return 1
    }
    if (remembered !== undefined && remembered.waiting !== null) this.handOver()
    const touched = this.storage.touchFields(key, shape, serial, expiresMs)
    if (remembered !== undefined && this.sessions.get(key) === remembered) {
      // a new expiry the storage worked out itself (from `ttl`) is not known here, and a session
      // the storage no longer has is forgotten
      if (touched > 0 && Number.isFinite(expiresMs)) remembered.expiresAt = Math.trunc(expiresMs)
      else if (touched !== 0) this.sessions.delete(key)
    }
    return touched
  }

  touch (key, cookieJson, expiresMs) {
    this.handOver()
    this.sessions.delete(key)
    return this.storage.touch(key, cookieJson, expiresMs)
  }

  merge (key, changesJson, removedKeys, cookieJson, expiresMs) {
    this.handOver()
    this.sessions.delete(key)
    return this.storage.merge(key, changesJson, removedKeys, cookieJson, expiresMs)
  }

  destroy (key) {
    this.handOver()
    this.sessions.delete(key)
    this.storage.destroy(key)
  }

  clear () {
    this.handOver()
    this.sessions.clear()
    this.storage.clear()
  }

  stats () {
    this.handOver()
    const stats = this.storage.stats()
    stats.hits += this.hits
    return stats
  }

  get (key) {
    this.handOver()
    return this.storage.get(key)
  }

  cookieFieldsJson (shape, serial) {
    this.handOver()
    return this.storage.cookieFieldsJson(shape, serial)
  }

  length () {
    this.handOver()
    return this.storage.length()
  }

  entries () {
    this.handOver()
    return this.storage.entries()
  }

  sweep () {
    this.handOver()
    return this.storage.sweep()
  }

  wait (write) {
    write.remembered.waiting = write
    this.waiting.push(write)
    if (this.waiting.length === 1) setImmediate(handOverWaiting, this)
    else if (this.waiting.length >= WAITING_WRITES) this.handOver()
  }

  remember (key, dataJson, parts) {
    if (this.sessions.size >= REMEMBERED_SESSIONS) {
      // a session is never forgotten while its write waits: the storage gets the waiting writes first
      const oldest = this.sessions.keys().next().value
      if (this.sessions.get(oldest).waiting !== null) this.handOver()
      this.sessions.delete(oldest)
    }
    const remembered = new Remembered(dataJson, parts[0], parts[1], parts[2], parts[3])
    this.sessions.set(key, remembered)
    return remembered
  }

  // Hands every waiting write to the storage, in the order they were made. A write the storage no
  // longer takes by shape (the shape went with its last other session meanwhile) is made with the
  // cookie's JSON instead.
  handOver () {
    const waiting = this.waiting
    if (waiting.length === 0) return
    this.waiting = []
    const replacing = replacingSaves(waiting, isSave)
    let failure = null
    for (let i = 0; i < waiting.length; i++) {
      const write = waiting[i]
      const remembered = write.remembered
      if (remembered.waiting === write) remembered.waiting = null
      // a later save of the same turn replaces this write whole, and a read made meanwhile was
      // answered here: the storage would only overwrite it
      if (replacing !== null && replacing[i] !== -1) continue
      let stored
      try {
        stored = write.dataJson !== undefined ? this.storeSave(write) : this.storeTouch(write)
      } catch (err) {
        failure = failure || err
        stored = false
      }
      // what loads were told since the write stays true, or is put right
      if (this.sessions.get(write.key) === remembered) {
        if (!stored) {
          this.sessions.delete(write.key)
        } else if (write.dataJson !== undefined) {
          remembered.shape = storedParts[0]
          remembered.serial = storedParts[1]
          remembered.expiresAt = storedParts[2]
          remembered.flags = storedParts[3]
        } else {
          remembered.expiresAt = Math.trunc(write.expiresMs)
        }
      }
    }
    // an addon that cannot store a session it took the parts of is a bug, not a state to go on in
    // quietly: the application hears of it, and the session is read from the storage from now on
    if (failure !== null) {
      process.emitWarning('MemoryStore: a session saved for a request could not be stored: ' + failure.message, {
        type: 'ExpressSessionRsWarning',
        code: 'EXPRESS_SESSION_RS_SAVE_LOST'
      })
    }
  }

  // A waiting save made; true when the storage reported the parts it stored (in storedParts).
  storeSave (save) {
    if (!this.storage.setFields(save.key, save.shape, save.serial, save.dataJson, save.expiresMs, storedParts)) {
      this.storage.set(save.key, cookieJsonOf(save.fields, save.expiresMs), save.dataJson, save.expiresMs, storedParts)
    }
    return storedParts[0] >= 0
  }

  // A waiting touch made; true when the session is still there with the shape it was remembered
  // with. One that expired meanwhile stays gone; one the storage no longer touches by shape is
  // touched with its cookie's JSON, which may keep the cookie under another shape's number. Either
  // way it is forgotten here.
  storeTouch (touch) {
    const touched = this.storage.touchFields(touch.key, touch.shape, touch.serial, touch.expiresMs)
    if (touched === 0) this.storage.touch(touch.key, cookieJsonOf(touch.fields, touch.expiresMs), touch.expiresMs)
    return touched > 0
  }
}

function isSave (write) {
  return write.dataJson !== undefined
}

function handOverWaiting (recent) {
  recent.handOver()
}

// Whether an expiry is of the kind a cookie shape writes: a date the shape can write when it has
// one, none when it has not (as the storage's setFields checks).
function suitsShape (fields, expiresMs) {
  return typeof fields.expires === 'string'
    ? Number.isFinite(expiresMs) && Math.trunc(expiresMs) >= FIRST_WRITABLE && Math.trunc(expiresMs) <= LAST_WRITABLE
    : expiresMs === undefined
}

// The JSON of a cookie with a shape's fields and the given expiry: the shape's own JSON, its
// `expires` written for `expiresMs` when it has one.
function cookieJsonOf (fields, expiresMs) {
  return typeof fields.expires === 'string'
    ? JSON.stringify({ ...fields, expires: new Date(Math.trunc(expiresMs)).toISOString() })
    : JSON.stringify(fields)
}

module.exports = RecentSessions
