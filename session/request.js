'use strict'

// What the middleware reads off a request: whether its path is within the cookie's, whether its
// connection is secure, and the verified session ID its cookie carries.

const deprecate = require('depd')('express-session')
const parseUrl = require('parseurl')

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

// The verified session ID from the Cookie header, or from cookie-parser's results for apps that
// mount it first and strip the header; undefined when there is none or its signature is wrong.
function readSessionId (req, name, codec) {
  const header = req.headers.cookie
  let id = typeof header === 'string' && header.length !== 0 ? codec.readSessionId(header) : null

  if (!id && req.signedCookies) {
    id = req.signedCookies[name]
    if (id) {
      deprecate('cookie should be available in req.headers.cookie')
    }
  }

  if (!id && req.cookies) {
    const raw = req.cookies[name]
    if (typeof raw === 'string' && raw.slice(0, 2) === 's:') {
      id = codec.unsign(raw.slice(2))
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

module.exports = { isSecure, isWithinCookiePath, readSessionId, switchToDictionaryMode }
