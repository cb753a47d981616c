'use strict'

// The session cookie: its attributes, its expiry and how it is written to a Set-Cookie header.
// The JSON form (`toJSON`) is what stores receive, so its keys, their order and the ISO `expires`
// string match express-session's and sessions can move between the two packages.

const deprecate = require('depd')('express-session')
const native = require('../core')
const { kWriteSetCookie } = require('./internal')

class Cookie {
  constructor (options) {
    this.path = '/'
    this.maxAge = null
    this.httpOnly = true

    if (options) {
      if (typeof options !== 'object') {
        throw new TypeError('argument options must be a object')
      }

      for (const key in options) {
        if (key !== 'data') {
          this[key] = options[key]
        }
      }
    }

    if (this.originalMaxAge === undefined || this.originalMaxAge === null) {
      this.originalMaxAge = this.maxAge
    }
  }

  set expires (date) {
    this._expires = date
    this.originalMaxAge = this.maxAge
  }

  get expires () {
    return this._expires
  }

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
  }

  get maxAge () {
    return this.expires instanceof Date
      ? this.expires.valueOf() - Date.now()
      : this.expires
  }

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
  }

  serialize (name, val) {
    return writeSetCookie(this, null, String(name), String(val))
  }

  toJSON () {
    return this.data
  }
}

// One Set-Cookie value for `cookie`, with the attributes read straight off it (what `data` holds)
// and coerced the way the `cookie` package tests them. With a codec, `nameOrId` is the session ID
// and the codec signs it under its cookie name; without, `nameOrId` and `value` are written as given.
function writeSetCookie (cookie, codec, nameOrId, value) {
  const expires = expiresMilliseconds(cookie._expires)
  const domain = optionalString(cookie.domain)
  const path = optionalString(cookie.path)
  const httpOnly = Boolean(cookie.httpOnly)
  const secure = Boolean(cookie.secure)
  const partitioned = Boolean(cookie.partitioned)
  const priority = optionalString(cookie.priority)
  const sameSite = cookie.sameSite === true ? 'strict' : optionalString(cookie.sameSite)

  return codec === null
    ? native.serializeCookie(nameOrId, value, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite)
    : codec.setCookieHeader(nameOrId, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite)
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
