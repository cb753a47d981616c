'use strict'

// What the middleware reads off a request: whether its path is within the cookie's, whether its
// connection is secure, and the verified session ID its cookie carries.

const deprecate = require('depd')('express-session')
const parseUrl = require('parseurl')
const { readSessionId: readVerifiedId, unsign } = require('./codec')

// Whether the request's original path starts with the cookie's path. Every origin-form URL starts
// with '/', so for the default path the URL need not be parsed.
function isWithinCookiePath (req, cookiePath) {
  if (cookiePath === '/') {
    const url = req.originalUrl || req.url
    if (typeof url === 'string' && url.charCodeAt(0) === 47) return true
  }
  const pathname = parseUrl.original(req).pathname || '/'
  return pathname.indexOf(cookiePath) === 0
}

function isSecure (req, trustProxy) {
  // a TLS socket
  if (req.connection && req.connection.encrypted) {
    return true
  }

  if (trustProxy === false) {
    return false
  }

  // no explicit trust: Express's req.secure applies its own "trust proxy" setting
  if (trustProxy !== true) {
    return req.secure === true
  }

  // the first proxy's protocol
  const header = req.headers['x-forwarded-proto'] || ''
  const comma = header.indexOf(',')
  const proto = comma !== -1 ? header.slice(0, comma) : header
  return proto.trim().toLowerCase() === 'https'
}

// A browser sends the same Cookie header with every request until one of its cookies changes, so
// the IDs of recently verified headers are kept, per codec: a header seen again costs a Map lookup
// instead of parsing and an HMAC. Only headers that verified are kept (a forged one is checked
// every time), only short ones, and at most VERIFIED_HEADERS of them.
const VERIFIED_HEADERS = 4096
const VERIFIED_HEADER_LENGTH = 1024

class VerifiedHeaders {
  constructor (codec) {
    this.codec = codec
    this.ids = new Map()
  }

  // The verified session ID in `header`, or null.
  read (header) {
    const known = this.ids.get(header)
    if (known !== undefined) return known
    const id = readVerifiedId(this.codec, header)
    if (id !== null && header.length <= VERIFIED_HEADER_LENGTH) {
      // a new Map rather than clear(), whose old table V8 keeps linked to the new one, with its
      // entries (see DiskWrites#commitQueued)
      if (this.ids.size >= VERIFIED_HEADERS) this.ids = new Map()
      this.ids.set(header, id)
    }
    return id
  }
}

// The verified session ID from the Cookie header, or from cookie-parser's results for apps that
// mount it first and strip the header; undefined when there is none or its signature is wrong.
// `verified` is a VerifiedHeaders of `codec`, or null to read the header afresh.
function readSessionId (req, name, codec, verified) {
  const header = req.headers.cookie
  let id = null
  if (typeof header === 'string' && header.length !== 0) {
    id = verified !== null ? verified.read(header) : readVerifiedId(codec, header)
  }

  if (!id && req.signedCookies) {
    id = req.signedCookies[name]
    if (id) {
      deprecate('cookie should be available in req.headers.cookie')
    }
  }

  if (!id && req.cookies) {
    const raw = req.cookies[name]
    if (typeof raw === 'string' && raw.slice(0, 2) === 's:') {
      id = unsign(codec, raw.slice(2))
      if (id) {
        deprecate('cookie should be available in req.headers.cookie')
      }
    }
  }

  return id === null ? undefined : id
}

// Express swaps the prototype of every req and res, and V8 then pays several microseconds for
// each property the middleware chain adds to them afterwards (req.session, req.sessionID, the
// session's hooks on res.writeHead and res.end, Express's own req.params, ...). An object that had
// a property deleted is kept as a hash table instead, where adding a property is a cheap insert.
// Measured with Express 4 (bench/), switching both objects saves more CPU per request than all of
// the session's own work costs on Node 18, 20 and 22 (V8 10 to 12). Node 24's V8 13 adds those
// properties cheaply, and there the switch itself costs several microseconds: it is skipped.
const DICTIONARY_MODE_PAYS = Number(process.versions.v8.split('.')[0]) < 13

function switchToDictionaryMode (object) {
  if (!DICTIONARY_MODE_PAYS) return
  object.__sessionDictionaryProbe = true
  delete object.__sessionDictionaryProbe
}

module.exports = { VerifiedHeaders, isSecure, isWithinCookiePath, readSessionId, switchToDictionaryMode }
