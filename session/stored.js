'use strict'

// How a stored session becomes live objects again: its cookie revived as a Cookie, its data
// copied onto a Session. Store#createSession does both from a store's object; the embedded
// MemoryStore and DiskStore do them from the cookie fields and data JSON they keep apart.

const Cookie = require('./cookie')

const cookieToJson = Cookie.prototype.toJSON
const hasOwn = Object.prototype.hasOwnProperty

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

// Whether `cookie` serializes to the JSON form `fields` but for its expiry: a Cookie serialized
// the Cookie way, with the same attributes and an `expires` of the same kind (null in both, or a
// Date where `fields` has a string; whether it is the same instant is for the caller to tell).
function keepsShape (cookie, fields) {
  if (cookie === null || typeof cookie !== 'object' || Object.getPrototypeOf(cookie) !== Cookie.prototype ||
    cookie.toJSON !== cookieToJson || hasOwn.call(cookie, 'data')) {
    return false
  }
  const expires = cookie.expires
  return (typeof fields.expires === 'string'
    ? expires !== null && typeof expires === 'object' && Object.getPrototypeOf(expires) === Date.prototype
    : expires === fields.expires) &&
    cookie.originalMaxAge === fields.originalMaxAge &&
    cookie.partitioned === fields.partitioned &&
    cookie.priority === fields.priority &&
    cookie.secure === fields.secure &&
    cookie.httpOnly === fields.httpOnly &&
    cookie.domain === fields.domain &&
    cookie.path === fields.path &&
    cookie.sameSite === fields.sameSite
}

module.exports = { copyStoredData, keepsShape, reviveCookie }
