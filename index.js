'use strict'

// Session middleware with express-session 1.19's options and behaviour. The cookie is parsed and
// verified, IDs are generated, Set-Cookie values are signed and written, and session changes are
// fingerprinted by the core (./core.js: the Rust addon, or its JavaScript fallback). A request's way through the middleware reads top to bottom in
// `session()`; its state from then on is one RequestSession (session/request-session.js).

const debug = require('debug')('express-session')
const onHeaders = require('on-headers')

const core = require('./core')
const Cookie = require('./session/cookie')
const DiskStore = require('./session/disk')
const MemoryStore = require('./session/memory')
const RequestSession = require('./session/request-session')
const Session = require('./session/session')
const Store = require('./session/store')
const { currentCodec, readOptions } = require('./session/options')
const { kContext } = require('./session/internal')
const { isSecure, isWithinCookiePath, readSessionId, switchToDictionaryMode } = require('./session/request')

exports = module.exports = session

exports.Store = Store
exports.Cookie = Cookie
exports.Session = Session
exports.MemoryStore = MemoryStore
exports.DiskStore = DiskStore
// true when the Rust core is in use, false on its JavaScript fallback (see core.js)
exports.native = core.isNative

function session (options) {
  const settings = readOptions(options)
  const store = settings.store

  // Store#regenerate calls back into this to make the replacement session
  store.generate = function generate (req) {
    generateSession(settings, req)
  }

  // while the store says it is disconnected, requests go on without a session
  store.on('disconnect', function ondisconnect () {
    settings.storeReady = false
  })
  store.on('connect', function onconnect () {
    settings.storeReady = true
  })

  return function session (req, res, next) {
    // another session middleware already ran
    if (req.session) {
      next()
      return
    }

    if (!settings.storeReady) {
      debug('store is disconnected')
      next()
      return
    }

    // the cookie would not be sent back on this path
    if (!isWithinCookiePath(req, resolveCookieOptions(settings, req).path || '/')) {
      debug('pathname mismatch')
      next()
      return
    }

    let codec
    try {
      codec = currentCodec(settings, req)
    } catch (err) {
      next(err)
      return
    }
    if (codec === null) {
      next(new Error('secret option required for sessions'))
      return
    }

    // see switchToDictionaryMode: both objects are about to get properties of the session's
    switchToDictionaryMode(req)
    switchToDictionaryMode(res)
    req.sessionStore = store
    const cookieId = req.sessionID = readSessionId(req, settings.name, codec, codec === settings.codec ? settings.verifiedHeaders : null)
    const context = new RequestSession(settings, req, res, next, codec, cookieId)
    hookResponse(res, context)

    // an empty ID, which a signed cookie can carry, names no session, as with express-session
    if (!cookieId) {
      debug('no SID sent, generating session')
      context.generate()
      next()
      return
    }

    debug('fetching %s', cookieId)
    context.load()
  }
}

// The session's hooks go on this response now, while the middleware runs for it, so they take
// their place among other middleware's hooks exactly where express-session's would: a hook added
// earlier (by morgan, compression, ...) runs after the session's cookie is set and sees it.
function hookResponse (res, context) {
  onHeaders(res, function setSessionCookie () {
    context.onHeaders()
  })
  res.end = function end (chunk, encoding) {
    return context.commit(chunk, encoding)
  }
}

// A new session for `req` under a new ID, its cookie from the options as they resolve for `req`
// now: on regenerate after the application changed something a cookie function reads, the new
// cookie reflects it.
function generateSession (settings, req) {
  req.sessionID = newSessionId(settings, req)
  req.session = new Session(req)
  // resolved after the new ID and session are on req, as a cookie function may read them
  const cookieOptions = resolveCookieOptions(settings, req)
  req.session.cookie = new Cookie(cookieOptions)

  if (cookieOptions.secure === 'auto' || cookieOptions.sameSite === 'auto') {
    const secure = isSecure(req, settings.trustProxy)

    if (cookieOptions.secure === 'auto') {
      req.session.cookie.secure = secure
    }

    if (cookieOptions.sameSite === 'auto') {
      req.session.cookie.sameSite = secure ? 'none' : 'lax'
    }
  }
}

// Without a genid option, a request the middleware is serving takes its new ID from its cookie's
// codec, which keeps the ID's signature for the cookie (see addon.js).
function newSessionId (settings, req) {
  const context = req[kContext]
  return settings.ownsIds && context !== undefined ? context.codec.newSessionId() : settings.generateId(req)
}

function resolveCookieOptions (settings, req) {
  return typeof settings.cookieOptions === 'function'
    ? settings.cookieOptions(req) || {}
    : settings.cookieOptions
}
