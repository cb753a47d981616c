'use strict'

// Merging one request's session changes into what the store holds now, so that concurrent
// requests on one session do not undo each other's writes. Without it, every request writes back
// the whole session it loaded: request A loads {cart: []}, request B loads the same and stores
// {cart: [], visits: 1}, then A stores {cart: ['book']} and B's `visits` is gone.
//
// A merge works on the session's data (everything but `cookie`), at its top level:
//
// - `changedKeys(loadedDataJson, currentDataJson)` compares the data JSON a request loaded with the
//   data JSON it ends with, key by key, comparing each value's JSON text: a key is changed when it
//   is new or its value's JSON differs (a change anywhere inside a value changes its top-level
//   key), removed when the loaded data had it and the current data does not. Key order does not
//   matter. It answers `{ changed, removed, changesJson }`: the changed keys in the current data's
//   order, the removed keys in the loaded data's order, and the changed keys with their current
//   values as one JSON object.
// - `applyChanges(storedSession, changes, removedKeys, cookie)` writes those changes into the
//   session as stored now: each changed key gets its new value, in place if the stored session has
//   it and appended if not (plain property assignment), each removed key is deleted (a key both
//   changed and removed ends removed), the cookie is replaced, and every other key keeps the stored
//   value, which another request may have written. Values are replaced whole, never merged deeper.
//   With no stored session (destroyed, expired, evicted) there is nothing to merge into: it answers
//   null, and the caller must not write, so a merge never brings back a destroyed session.
// - `serializeById(id, task)` runs callback-style tasks `(done) => ...` for one session ID one
//   after another, in the order given, so the get, apply and set of one merge do not interleave
//   with another's in this process (separate processes sharing a store are not coordinated).
// - `mergeIntoStore(store, id, changes, removedKeys, cookie, callback)` is those three steps for
//   any store with get and set, called back with (err, merged).
// - fallback/data-json.js has `mergeDataJson(storedDataJson, changesJson, removedKeys)`,
//   applyChanges on data JSON text, for storage that keeps sessions as JSON (the JavaScript
//   MemoryStore storage).
//
// The embedded MemoryStore does the same in one native call under its lock
// (`NativeMemoryStore#merge(id, changesJson, removedKeys, cookieJson, expiresMs)`), which
// `changesJson` is shaped for.

// changedKeys reads short texts in JavaScript (fallback/data-json.js) and hands longer ones to the
// native `changedKeys` (same answers; the specs check that they agree): the native call's fixed cost
// of converting strings in and arrays out outweighs its faster reading below about 512 characters of
// JSON in all, as both call-time medians and instruction counts showed. On the JavaScript fallback
// core every text is read in JavaScript.
const core = require('../core')
const { changedKeysInJs } = require('../fallback/data-json')

const NATIVE_FROM_LENGTH = 512

// `loadedDataJson` is null or undefined when the request started without a stored session: then
// every key is changed. Both texts are expected as JSON.stringify writes objects; text that is
// not a JSON object throws.
function changedKeys (loadedDataJson, currentDataJson) {
  const loadedLength = loadedDataJson === null || loadedDataJson === undefined ? 0 : loadedDataJson.length
  return !core.isNative || loadedLength + currentDataJson.length < NATIVE_FROM_LENGTH
    ? changedKeysInJs(loadedDataJson, currentDataJson)
    : core.changedKeys(loadedDataJson, currentDataJson)
}

// __proto__ assigned with `=` would replace the prototype instead of adding a key, as JSON.parse does
function setOwn (target, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    target[key] = value
  }
}

// `changes` is an object of the changed keys and their new values (`JSON.parse(changesJson)` is
// one, __proto__ key included); `removedKeys` an array of keys; `cookie` the session's cookie.
// Modifies and returns `storedSession`, or answers null when it is null or undefined.
function applyChanges (storedSession, changes, removedKeys, cookie) {
  if (storedSession === null || storedSession === undefined) return null

  const keys = Object.keys(changes)
  for (let i = 0; i < keys.length; i++) {
    setOwn(storedSession, keys[i], changes[keys[i]])
  }
  for (let i = 0; i < removedKeys.length; i++) {
    delete storedSession[removedKeys[i]]
  }
  storedSession.cookie = cookie
  return storedSession
}

// For each session ID with tasks running or waiting, the list of tasks waiting behind the running
// one: { first, last } of nodes { task, next }.
const waitingById = new Map()

// Runs `task(done)` once every task given earlier for `id` has called its `done`. What `done` is
// called with is ignored, and calls after the first are too: report results through your own
// callbacks. A task that throws counts as done: the tasks behind it still run (from the next
// tick), and the exception goes on to whoever started the task. A task that never calls `done`
// holds up its ID's queue for good.
function serializeById (id, task) {
  const waiting = waitingById.get(id)
  if (waiting === undefined) {
    waitingById.set(id, { first: null, last: null })
    runQueue(id, task)
    return
  }
  const node = { task, next: null }
  if (waiting.last === null) waiting.first = node
  else waiting.last.next = node
  waiting.last = node
}

// Runs `task` and then, while tasks finish synchronously, the ones behind it in this loop rather
// than ever deeper in the stack; a task that finishes later resumes the queue from its `done`.
function runQueue (id, task) {
  while (task !== undefined) {
    let running = true
    let finished = false
    let finishedWhileRunning = false
    const done = function done () {
      if (finished) return
      finished = true
      if (running) {
        finishedWhileRunning = true
        return
      }
      runQueue(id, nextTask(id))
    }

    try {
      task(done)
    } catch (err) {
      finished = true
      const following = nextTask(id)
      if (following !== undefined) process.nextTick(runQueue, id, following)
      throw err
    }

    running = false
    if (!finishedWhileRunning) return
    task = nextTask(id)
  }
}

// The task after the one that just finished; forgets the ID when none is waiting.
function nextTask (id) {
  const waiting = waitingById.get(id)
  const node = waiting.first
  if (node === null) {
    waitingById.delete(id)
    return undefined
  }
  waiting.first = node.next
  if (node.next === null) waiting.last = null
  return node.task
}

// How many session IDs have tasks running or waiting (zero once every queue has drained).
function queuedIdCount () {
  return waitingById.size
}

// Reads session `id` from `store`, applies the changes and writes it back, in turn with the other
// merges into `id`. Calls back with (err, merged): merged is false when the store has no such
// session, which is then left alone.
function mergeIntoStore (store, id, changes, removedKeys, cookie, callback) {
  serializeById(id, function merge (done) {
    function finish (err, merged) {
      done()
      callback(err, merged)
    }

    store.get(id, function onStored (err, storedSession) {
      // ENOENT is how some stores (session-file-store) say there is no such session
      if (err && err.code === 'ENOENT') return finish(null, false)
      if (err) return finish(err, false)
      const merged = applyChanges(storedSession, changes, removedKeys, cookie)
      if (merged === null) return finish(null, false)
      store.set(id, merged, function onSet (err) {
        finish(err || null, !err)
      })
    })
  })
}

module.exports = { applyChanges, changedKeys, mergeIntoStore, queuedIdCount, serializeById }
