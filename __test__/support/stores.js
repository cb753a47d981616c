'use strict'

// Store doubles shared by the specs, a promise form of any store's callback methods, and reads
// made right after a save.

const ours = require('../..')

// JSON in a Map; answers synchronously, or on a later turn of the event loop with `deferred`.
// Specs replace single methods on an instance to make it misbehave.
class MapStore extends ours.Store {
  constructor ({ deferred = false } = {}) {
    super()
    this.map = new Map()
    this.answer = deferred ? setImmediate : (fn, ...args) => fn(...args)
  }

  get (sid, callback) {
    const json = this.map.get(sid)
    this.answer(callback, null, json === undefined ? undefined : JSON.parse(json))
  }

  set (sid, sess, callback) {
    this.map.set(sid, JSON.stringify(sess))
    this.answer(callback)
  }

  destroy (sid, callback) {
    this.map.delete(sid)
    this.answer(callback)
  }

  touch (sid, sess, callback) {
    this.answer(callback)
  }
}

// `store[method](...args, callback)` as a promise of the callback's value.
function storeCall (store, method, ...args) {
  return new Promise((resolve, reject) => {
    store[method](...args, (err, value) => (err ? reject(err) : resolve(value)))
  })
}

// What a store's reads of session `id`, all issued at once now (its `stats()` where it has one,
// `get`, `length`, `all`), answer: { sessions, get, length, all }, with the session's `n` for `get`
// and each stored session's `n`, in order, for `all`. For a read made in the same turn as a save.
function readsNow (store, id) {
  const sessions = typeof store.stats === 'function' ? store.stats().sessions : undefined
  return Promise.all([storeCall(store, 'get', id), storeCall(store, 'length'), storeCall(store, 'all')])
    .then(([sess, length, all]) => ({ sessions, get: sess && sess.n, length, all: Object.values(all).map((sess) => sess.n).sort((a, b) => a - b) }))
}

module.exports = { MapStore, readsNow, storeCall }
