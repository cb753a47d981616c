'use strict'

// How a session becomes the strings the native code works with: its data without the cookie
// (what the change fingerprint covers and what the MemoryStore keeps beside the cookie) and
// the expiry instant of its cookie.

// JSON of `sess` minus its `cookie` key. Hiding the cookie for the duration of one stringify keeps
// the object's shape and key order and is much cheaper than a replacer function, which would run
// for every nested key.
function sessionDataJson (sess) {
  const cookie = sess.cookie
  if (cookie === undefined) return JSON.stringify(sess)

  try {
    sess.cookie = undefined
  } catch (err) {
    // a frozen or accessor-guarded session: fall back to filtering while stringifying
    return JSON.stringify(sess, function skipCookie (key, value) {
      return this === sess && key === 'cookie' ? undefined : value
    })
  }

  try {
    return JSON.stringify(sess)
  } finally {
    sess.cookie = cookie
  }
}

// What a store or the middleware answers for a session whose JSON is undefined (a `toJSON` of its
// own that returns nothing): there is nothing to store, and saying nothing would lose it quietly.
function unstorableSessionError (id) {
  return new TypeError('session ' + id + ' cannot be saved: it serializes to undefined, not to a JSON object (check its toJSON)')
}

// The data JSON a store's set(sessionId, session, callback) stores, or undefined when the session
// serializes to undefined: the error then goes to the callback (on a later turn, as a store's
// answers do) or, without one, is thrown.
function dataJsonToSet (sessionId, session, callback) {
  const dataJson = sessionDataJson(session)
  if (dataJson === undefined) {
    const err = unstorableSessionError(sessionId)
    if (!callback) throw err
    setImmediate(callback, err)
  }
  return dataJson
}

// Epoch milliseconds at which a stored session's cookie expires, or undefined when it never does
// (a browser-session cookie, a missing cookie, or an unreadable date, as express-session treats them).
function cookieExpiry (cookie) {
  if (cookie === null || typeof cookie !== 'object') return undefined

  const expires = cookie.expires
  const ms = expires instanceof Date
    ? expires.getTime()
    : typeof expires === 'string'
      ? Date.parse(expires)
      : typeof expires === 'number' ? expires : NaN

  return Number.isFinite(ms) ? ms : undefined
}

function cookieJson (cookie) {
  return cookie === undefined || cookie === null ? undefined : JSON.stringify(cookie)
}

// Stored JSON back to an object; the native store answers null for a missing session.
function parseStored (json) {
  return json === null || json === undefined ? undefined : JSON.parse(json)
}

module.exports = { cookieExpiry, cookieJson, dataJsonToSet, parseStored, sessionDataJson, unstorableSessionError }
