'use strict'

// The session cookie: its attributes, its expiry and how it is written to a Set-Cookie header.
// The JSON form (`toJSON`) is what stores receive, so its keys, their order and the ISO `expires`
// string match express-session's and sessions can move between the two packages.
//
// Like express-session's, Cookie is a plain constructor function, so subclasses made with
// util.inherits can call `Cookie.call(this, options)`, and its prototype is an object literal:
// its accessors and methods are enumerable, in the same order, so `for...in` over a cookie lists
// the same keys, and the prototype has no own `constructor`, as there.

const deprecate = require('depd')('express-session')
const native = require('../core')
const { kWriteSetCookie } = require('./internal')
const { isWellFormed } = require('./well-formed')

function Cookie (options) {
  this.path = '/'
  this.maxAge = null
  this.httpOnly = true

  if (options) {
    if (typeof options !== 'object') {
      throw new TypeError('argument options must be a object')
    }

    // Every enumerable key, inherited ones included (options built with Object.create, or a
    // config object whose attributes are getters on its prototype, mean what they say), but never
    // `data` (a getter) nor `__proto__`: cookie JSON from a store, parsed with JSON.parse, may
    // carry a `__proto__` key, and assigning it would replace the prototype.
    for (const key in options) {
      if (key !== 'data' && key !== '__proto__') {
        this[key] = options[key]
      }
    }
  }

  if (this.originalMaxAge === undefined || this.originalMaxAge === null) {
    this.originalMaxAge = this.maxAge
  }
}

Cookie.prototype = {
  set expires (date) {
    this._expires = date
    this.originalMaxAge = this.maxAge
  },

  get expires () {
    return this._expires
  },

  // A number is milliseconds from now; a Date is accepted for old callers.
  set maxAge (ms) {
    if (ms && typeof ms !== 'number' && !(ms instanceof Date)) {
      throw new TypeError('maxAge must be a number or Date')
    }

    if (ms instanceof Date) {
      deprecate('maxAge as Date; pass number of milliseconds instead')
    }

    this.expires = typeof ms === 'number'
      ? new Date(Date.now() + ms)
      : ms
  },

  get maxAge () {
    return this.expires instanceof Date
      ? this.expires.valueOf() - Date.now()
      : this.expires
  },

  get data () {
    return {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this._expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite
    }
  },

  serialize: function serialize (name, val) {
    return writeSetCookie(this, null, String(name), String(val))
  },

  toJSON: function toJSON () {
    return this.data
  }
}

// One Set-Cookie value for `cookie`, with the attributes read straight off it (what `data` holds)
// and coerced the way the `cookie` package tests them. With a codec, `nameOrId` is the session ID
// and the codec signs it under its cookie name; without, `nameOrId` and `value` are written as given.
//
// Errors are express-session's: a TypeError with the `cookie` package's message for an invalid
// attribute, and the URIError of encodeURIComponent for a value holding a lone UTF-16 surrogate
// (which UTF-8, and so the native code, cannot represent).
function writeSetCookie (cookie, codec, nameOrId, value) {
  const expires = expiresMilliseconds(cookie._expires)
  const domain = optionalString(cookie.domain)
  const path = optionalString(cookie.path)
  const httpOnly = Boolean(cookie.httpOnly)
  const secure = Boolean(cookie.secure)
  const partitioned = Boolean(cookie.partitioned)
  const priority = keyword(cookie.priority)
  const sameSite = cookie.sameSite === true ? 'strict' : keyword(cookie.sameSite)
  // the cookie value: the given one, or the signed session ID
  const encoded = codec === null ? value : nameOrId

  let header
  try {
    header = codec === null
      ? native.serializeCookie(nameOrId, value, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite)
      : codec.setCookieHeader(nameOrId, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite)
  } catch (err) {
    // the `cookie` package checks the name before it encodes the value, and the value before the attributes
    if (err.message !== INVALID_NAME) assertEncodable(encoded)
    throw err.code === 'InvalidArg' ? new TypeError(err.message) : err
  }

  assertEncodable(encoded)
  return header
}

// Throws encodeURIComponent's own URIError ("URI malformed") for a value it cannot encode, as
// the `cookie` package would; the native serializer would have seen U+FFFD in its place.
function assertEncodable (value) {
  if (!isWellFormed(value)) encodeURIComponent(value)
}

const INVALID_NAME = 'argument name is invalid'

// Passed for a keyword attribute (priority, sameSite) given as anything but a string: the `cookie`
// package lower-cases strings only and rejects every other truthy value, which this string,
// matching no keyword, makes the native serializer do in the same order.
const NOT_A_KEYWORD = '\u0000'

function keyword (value) {
  if (!value) return undefined
  return typeof value === 'string' ? value : NOT_A_KEYWORD
}

// Absent when falsy; NaN (rejected natively as "option expires is invalid") when not a valid Date.
function expiresMilliseconds (expires) {
  if (!expires) return undefined
  return expires instanceof Date ? expires.getTime() : NaN
}

function optionalString (value) {
  return value ? String(value) : undefined
}

Cookie[kWriteSetCookie] = writeSetCookie

module.exports = Cookie
