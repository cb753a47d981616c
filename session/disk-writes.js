'use strict'

// The DiskStore's writes, and the reads that must see them. The middleware's writes with the
// 'process' durability wait for the end of their turn of the event loop and are committed together
// (see forRequest); every other write is made at once, after the waiting ones, so that the storage
// sees writes in the order they were called, as one ordered connection to Redis would.

const debug = require('debug')('express-session')
const { storeError } = require('./disk-errors')
const { kStandsInForDeferredAnswer } = require('./internal')
const { isWellFormed } = require('./well-formed')
const { replacingSaves } = require('./replaced-writes')
const CommittedSessions = require('./committed-sessions')

const defer = setImmediate

// the storage's queueing method for each write the middleware makes
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
  // touch keeps the stored data; with a bound on the sessions, a later write of the same commit
  // may evict the session).
  leavesSession (bounded) {
    if (this.method === 'queueDestroy') return false
    if (this.method !== 'queueSet' || bounded) return undefined
    const expiresMs = this.args[2]
    return expiresMs === undefined || Math.max(0, Math.trunc(expiresMs)) > Date.now()
  }
}

// where the storage writes the number of a commit of the queued writes
const commitNumber = new Float64Array(1)

class DiskWrites {
  // `durability`: the store's; `bounded`: whether it has `max`; `ttl`: its lifetime for sessions
  // saved without an expiry (milliseconds), or undefined
  constructor (storage, { durability, bounded, ttl }) {
    this.storage = storage
    this.durability = durability
    this.bounded = bounded
    // sessions read or committed lately, while no one else commits (see session/committed-sessions.js)
    this.committed = new CommittedSessions(storage, { ttl, bounded })
    this.queued = []
    // the last write queued for each session, which a read of it is answered from (see queuedSave)
    this.lastQueued = new Map()
    // reads answered in JavaScript, which the storage's own counts do not see
    this.reads = { hits: 0, misses: 0 }
  }

  // A write the middleware makes for a request. With the 'process' durability it is queued, and
  // the writes of one turn of the event loop are committed together in one transaction after it:
  // a commit writes the pages it changed plus the trees' upper pages, the free list and the meta
  // page, which one commit per request would write again for each. The queue is kept here and
  // handed to the storage at the commit, one call right after another, which costs less than a
  // call per request made when the addon's code has gone cold; a write that a later save of the
  // same session in the turn replaces is not handed over at all (see session/replaced-writes.js).
  // Each callback is answered once the commit that holds its write is done, so a save that
  // reports success has been committed. With 'fsync' the write goes to the thread pool's group
  // commit (see now).
  forRequest (method, sessionId, args, callback) {
    if (this.durability !== 'process') return this.now(method, sessionId, args, callback)
    let key
    try {
      key = storageKey(sessionId)
    } catch (err) {
      callback(storeError(err))
      return
    }
    const queued = new QueuedWrite(queueMethods[method], key, args, callback)
    this.queued.push(queued)
    this.lastQueued.set(key, queued)
    if (this.queued.length === 1) setImmediate(commitAfterTurn, this)
  }

  // Commits the queued writes; their callbacks are answered now, or with `answerLater` on the
  // next turn (when the commit runs inside another call of the store's). Each is answered null, or
  // the error of its write or of the commit.
  commitQueued (answerLater) {
    const writes = this.queued
    if (writes.length === 0) return
    this.queued = []
    // a new Map rather than clear(): V8 leaves a cleared Map's old table holding its entries and
    // linked to the new one, so once one such table has moved to the old generation, every later
    // table and the requests its writes hold (callbacks, responses) stay alive through the young
    // generation's collections until a full one; seen as scavenges of 15 ms and a full collection
    // every 8,000 new sessions on Node 24
    this.lastQueued = new Map()
    const storage = this.storage
    const answers = new Array(writes.length).fill(null)
    // what the storage answered for each write (see CommittedSessions#committed)
    const outcomes = new Array(writes.length).fill(-1)
    // with a bound on the sessions, every write is made: the sessions a save evicts depend on the
    // writes before it
    const replacing = this.bounded ? null : replacingSaves(writes, isSave)
    // the writes the storage took, by their place in `writes`
    const held = []
    for (let i = 0; i < writes.length; i++) {
      const write = writes[i]
      if (replacing !== null && replacing[i] !== -1) continue
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
      commitNumber[0] = -1
      try {
        results = storage.commitQueued(commitNumber)
      } catch (err) {
        failure = storeError(err)
      }
      held.forEach((at, j) => {
        answers[at] = failure !== null ? failure : typeof results[j] === 'string' ? storeError(new Error(results[j])) : null
        if (answers[at] === null) outcomes[at] = results[j]
      })
      this.committed.committed(commitNumber[0], writes, outcomes)
    }
    // a replaced write is answered as the save that replaces it: stored if that one is
    if (replacing !== null) {
      for (let i = 0; i < writes.length; i++) {
        if (replacing[i] !== -1) answers[i] = answers[replacing[i]]
      }
    }
    if (answerLater) setImmediate(answerCommitted, writes, answers, 0)
    else answerCommitted(writes, answers, 0)
  }

  // A write for the middleware: answered at once when committed at once, else after the commit.
  now (method, sessionId, args, callback) {
    let written
    try {
      written = this.storage[method](storageKey(sessionId), ...args)
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

  // One write of the store's API, of session `sessionId` (none for clear). The storage commits it
  // at once with the 'process' durability, answering a number, and on the thread pool with
  // 'fsync', answering a promise; either way the callback hears of it after the commit.
  write (method, sessionId, args, callback) {
    this.commitQueued(true)
    let written
    try {
      written = sessionId === undefined
        ? this.storage[method]()
        : this.storage[method](storageKey(sessionId), ...args)
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

  // A read of the whole store (`method` of the storage, without arguments), answered as `shape`
  // of it, after the queued writes are committed.
  read (method, callback, shape) {
    this.commitQueued(true)
    let value
    try {
      value = shape(this.storage[method]())
    } catch (err) {
      return answer(callback, storeError(err))
    }
    answer(callback, null, value)
  }

  // A read of one session finds it as the writes before the read in call order left it. When this
  // turn queued a write for the session, the read is answered from that write where it tells the
  // outcome (a save or a destroy), so that concurrent requests of one session keep their writes
  // in one commit; otherwise the queue is committed first. Reads of other sessions leave the queue
  // to its commit after the turn.
  //
  // This answers the queued save a read of session `key` is answered from, null when the queue
  // leaves no live session, or undefined when the storage answers (the queue is then committed).
  queuedSave (key) {
    const queued = this.lastQueued.get(key)
    if (queued === undefined) return undefined
    const leaves = queued.leavesSession(this.bounded)
    if (leaves === undefined) {
      this.commitQueued(true)
      return undefined
    }
    this.reads[leaves ? 'hits' : 'misses']++
    return leaves ? queued : null
  }

  // The stored JSON of one session (see queuedSave), or null.
  readOne (key) {
    const queued = this.queuedSave(key)
    if (queued === undefined) return this.storage.get(key)
    return queued === null ? null : sessionJson(queued.args[0], queued.args[1])
  }
}

function isSave (write) {
  return write.method === 'queueSet'
}

function commitAfterTurn (writes) {
  writes.commitQueued(false)
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

function answer (callback, err, value) {
  if (callback) defer(callback, err, value)
  else if (err) debug('DiskStore call failed: %s', err.message)
}

// The whole session's JSON from its parts, as the storage answers it (see Record::session_json in
// src/disk_store/record.rs).
function sessionJson (cookieJson, dataJson) {
  if (cookieJson === undefined) return dataJson
  const members = dataJson.slice(1, -1).trim()
  return '{"cookie":' + cookieJson + (members === '' ? '' : ',' + members) + '}'
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

module.exports = { DiskWrites, sessionJson, storageKey }
