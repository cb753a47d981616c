'use strict'

// The middleware's way into the DiskStore (session/disk.js): sessions loaded with their cookie and
// data apart, writes queued per turn of the event loop (session/disk-writes.js), and a touch that
// would change nothing not written.

const Session = require('./session')
const Store = require('./store')
const { CallbackStoreAdapter } = require('./store-adapter')
const { cookieExpiry, cookieJson } = require('./serialize')
const { storeError } = require('./disk-errors')
const { kStandsInForDeferredAnswer } = require('./internal')
const { keepsShape } = require('./stored')
const { sessionJson, storageKey } = require('./disk-writes')

// where the native load writes the loaded cookie's length, the session's expiry and the number of
// the commit it was read as of (one load at a time: they are read right after each call)
const loaded = new Float64Array(3)

const storeCreateSession = Store.prototype.createSession
const sessionSave = Session.prototype.save

// A read comes from the memory map, answered at once, as the MemoryStore answers it, rather than on
// a later turn of the event loop; a write is answered once committed (see DiskWrites#forRequest).
// A store whose methods were replaced gets what any store gets.
class DiskStoreAdapter extends CallbackStoreAdapter {
  // `writes`: the store's DiskWrites (over its native storage); `ttl`: its lifetime for sessions
  // without an expiry, or undefined; `own`: the DiskStore's own get, set, touch and destroy, which
  // tell whether the store replaced one
  constructor (store, { writes, ttl, own }) {
    super(store)
    this.writes = writes
    this.ttl = ttl
    this.own = own
    this.lastCookieJson = undefined
    this.lastCookieFields = undefined
  }

  load (id, callback) {
    if (this.store.get !== this.own.get || this.store.createSession !== storeCreateSession) return super.load(id, callback)
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
    const queued = this.writes.queuedSave(key)
    if (queued === null) return undefined
    if (queued !== undefined) return this.parts(key, queued.args[0], queued.args[1])
    const committed = this.writes.committed
    const kept = committed.get(key)
    if (kept !== undefined) {
      this.writes.reads.hits++
      return this.parts(key, kept.cookieJson, kept.dataJson)
    }
    const json = this.writes.storage.load(key, loaded)
    if (json === null) return undefined
    const cookieLength = loaded[0]
    if (cookieLength < 0) return JSON.parse(json)
    const cookieJson = json.slice(0, cookieLength)
    const dataJson = json.slice(cookieLength)
    committed.loaded(key, cookieJson, dataJson, loaded[1], loaded[2])
    return this.parts(key, cookieJson, dataJson)
  }

  parts (key, cookieJson, dataJson) {
    if (cookieJson === undefined) return JSON.parse(dataJson)
    const fields = this.cookieFields(cookieJson)
    if (fields === null || typeof fields !== 'object') return JSON.parse(sessionJson(cookieJson, dataJson))
    return new StoredParts(key, fields, dataJson)
  }

  // The fields of the cookie written as `json`, parsed and frozen. The last never-expiring cookie
  // read is kept: a server's sessions mostly share one, and a cookie that expires is written with
  // its own instant.
  cookieFields (json) {
    if (json === this.lastCookieJson) return this.lastCookieFields
    const fields = Object.freeze(JSON.parse(json))
    if (fields !== null && fields.expires === null) {
      this.lastCookieJson = json
      this.lastCookieFields = fields
    }
    return fields
  }

  // What Store#createSession makes from the whole stored session, made from its parts; the data
  // JSON is handed back when serializing the new session is sure to give it.
  inflate (req, stored) {
    if (!(stored instanceof StoredParts)) return super.inflate(req, stored)
    const fields = stored.cookieFields
    const expires = typeof fields.expires === 'string' ? new Date(fields.expires) : undefined
    return this.inflateParts(req, fields, expires, stored.data, mayHaveIndexKeys(stored.data) ? undefined : stored.dataJson)
  }

  // under the session's own ID, as Session#save would, with the data JSON the middleware has made
  save (view, callback) {
    const sess = view.session
    if (this.store.set !== this.own.set || sess.save !== sessionSave) return super.save(view, callback)
    const cookie = sess.cookie
    this.writes.forRequest('set', sess.id, [cookieJson(cookie), view.dataJson, cookieExpiry(cookie)], callback)
  }

  // A touch that would write back the cookie the session was loaded with, never expiring, changes
  // nothing and is not made: a write transaction per request saved, for cookies without maxAge.
  touch (id, sess, stored, callback) {
    if (this.store.touch !== this.own.touch) return super.touch(id, sess, stored, callback)
    const cookie = sess.cookie
    if (this.ttl === undefined && stored instanceof StoredParts && stored.key === id &&
      stored.cookieFields.expires === null && keepsShape(cookie, stored.cookieFields)) {
      callback(null, kStandsInForDeferredAnswer)
      return
    }
    const json = cookieJson(cookie)
    const expiry = cookieExpiry(cookie)
    if (expiry === undefined && this.ttl === undefined && stored !== null && typeof stored === 'object' &&
      stored.cookie !== null && typeof stored.cookie === 'object' && json === JSON.stringify(stored.cookie)) {
      callback(null, kStandsInForDeferredAnswer)
      return
    }
    this.writes.forRequest('touch', id, [json, expiry], callback)
  }

  destroy (id, callback) {
    if (this.store.destroy !== this.own.destroy) return super.destroy(id, callback)
    this.writes.forRequest('destroy', id, [], callback)
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

module.exports = DiskStoreAdapter
