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
// - `mergeDataJson(storedDataJson, changesJson, removedKeys)` is applyChanges on data JSON text,
//   for storage that keeps sessions as JSON (the JavaScript MemoryStore storage, say).
//
// The embedded MemoryStore does the same in one native call under its lock
// (`NativeMemoryStore#merge(id, changesJson, removedKeys, cookieJson, expiresMs)`), which
// `changesJson` is shaped for.

// changedKeys reads short texts here and hands longer ones to the native `changedKeys` (same
// answers; the specs check that they agree): the native call's fixed cost of converting strings in
// and arrays out outweighs its faster reading below about 512 characters of JSON in all, as both
// call-time medians and instruction counts showed. Without the addon every text is read here.
const NATIVE_FROM_LENGTH = 512
const nativeChangedKeys = loadNativeChangedKeys()

function loadNativeChangedKeys () {
  try {
    const { changedKeys } = require('../native')
    return typeof changedKeys === 'function' ? changedKeys : null
  } catch (err) {
    return null
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

// `loadedDataJson` is null or undefined when the request started without a stored session: then
// every key is changed. Both texts are expected as JSON.stringify writes objects; text that is
// not a JSON object throws.
function changedKeys (loadedDataJson, currentDataJson) {
  const loadedLength = loadedDataJson === null || loadedDataJson === undefined ? 0 : loadedDataJson.length
  return nativeChangedKeys === null || loadedLength + currentDataJson.length < NATIVE_FROM_LENGTH
    ? changedKeysInJs(loadedDataJson, currentDataJson)
    : nativeChangedKeys(loadedDataJson, currentDataJson)
}

function changedKeysInJs (loadedDataJson, currentDataJson) {
  const before = loadedDataJson === null || loadedDataJson === undefined ? [] : topLevelMembers(loadedDataJson)
  const after = topLevelMembers(currentDataJson)
  const changed = []
  const removed = []
  let changesJson = '{'

  for (let i = 0; i < after.length; i += 3) {
    const found = memberIndex(before, i, after[i])
    if (found === -1 || before[found + 2] !== after[i + 2]) {
      changed.push(after[i])
      changesJson += (changesJson.length === 1 ? '"' : ',"') + after[i + 1] + '":' + after[i + 2]
    }
  }
  for (let i = 0; i < before.length; i += 3) {
    if (memberIndex(after, i, before[i]) === -1) removed.push(before[i])
  }
  return { changed, removed, changesJson: changesJson + '}' }
}

// The members of the JSON object text `json` as a flat list of triples: key, key as written
// between its quotes, value's JSON text. Values are skipped over, not parsed.
function topLevelMembers (json) {
  const members = []
  let at = skipWhitespace(json, 0)
  if (json.charCodeAt(at) !== OPEN_BRACE) throw new SyntaxError('session data is not a JSON object')
  at = skipWhitespace(json, at + 1)
  if (json.charCodeAt(at) === CLOSE_BRACE) return members

  for (;;) {
    if (json.charCodeAt(at) !== QUOTE) throw new SyntaxError('expected a key at ' + at)
    const keyEnd = closingQuote(json, at + 1)
    const rawKey = json.slice(at + 1, keyEnd)
    at = skipWhitespace(json, keyEnd + 1)
    if (json.charCodeAt(at) !== COLON) throw new SyntaxError('expected ":" at ' + at)
    const valueStart = skipWhitespace(json, at + 1)
    at = valueEnd(json, valueStart)
    let end = at
    while (end > valueStart && isWhitespace(json.charCodeAt(end - 1))) end--
    members.push(rawKey.indexOf('\\') === -1 ? rawKey : JSON.parse('"' + rawKey + '"'), rawKey, json.slice(valueStart, end))
    if (json.charCodeAt(at) === CLOSE_BRACE) return members
    at = skipWhitespace(json, at + 1)
  }
}

// Index of the top-level comma or closing brace after the value starting at `at`.
function valueEnd (json, at) {
  let depth = 0
  for (;;) {
    const code = json.charCodeAt(at)
    if (code === QUOTE) {
      at = closingQuote(json, at + 1) + 1
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++
      at++
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (depth === 0) return at
      depth--
      at++
    } else if (code === COMMA && depth === 0) {
      return at
    } else if (Number.isNaN(code)) { // past the end
      throw new SyntaxError('unexpected end of session data')
    } else {
      at++
    }
  }
}

function closingQuote (json, at) {
  for (;;) {
    const quote = json.indexOf('"', at)
    if (quote === -1) throw new SyntaxError('unterminated string in session data')
    // escaped when preceded by an odd number of backslashes
    let backslashes = 0
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return quote
    at = quote + 1
  }
}

function skipWhitespace (json, at) {
  while (isWhitespace(json.charCodeAt(at))) at++
  return at
}

function isWhitespace (code) {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

// The data JSON `storedDataJson` with the members of the JSON object `changesJson` set and the
// keys `removedKeys` deleted, each value kept as the JSON text it was given in: what
// `NativeMemoryStore#merge` does to a session's data, for storage that keeps data JSON too. A key
// both changed and removed is removed; a key repeated in `changesJson` takes its last value.
function mergeDataJson (storedDataJson, changesJson, removedKeys) {
  const stored = topLevelMembers(storedDataJson)
  const changes = topLevelMembers(changesJson)
  const removed = new Set(removedKeys)
  const lastChange = new Map()
  for (let i = 0; i < changes.length; i += 3) lastChange.set(changes[i], i)

  let json = '{'
  const storedKeys = new Set()
  for (let i = 0; i < stored.length; i += 3) {
    const key = stored[i]
    storedKeys.add(key)
    if (removed.has(key)) continue
    const change = lastChange.get(key)
    json += (json.length === 1 ? '"' : ',"') + stored[i + 1] + '":' + (change === undefined ? stored[i + 2] : changes[change + 2])
  }
  for (let i = 0; i < changes.length; i += 3) {
    const key = changes[i]
    if (lastChange.get(key) !== i || storedKeys.has(key) || removed.has(key)) continue
    json += (json.length === 1 ? '"' : ',"') + changes[i + 1] + '":' + changes[i + 2]
  }
  return json + '}'
}

// Index of the triple with key `key` in `members`, looked for first at `position`, where it
// usually is since requests rarely reorder their session's keys; -1 when absent.
function memberIndex (members, position, key) {
  if (members[position] === key) return position
  for (let i = 0; i < members.length; i += 3) {
    if (members[i] === key) return i
  }
  return -1
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
      if (err) return finish(err, false)
      const merged = applyChanges(storedSession, changes, removedKeys, cookie)
      if (merged === null) return finish(null, false)
      store.set(id, merged, function onSet (err) {
        finish(err || null, !err)
      })
    })
  })
}

module.exports = { applyChanges, changedKeys, changedKeysInJs, mergeDataJson, mergeIntoStore, queuedIdCount, serializeById }
