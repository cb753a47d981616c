'use strict'

// The Rust addon's exports as the core's interface (the one fallback/ implements too). The addon
// exports plain functions over External handles rather than classes: in a server, where a call's
// code is cold by the time the next request makes it, a napi-rs class method costs a few
// microseconds more than a function call (its receiver is checked and borrowed through a
// registry), and the MemoryStore and codec are called on every request. These thin classes put
// the handles back behind methods; V8 inlines them.

const binding = require('./native')

const {
  memoryStoreOpen, memoryStoreGet, memoryStoreLoad, memoryStoreCookieFieldsJson, memoryStoreTouchFields,
  memoryStoreSet, memoryStoreSetFields, memoryStoreTouch, memoryStoreMerge, memoryStoreDestroy, memoryStoreClear, memoryStoreLength,
  memoryStoreEntries, memoryStoreSweep, memoryStoreStats,
  sessionCodecNew, sessionCodecReadSessionId, sessionCodecUnsign, sessionCodecSetCookieHeader, sessionCodecSignedIds, sessionCodecSign,
  generateSessionIds,
  diskStoreOpen, diskStoreGet, diskStoreLoad, diskStoreSet, diskStoreTouch, diskStoreMerge, diskStoreDestroy, diskStoreClear,
  diskStoreSweep, diskStoreLength, diskStoreEntries, diskStoreStats,
  diskStoreQueueSet, diskStoreQueueTouch, diskStoreQueueDestroy, diskStoreCommitQueued, diskStoreLastCommit
} = binding

const ID_LENGTH = 32
// New IDs fetched per call into the addon; each is handed out once and the rest wait in this
// module, as Node keeps its random UUIDs for crypto.randomUUID().
const IDS_PER_CALL = 64

let ids = ''
let nextId = 0

function generateSessionId () {
  if (nextId === ids.length) {
    ids = generateSessionIds(IDS_PER_CALL)
    nextId = 0
  }
  const id = ids.slice(nextId, nextId + ID_LENGTH)
  nextId += ID_LENGTH
  return id
}

// where a set reports the parts of what it stored when its caller does not want them
const unreadParts = new Float64Array(4)

class NativeMemoryStore {
  #store

  constructor (options) {
    this.#store = memoryStoreOpen(options)
  }

  get (id) { return memoryStoreGet(this.#store, id) }
  load (id, cookie) { return memoryStoreLoad(this.#store, id, cookie) }
  cookieFieldsJson (shape, serial) { return memoryStoreCookieFieldsJson(this.#store, shape, serial) }
  touchFields (id, shape, serial, expiresMs) { return memoryStoreTouchFields(this.#store, id, shape, serial, expiresMs) }
  // `parts` (a Float64Array of 4, optional) gets how the session keeps its cookie, as from load
  set (id, cookieJson, dataJson, expiresMs, parts = unreadParts) {
    memoryStoreSet(this.#store, id, cookieJson, dataJson, expiresMs, parts)
  }

  setFields (id, shape, serial, dataJson, expiresMs, parts = unreadParts) {
    return memoryStoreSetFields(this.#store, id, shape, serial, dataJson, expiresMs, parts)
  }

  touch (id, cookieJson, expiresMs) { return memoryStoreTouch(this.#store, id, cookieJson, expiresMs) }
  merge (id, changesJson, removedKeys, cookieJson, expiresMs) {
    return memoryStoreMerge(this.#store, id, changesJson, removedKeys, cookieJson, expiresMs)
  }

  destroy (id) { memoryStoreDestroy(this.#store, id) }
  clear () { memoryStoreClear(this.#store) }
  length () { return memoryStoreLength(this.#store) }
  entries () { return memoryStoreEntries(this.#store) }
  sweep () { return memoryStoreSweep(this.#store) }
  stats () { return memoryStoreStats(this.#store) }
}

// A new session's ID comes with its signature (43 characters), fetched 64 at a time like the IDs
// above, so that writing its cookie needs no call into the addon: the cookie is the signed value
// between the codec's name and the attributes its last cookie was written with, when this one's
// are the same (its expiry to the second, which is all the header says of it).
const SIGNATURE_LENGTH = 43
const SIGNED_ID_LENGTH = ID_LENGTH + SIGNATURE_LENGTH
// IDs handed out whose cookie has not been written, at most; beyond, they are forgotten, and their
// cookies (if ever written) are signed by a call of their own.
const UNWRITTEN_IDS = 1024

// The attributes a Set-Cookie value was written with, and what follows its value there.
class WrittenAttributes {
  constructor (expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite, tail) {
    this.expiresSecond = secondOf(expiresMs)
    this.domain = domain
    this.path = path
    this.httpOnly = httpOnly
    this.secure = secure
    this.partitioned = partitioned
    this.priority = priority
    this.sameSite = sameSite
    this.tail = tail
  }

  same (expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite) {
    return this.expiresSecond === secondOf(expiresMs) && this.domain === domain && this.path === path &&
      this.httpOnly === httpOnly && this.secure === secure && this.partitioned === partitioned &&
      this.priority === priority && this.sameSite === sameSite
  }
}

// The second an expiry is written as: undefined for none (null or undefined, as the addon reads
// them), NaN (never equal to itself) for an invalid one.
function secondOf (expiresMs) {
  return expiresMs === undefined || expiresMs === null ? undefined : Math.floor(expiresMs / 1000)
}

class SessionCodec {
  #codec
  // name=s%3A: what every header of this codec starts with
  #head
  #signedIds = ''
  #nextSignedId = 0
  // ID -> its signature, for the IDs handed out whose cookie has not been written yet
  #signatures = new Map()
  #lastWritten = null

  constructor (cookieName, secrets) {
    this.#codec = sessionCodecNew(cookieName, secrets)
    this.#head = cookieName + '=s%3A'
  }

  // A new session ID, with its signature kept for its cookie.
  newSessionId () {
    if (this.#nextSignedId === this.#signedIds.length) {
      this.#signedIds = sessionCodecSignedIds(this.#codec, IDS_PER_CALL)
      this.#nextSignedId = 0
    }
    const at = this.#nextSignedId
    const id = this.#signedIds.slice(at, at + ID_LENGTH)
    this.#nextSignedId = at + SIGNED_ID_LENGTH
    if (this.#signatures.size >= UNWRITTEN_IDS) this.#signatures.clear()
    this.#signatures.set(id, this.#signedIds.slice(at + ID_LENGTH, at + SIGNED_ID_LENGTH))
    return id
  }

  readSessionId (cookieHeader) { return sessionCodecReadSessionId(this.#codec, cookieHeader) }
  sign (id) { return sessionCodecSign(this.#codec, id) }
  unsign (signedValue) { return sessionCodecUnsign(this.#codec, signedValue) }

  setCookieHeader (id, expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite) {
    const signature = this.#signatures.get(id)
    if (signature === undefined) {
      return sessionCodecSetCookieHeader(this.#codec, id, expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite)
    }
    this.#signatures.delete(id)
    // the value as encodeURIComponent writes it: the ID's characters are all unreserved
    const value = id + '.' + encodeURIComponent(signature)
    const last = this.#lastWritten
    if (last !== null && last.same(expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite)) {
      return this.#head + value + last.tail
    }
    const header = sessionCodecSetCookieHeader(this.#codec, id, expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite)
    if (header.startsWith(this.#head + value)) {
      const tail = header.slice(this.#head.length + value.length)
      this.#lastWritten = new WrittenAttributes(expiresMs, domain, path, httpOnly, secure, partitioned, priority, sameSite, tail)
    }
    return header
  }
}

// The DiskStore's storage (see session/disk.js). A write answers its outcome, or a promise of it
// with the 'fsync' durability.
class NativeDiskStore {
  #store

  constructor (options) {
    this.#store = diskStoreOpen(options)
  }

  get (id) { return diskStoreGet(this.#store, id) }
  // the session's cookie JSON then its data JSON; written into parts: the cookie's length, the
  // session's expiry and the number of the commit it was read as of
  load (id, parts) { return diskStoreLoad(this.#store, id, parts) }
  lastCommit () { return diskStoreLastCommit(this.#store) }
  set (id, cookieJson, dataJson, expiresMs) { return diskStoreSet(this.#store, id, cookieJson, dataJson, expiresMs) }
  touch (id, cookieJson, expiresMs) { return diskStoreTouch(this.#store, id, cookieJson, expiresMs) }
  merge (id, changesJson, removedKeys, cookieJson, expiresMs) {
    return diskStoreMerge(this.#store, id, changesJson, removedKeys, cookieJson, expiresMs)
  }

  destroy (id) { return diskStoreDestroy(this.#store, id) }
  clear () { return diskStoreClear(this.#store) }
  sweep (limit) { return diskStoreSweep(this.#store, limit) }
  length () { return diskStoreLength(this.#store) }
  entries () { return diskStoreEntries(this.#store) }
  stats () { return diskStoreStats(this.#store) }

  // writes held for commitQueued, which commits them in one transaction and answers each one's
  // outcome, or its error's message
  queueSet (id, cookieJson, dataJson, expiresMs) { diskStoreQueueSet(this.#store, id, cookieJson, dataJson, expiresMs) }
  queueTouch (id, cookieJson, expiresMs) { diskStoreQueueTouch(this.#store, id, cookieJson, expiresMs) }
  queueDestroy (id) { diskStoreQueueDestroy(this.#store, id) }
  commitQueued (number) { return diskStoreCommitQueued(this.#store, number) }
}

// `sign` is a measurement hook that only an addon built with the `bench-probes` feature has (see
// bench/micro.js)
if (typeof sessionCodecSign !== 'function') delete SessionCodec.prototype.sign

module.exports = {
  generateSessionId,
  serializeCookie: binding.serializeCookie,
  SessionCodec,
  NativeMemoryStore,
  changedKeys: binding.changedKeys,
  NativeDiskStore,
  diskStoreIsOpen: binding.diskStoreIsOpen,
  diskStoreVerify: binding.diskStoreVerify,
  threadsafeCallProbe: binding.threadsafeCallProbe
}
