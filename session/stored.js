'use strict'

// How a stored session becomes live objects again: its cookie revived as a Cookie, its data
// copied onto a Session. Store#createSession does both from a store's object; the embedded
// MemoryStore does them from the cookie fields and data JSON it keeps apart.

const Cookie = require('./cookie')

// A Cookie from the cookie's JSON form `json` (parsed), with `expires` the Date its `expires`
// string stands for, or undefined when that is not a string. The stored originalMaxAge is kept:
// setting `expires` recomputes it.
function reviveCookie (json, expires) {
  const originalMaxAge = json.originalMaxAge
  const cookie = new Cookie(json)
  if (expires !== undefined) {
    cookie.expires = expires
  }
  cookie.originalMaxAge = originalMaxAge
  return cookie
}

// Copies stored data onto a session, but never over its own methods and getters; false when a
// key was left out for that reason.
function copyStoredData (sess, data) {
  let copiedEveryKey = true
  for (const prop in data) {
    if (!(prop in sess)) {
      sess[prop] = data[prop]
    } else {
      copiedEveryKey = false
    }
  }
  return copiedEveryKey
}

module.exports = { copyStoredData, reviveCookie }
