'use strict'

// The DiskStore's sessions this process read or committed lately, kept in JavaScript while the
// store has had no commit from anyone else. LMDB numbers its commits one after another, whichever
// process or thread makes them, and reads the last number from the file's header without a
// transaction. A read of a kept session first asks for that number: the same number as when the
// session was kept means no session has changed since, and the read then opens no transaction and
// no session crosses from the addon as a string. Any other number forgets every kept session.
// Every writer moves the number, of whatever version of this package, as it is LMDB's own.
//
// This process's own commits are numbered too: one numbered right after the number the kept
// sessions are as of was the only change since, and its writes are applied here.

// Sessions kept at most; beyond, the first kept is forgotten.
const KEPT_SESSIONS = 1024

class KeptSession {
  constructor (cookieJson, dataJson, expiresAt) {
    this.cookieJson = cookieJson
    this.dataJson = dataJson
    // epoch milliseconds, Infinity when it never expires
    this.expiresAt = expiresAt
  }
}

class CommittedSessions {
  // `ttl`: the store's lifetime for sessions saved without an expiry (milliseconds) or undefined;
  // `bounded`: whether the store has `max`, whose commits may evict any session
  constructor (storage, { ttl, bounded }) {
    this.storage = storage
    this.ttl = ttl
    this.bounded = bounded
    this.sessions = new Map()
    // the number of the commit the kept sessions are as of; -1 before any is known
    this.asOf = -1
  }

  // The kept session under `key`, live and unchanged since, or undefined.
  get (key) {
    const kept = this.sessions.get(key)
    if (kept === undefined) return undefined
    if (this.storage.lastCommit() !== this.asOf) {
      this.forget(-1)
      return undefined
    }
    if (!(kept.expiresAt > Date.now())) {
      this.sessions.delete(key)
      return undefined
    }
    return kept
  }

  // A live session the storage read as of commit `asOf`, with its cookie and data JSON apart.
  loaded (key, cookieJson, dataJson, expiresAt, asOf) {
    if (asOf !== this.asOf) this.forget(asOf)
    this.keep(key, new KeptSession(cookieJson, dataJson, expiresAt))
  }

  // This process's commit of `writes` (QueuedWrites), numbered `number` (-1 when it changed no
  // session); `outcomes` holds what the storage answered for each write (1 when it saved, touched
  // or destroyed the session, 0 when there was none to touch or destroy, -1 when it failed or was
  // left out because a later save replaced it).
  committed (number, writes, outcomes) {
    if (number < 0) return
    if (this.asOf < 0 || number !== this.asOf + 1 || this.bounded) {
      // another commit came between, or this one may have evicted any session
      this.forget(number)
      return
    }
    this.asOf = number
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]
      const kept = outcomes[i] > 0 ? this.written(write) : undefined
      if (kept === undefined) this.sessions.delete(write.key)
      else this.keep(write.key, kept)
    }
  }

  // The session as a save or touch that changed it left it, or undefined (a destroy, or an
  // expiry only the storage's clock knows).
  written (write) {
    if (write.method === 'queueSet') {
      const expiresAt = this.storedExpiry(write.args[2])
      return expiresAt === undefined ? undefined : new KeptSession(write.args[0], write.args[1], expiresAt)
    }
    if (write.method === 'queueTouch') {
      // the touch kept the data, which is kept here when the session was
      const before = this.sessions.get(write.key)
      const expiresAt = this.storedExpiry(write.args[1])
      return before === undefined || expiresAt === undefined || typeof write.args[0] !== 'string'
        ? undefined
        : new KeptSession(write.args[0], before.dataJson, expiresAt)
    }
    return undefined
  }

  // The expiry the storage gives a session saved with `expiresMs` (see DiskStore::expiry in
  // src/disk_store/mod.rs), or undefined when only its clock knows it (counted from `ttl`).
  storedExpiry (expiresMs) {
    if (Number.isFinite(expiresMs)) return Math.max(0, Math.trunc(expiresMs))
    return this.ttl === undefined ? Infinity : undefined
  }

  keep (key, kept) {
    this.sessions.delete(key)
    if (this.sessions.size >= KEPT_SESSIONS) this.sessions.delete(this.sessions.keys().next().value)
    this.sessions.set(key, kept)
  }

  // Forgets every kept session; those kept next are as of commit `asOf`. (A new Map rather than
  // clear(): see DiskWrites#commitQueued.)
  forget (asOf) {
    if (this.sessions.size !== 0) this.sessions = new Map()
    this.asOf = asOf
  }
}

module.exports = CommittedSessions
