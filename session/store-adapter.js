'use strict'

// How the middleware talks to a store: load, save, touch and destroy, each answering through a
// Node-style callback. A store's own callbacks may come at once or later, never, or (wrongly)
// twice, and its methods may throw; the adapter makes each call answer at most once, and turns an
// exception thrown before the store answered into that answer's error.
//
// A store can offer a faster adapter of its own through `store[kAdapter]()` (the embedded
// MemoryStore does, answering synchronously); every other store gets CallbackStoreAdapter.

const debug = require('debug')('express-session')
const { kAdapter } = require('./internal')

class CallbackStoreAdapter {
  constructor (store) {
    this.store = store
  }

  // callback(err, storedSessionOrNothing)
  load (id, callback) {
    const store = this.store
    callOnce('get', function get (answer) { store.get(id, answer) }, callback)
  }

  // Saves through the session's own save(), as express-session does, so a session whose save is
  // overridden (or a session loaded from another ID) is saved its own way, under its own ID.
  save (view, callback) {
    const sess = view.session
    callOnce('set', function save (answer) { sess.save(answer) }, callback)
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
