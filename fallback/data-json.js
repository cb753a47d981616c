'use strict'

// Session data JSON read at its top level, in JavaScript: the fallback twins of the native
// `changedKeys` and of the data merge `NativeMemoryStore#merge` performs (src/session_merge.rs).
// Values are compared and kept as the JSON text they were given in, never parsed.

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

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

module.exports = { changedKeys: changedKeysInJs, changedKeysInJs, mergeDataJson }
