'use strict'

// How the middleware talks to a store: load, save, touch and destroy, each answering through a
// Node-style callback. A store's own callbacks may come at once or later, never, or (wrongly)
// twice, and its methods may throw; the adapter makes each call answer at most once, and turns an
// exception thrown before the store answered into that answer's error.
//
// A store can offer a faster adapter of its own through `store[kAdapter]()` (the embedded
// MemoryStore does, answering synchronously); every other store gets CallbackStoreAdapter.
//
// With the `merge` option, a session that was loaded from the store is saved by merging only the
// top-level keys the request changed or removed into the store's current copy (session/merge.js):
// through the store's own `merge(sid, changes, removedKeys, session, callback)` when it has one,
// else, on connect-redis, by a script inside Redis (session/redis-merge.js), else by reading,
// applying and writing back, one merge per session ID at a time in this process.

const debug = require('debug')('express-session')
const { adoptSession } = require('./foreign')
const { changedKeys, mergeIntoStore } = require('./merge')
const { kAdapter } = require('./internal')
const { redisMergerFor } = require('./redis-merge')
const Session = require('./session')
const { copyStoredData, reviveCookie } = require('./stored')

class CallbackStoreAdapter {
  constructor (store) {
    this.store = store
    this.guarded = new GuardedStore(store)
    this.redisMerger = typeof store.merge === 'function' ? null : redisMergerFor(store)
  }

  // callback(err, storedSessionOrNothing)
  load (id, callback) {
    this.guarded.get(id, callback)
  }

  // Makes req.session from what load gave (a session made by another copy of express-session's
  // Store#createSession is made again as this package's: see foreign.js). Returns the new session's
  // data JSON when the store handed it over, else undefined.
  inflate (req, stored) {
    this.store.createSession(req, stored)
    adoptSession(req)
    return undefined
  }

  // For a store that keeps sessions in parts: makes req.session as Store#createSession would make
  // it from the whole stored session, from its cookie's JSON form `fields` (parsed), the Date its
  // expiry stands for (undefined when `fields.expires` is not a string) and its parsed `data`.
  // Returns `dataJson`, the data's JSON as stored, when serializing the new session gives it for
  // sure (no key of the data was left out), else undefined.
  inflateParts (req, fields, expires, data, dataJson) {
    const sess = new Session(req, null)
    sess.cookie = reviveCookie(fields, expires)
    const copiedEveryKey = copyStoredData(sess, data)
    req.session = sess
    return copiedEveryKey ? dataJson : undefined
  }

  // Saves through the session's own save(), as express-session does, so a session whose save is
  // overridden (or a session loaded from another ID) is saved its own way, under its own ID.
  save (view, callback) {
    const sess = view.session
    callOnce('set', function save (answer) { sess.save(answer) }, callback)
  }

  // `stored`: what load gave for this request's session, if anything
  touch (id, sess, stored, callback) {
    this.guarded.touch(id, sess, callback)
  }

  destroy (id, callback) {
    this.guarded.destroy(id, callback)
  }

  // Merges what changed since `baselineJson` (the data JSON the request loaded or last saved).
  merge (view, baselineJson, callback) {
    const sess = view.session
    const id = sess.id
    const store = this.store
    const redisMerger = this.redisMerger
    function onMerged (err, merged) {
      if (!err && !merged) debug('session %s is gone; nothing to merge into', id)
      callback(err)
    }

    if (redisMerger !== null && typeof store.merge !== 'function' && redisMerger.applies()) {
      // the script works out the changed and removed keys itself
      redisMerger.merge(id, baselineJson, view.dataJson, sess, onMerged)
      return
    }

    const diff = changedKeys(baselineJson, view.dataJson)
    const changes = JSON.parse(diff.changesJson)
    if (typeof store.merge === 'function') {
      callOnce('merge', function merge (answer) { store.merge(id, changes, diff.removed, sess, answer) }, callback)
      return
    }

    // read, apply, write back: one merge per session ID at a time in this process
    mergeIntoStore(this.guarded, id, changes, diff.removed, sess.cookie, onMerged)
  }
}

// A store's own methods, each called through callOnce.
class GuardedStore {
  constructor (store) {
    this.store = store
  }

  get (id, callback) {
    const store = this.store
    callOnce('get', function get (answer) { store.get(id, answer) }, callback)
  }

  set (id, sess, callback) {
    const store = this.store
    callOnce('set', function set (answer) { store.set(id, sess, answer) }, callback)
  }

  touch (id, sess, callback) {
    const store = this.store
    callOnce('touch', function touch (answer) { store.touch(id, sess, answer) }, callback)
  }

  destroy (id, callback) {
    const store = this.store
    callOnce('destroy', function destroy (answer) { store.destroy(id, answer) }, callback)
  }
}

// Runs `operation(answer)` and passes the first answer on to `callback`. An exception thrown after
// the store answered came from code the callback ran (the rest of the request), not from the store,
// and is rethrown.
function callOnce (method, operation, callback) {
  let answered = false

  function answer (err, value) {
    if (answered) {
      debug('store answered %s twice; ignoring the second answer', method)
      return
    }
    answered = true
    callback(err, value)
  }

  try {
    operation(answer)
  } catch (err) {
    if (answered) throw err
    answered = true
    callback(err)
  }
}

function adapterFor (store) {
  return typeof store[kAdapter] === 'function' ? store[kAdapter]() : new CallbackStoreAdapter(store)
}

module.exports = { CallbackStoreAdapter, adapterFor }
