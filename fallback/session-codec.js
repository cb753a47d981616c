'use strict'

// One middleware's session cookie, read and written with the `cookie` and `cookie-signature`
// packages express-session uses: the first cookie of the name wins, its value must be `s:` and a
// signature under any of the secrets, and the first secret signs.

const cookie = require('cookie')
const signature = require('cookie-signature')
const { timingSafeEqual } = require('crypto')
const generateSessionId = require('./session-id')
const serializeCookie = require('./set-cookie')
const { requireString } = require('./arguments')

const hasOwn = Object.prototype.hasOwnProperty

class SessionCodec {
  #cookieName
  #secrets

  constructor (cookieName, secrets) {
    this.#cookieName = requireString(cookieName, 'cookieName')
    if (!Array.isArray(secrets) || !secrets.every((secret) => secret instanceof Uint8Array)) {
      throw new TypeError('secrets must be an array of Buffers')
    }
    if (secrets.length === 0) throw new TypeError('at least one secret is required')
    // copies, as the native codec keeps: later writes to the caller's buffers change nothing
    this.#secrets = secrets.map((secret) => Buffer.from(secret))
  }

  // A new session ID (the addon's codec keeps its signature for its cookie; this one signs then).
  newSessionId () {
    return generateSessionId()
  }

  // The verified session ID in a Cookie header, or null when absent, unsigned or forged.
  readSessionId (cookieHeader) {
    const cookies = cookie.parse(requireString(cookieHeader, 'cookieHeader'))
    if (!hasOwn.call(cookies, this.#cookieName)) return null
    const value = cookies[this.#cookieName]
    return value.startsWith('s:') ? this.unsign(value.slice(2)) : null
  }

  // The value of `value.signature` when the signature verifies under any secret, else null. Every
  // secret is tried and compared in constant time, so timing tells nothing of a partial match.
  unsign (signedValue) {
    const dot = requireString(signedValue, 'signedValue').lastIndexOf('.')
    if (dot === -1) return null
    const value = signedValue.slice(0, dot)
    const given = Buffer.from(signedValue)
    let matched = false
    for (const secret of this.#secrets) {
      const expected = Buffer.from(signature.sign(value, secret))
      matched = (expected.length === given.length && timingSafeEqual(expected, given)) || matched
    }
    return matched ? value : null
  }

  // The whole Set-Cookie value carrying `id` signed under the first secret.
  setCookieHeader (id, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite) {
    const value = 's:' + signature.sign(requireString(id, 'id'), this.#secrets[0])
    return serializeCookie(this.#cookieName, value, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite)
  }
}

module.exports = SessionCodec
