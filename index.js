'use strict'

// Session middleware with express-session 1.19's options and behaviour. The cookie is parsed and
// verified, IDs are generated, Set-Cookie values are signed and written, and session changes are
// fingerprinted in Rust (./native); the request path below reads top to bottom in `session()` and
// the per-request state lives in one RequestSession object whose methods are shared, not closures.

const debug = require('debug')('express-session')
const deprecate = require('depd')('express-session')
const http = require('http')
const parseUrl = require('parseurl')

const native = require('./core')
const Cookie = require('./session/cookie')
const MemoryStore = require('./session/memory')
const Session = require('./session/session')
const Store = require('./session/store')
const { cookieExpiry, cookieJson, parseStored, sessionDataJson } = require('./session/serialize')
const { kContext, kNativeStore, kWriteSetCookie } = require('./session/internal')

exports = module.exports = session

exports.Store = Store
exports.Cookie = Cookie
exports.Session = Session
exports.MemoryStore = MemoryStore
exports.native = native.isNative

const productionWarning = 'Warning: express-session-rs is using its default MemoryStore.\n' +
  'Sessions kept there live in this process only: they are lost on restart\n' +
  'and not shared with other processes. Configure a shared store for production.'

const defer = setImmediate
const writeSetCookie = Cookie[kWriteSetCookie]

// The fingerprint of a session with no data besides its cookie, the state of every new session.
const EMPTY_DATA_FINGERPRINT = native.fingerprint('{}')

// MemoryStore methods whose presence on a store means the native storage may be called directly.
const memoryGet = MemoryStore.prototype.get
const memorySet = MemoryStore.prototype.set
const memoryTouch = MemoryStore.prototype.touch
const memoryDestroy = MemoryStore.prototype.destroy
const sessionSave = Session.prototype.save

function session (options) {
  const opts = options || {}
  const cookieOptions = opts.cookie || {}
  const generateId = opts.genid || native.generateSessionId
  const name = opts.name || opts.key || 'connect.sid'
  const store = opts.store || new MemoryStore()
  const trustProxy = opts.proxy
  let resaveSession = opts.resave
  const rollingSessions = Boolean(opts.rolling)
  let saveUninitializedSession = opts.saveUninitialized
  let secret = opts.secret

  if (typeof generateId !== 'function') {
    throw new TypeError('genid option must be a function')
  }

  if (resaveSession === undefined) {
    deprecate('undefined resave option; provide resave option')
    resaveSession = true
  }

  if (saveUninitializedSession === undefined) {
    deprecate('undefined saveUninitialized option; provide saveUninitialized option')
    saveUninitializedSession = true
  }

  if (opts.unset && opts.unset !== 'destroy' && opts.unset !== 'keep') {
    throw new TypeError('unset option must be "destroy" or "keep"')
  }

  if (Array.isArray(secret) && secret.length === 0) {
    throw new TypeError('secret option array must contain one or more strings')
  }

  if (secret && !Array.isArray(secret)) {
    secret = [secret]
  }

  if (!secret) {
    deprecate('req.secret; provide secret option')
  }

  if (process.env.NODE_ENV === 'production' && store instanceof MemoryStore) {
    console.warn(productionWarning)
  }

  const settings = {
    store,
    name,
    generateId,
    cookieOptions,
    trustProxy,
    resave: Boolean(resaveSession),
    rolling: rollingSessions,
    saveUninitialized: Boolean(saveUninitializedSession),
    unsetDestroy: opts.unset === 'destroy',
    storeImplementsTouch: typeof store.touch === 'function',
    nativeStore: store[kNativeStore],
    codec: secret ? new native.SessionCodec(name, secret.map(secretBytes)) : null,
    codecsByReqSecret: new Map(),
    storeReady: true
  }

  // Store.prototype.regenerate calls back into this to make the replacement session
  store.generate = function generate (req) {
    const context = req[kContext]
    const resolved = context !== undefined ? context.cookieOptions : resolveCookieOptions(settings, req)

    req.sessionID = settings.generateId(req)
    req.session = new Session(req)
    req.session.cookie = new Cookie(resolved)

    if (resolved.secure === 'auto' || resolved.sameSite === 'auto') {
      const secure = issecure(req, settings.trustProxy)

      if (resolved.secure === 'auto') {
        req.session.cookie.secure = secure
      }

      if (resolved.sameSite === 'auto') {
        req.session.cookie.sameSite = secure ? 'none' : 'lax'
      }
    }
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
    const resolvedCookieOptions = resolveCookieOptions(settings, req)
    if (!isWithinCookiePath(req, resolvedCookieOptions.path || '/')) {
      debug('pathname mismatch')
      next()
      return
    }

    const codec = settings.codec || codecForReqSecret(settings, req.secret)
    if (codec === null) {
      next(new Error('secret option required for sessions'))
      return
    }

    // see switchToDictionaryMode
    switchToDictionaryMode(req)
    req.sessionStore = settings.store
    const cookieId = req.sessionID = readSessionId(req, settings.name, codec)
    const context = new RequestSession(settings, req, res, next, codec, resolvedCookieOptions, cookieId)
    attachToResponse(res, context)

    if (!cookieId) {
      debug('no SID sent, generating session')
      context.generate()
      next()
      return
    }

    debug('fetching %s', cookieId)
    if (settings.nativeStore !== undefined && settings.store.get === memoryGet) {
      // the embedded store answers synchronously: no callback, no extra tick
      let stored
      try {
        stored = parseStored(settings.nativeStore.get(cookieId))
      } catch (err) {
        next(err)
        return
      }
      context.loaded(null, stored)
      return
    }

    context.loadFromStore()
  }
}

// Everything one request's session needs between loading and committing.
class RequestSession {
  constructor (settings, req, res, next, codec, cookieOptions, cookieId) {
    this.settings = settings
    this.req = req
    this.res = res
    this.next = next
    this.codec = codec
    this.cookieOptions = cookieOptions
    this.cookieId = cookieId
    this.originalId = undefined
    this.originalHash = undefined
    this.savedHash = undefined
    this.touched = false
    this.ended = false
    this.headersHandled = false
    this.hashedSession = null
    this.hashedJson = ''
    this.hashedFingerprint = 0
    this.originalEnd = null
    this.originalWrite = null
    this.originalWriteHead = null
    req[kContext] = this
  }

  generate () {
    this.settings.store.generate(this.req)
    this.originalId = this.req.sessionID
    this.originalHash = this.fingerprint(this.req.session)
    this.hashedSession = null
  }

  inflate (sess) {
    this.settings.store.createSession(this.req, sess)
    this.originalId = this.req.sessionID
    this.originalHash = this.fingerprint(sess)

    if (!this.settings.resave) {
      this.savedHash = this.originalHash
    }
    this.hashedSession = null
  }

  // Ask a JS store for the session; its callback may come at once or later, once or (wrongly) twice.
  loadFromStore () {
    const context = this
    let answered = false

    function onLoaded (err, sess) {
      if (answered) {
        debug('store answered get twice for %s; ignoring the second answer', context.cookieId)
        return
      }
      answered = true
      context.loaded(err, sess)
    }

    try {
      this.settings.store.get(this.cookieId, onLoaded)
    } catch (err) {
      // an exception after the answer came from the application further down, not the store
      if (answered) throw err
      answered = true
      this.next(err)
    }
  }

  loaded (err, sess) {
    if (err && err.code !== 'ENOENT') {
      debug('error %j', err)
      this.next(err)
      return
    }

    try {
      if (err || !sess) {
        debug('no session found')
        this.generate()
      } else if (typeof sess !== 'object') {
        throw new TypeError('session store returned a ' + typeof sess + ' for session ' + this.cookieId + ', not a session object')
      } else {
        debug('session found')
        this.inflate(sess)
      }
    } catch (e) {
      this.next(e)
      return
    }

    this.next()
  }

  // The Rust fingerprint of the session's data without its cookie, remembered with that JSON.
  fingerprint (sess) {
    const json = sessionDataJson(sess)
    this.hashedSession = sess
    this.hashedJson = json
    this.hashedFingerprint = json === '{}' ? EMPTY_DATA_FINGERPRINT : native.fingerprint(json)
    return this.hashedFingerprint
  }

  // Within one step of the request (headers, end) no application code runs between the checks,
  // so the fingerprint taken at the step's first check is reused; each step starts afresh.
  cachedFingerprint (sess) {
    return this.hashedSession === sess ? this.hashedFingerprint : this.fingerprint(sess)
  }

  // Called by Session#save, from application code: always fingerprint afresh.
  markSaved (sess) {
    this.savedHash = this.fingerprint(sess)
    this.hashedSession = null
  }

  isModified (sess) {
    return this.originalId !== sess.id || this.originalHash !== this.cachedFingerprint(sess)
  }

  isSaved (sess) {
    return this.originalId === sess.id && this.savedHash === this.cachedFingerprint(sess)
  }

  shouldDestroy () {
    return this.req.sessionID && this.settings.unsetDestroy && this.req.session == null
  }

  shouldSave () {
    const req = this.req
    // cannot set cookie without a session ID
    if (typeof req.sessionID !== 'string') {
      debug('session ignored because of bogus req.sessionID %o', req.sessionID)
      return false
    }

    return !this.settings.saveUninitialized && this.savedHash === undefined && this.cookieId !== req.sessionID
      ? this.isModified(req.session)
      : !this.isSaved(req.session)
  }

  shouldTouch () {
    const req = this.req
    if (typeof req.sessionID !== 'string') {
      debug('session ignored because of bogus req.sessionID %o', req.sessionID)
      return false
    }

    return this.cookieId === req.sessionID && !this.shouldSave()
  }

  shouldSetCookie () {
    const req = this.req
    if (typeof req.sessionID !== 'string') {
      return false
    }

    return this.cookieId !== req.sessionID
      ? this.settings.saveUninitialized || this.isModified(req.session)
      : this.settings.rolling || (req.session.cookie.expires != null && this.isModified(req.session))
  }

  // Runs once, just before the status line and headers are written.
  onHeaders () {
    const req = this.req
    this.hashedSession = null

    if (!req.session) {
      debug('no session')
      return
    }

    if (!this.shouldSetCookie()) {
      return
    }

    // only send secure cookies via https
    if (req.session.cookie.secure && !issecure(req, this.settings.trustProxy)) {
      debug('not secured')
      return
    }

    if (!this.touched) {
      req.session.touch()
      this.touched = true
    }

    try {
      const header = writeSetCookie(req.session.cookie, this.codec, req.sessionID)
      debug('set-cookie %s', header)
      appendSetCookie(this.res, header)
    } catch (err) {
      defer(this.next, err)
    }
  }

  // The patched res.end: commit the session to the store, then end the response.
  commit (chunk, encoding) {
    if (this.ended) {
      return false
    }
    this.ended = true

    const req = this.req
    const settings = this.settings
    const store = settings.store
    this.hashedSession = null

    if (this.shouldDestroy()) {
      debug('destroying')
      if (settings.nativeStore !== undefined && store.destroy === memoryDestroy) {
        settings.nativeStore.destroy(req.sessionID)
        return this.originalEnd.call(this.res, chunk, encoding)
      }
      return this.storeThenEnd(destroyInStore, chunk, encoding)
    }

    // no session to save
    if (!req.session) {
      debug('no session')
      return this.originalEnd.call(this.res, chunk, encoding)
    }

    if (!this.touched) {
      req.session.touch()
      this.touched = true
    }

    const sess = req.session
    const direct = settings.nativeStore !== undefined && sess instanceof Session

    if (this.shouldSave()) {
      if (direct && store.set === memorySet && sess.save === sessionSave) {
        debug('saving %s', sess.id)
        // also leaves the data JSON in hashedJson for storeInMemory
        this.savedHash = this.cachedFingerprint(sess)
        return this.directly(storeInMemory, chunk, encoding)
      }
      return this.storeThenEnd(saveToStore, chunk, encoding)
    }

    if (settings.storeImplementsTouch && this.shouldTouch()) {
      debug('touching')
      if (direct && store.touch === memoryTouch) {
        return this.directly(touchInMemory, chunk, encoding)
      }
      return this.storeThenEnd(touchInStore, chunk, encoding)
    }

    return this.originalEnd.call(this.res, chunk, encoding)
  }

  // A native store operation: synchronous, so the response still goes out in one write.
  directly (operation, chunk, encoding) {
    try {
      operation(this, null)
    } catch (err) {
      defer(this.next, err)
    }
    return this.originalEnd.call(this.res, chunk, encoding)
  }

  // A JS store operation. If the store answers at once the response is written in one go; if not,
  // the headers and all but the last byte go out now and the rest once the store has answered, so
  // the client cannot see a finished response before its session is stored.
  storeThenEnd (operation, chunk, encoding) {
    const context = this
    const res = this.res
    let pending = true
    let answered = false
    let ret

    function onStored (err) {
      if (answered) {
        debug('store called back twice; ignoring the second call')
        return
      }
      answered = true

      if (err) {
        defer(context.next, err)
      }

      if (pending) {
        ret = context.originalEnd.call(res, chunk, encoding)
        pending = false
        return
      }

      context.originalEnd.call(res)
    }

    try {
      operation(this, onStored)
    } catch (err) {
      if (answered) throw err
      onStored(err)
    }

    if (!pending) {
      return ret
    }

    if (!res._header) {
      res._implicitHeader()
    }

    if (chunk == null) {
      return true
    }

    const contentLength = Number(res.getHeader('Content-Length'))

    if (!isNaN(contentLength) && contentLength > 0) {
      chunk = !Buffer.isBuffer(chunk) ? Buffer.from(chunk, encoding) : chunk
      encoding = undefined

      if (chunk.length !== 0) {
        debug('split response')
        ret = this.originalWrite.call(res, chunk.slice(0, chunk.length - 1))
        chunk = chunk.slice(chunk.length - 1, chunk.length)
        return ret
      }
    }

    ret = this.originalWrite.call(res, chunk, encoding)
    pending = false
    return ret
  }
}

// Store operations, shared by every request rather than made per request.

function saveToStore (context, callback) {
  context.req.session.save(callback)
}

function touchInStore (context, callback) {
  context.settings.store.touch(context.req.sessionID, context.req.session, callback)
}

function destroyInStore (context, callback) {
  context.settings.store.destroy(context.req.sessionID, function ondestroy (err) {
    debug('destroyed')
    callback(err)
  })
}

function storeInMemory (context) {
  const cookie = context.req.session.cookie
  context.settings.nativeStore.set(context.req.sessionID, cookieJson(cookie), context.hashedJson, cookieExpiry(cookie))
}

function touchInMemory (context) {
  const cookie = context.req.session.cookie
  context.settings.nativeStore.touch(context.req.sessionID, cookieJson(cookie), cookieExpiry(cookie))
}

// Intercepting res.writeHead and res.end. For node's ServerResponse (Express, connect, http) the
// methods are replaced once on its prototype and find the request's state through `res.req`, so a
// response gets no own properties: adding them to Express's res objects costs microseconds each,
// as every res gets a fresh hidden class. Other response objects (HTTP/2 compatibility, test
// doubles) get the methods and the state as own properties.

const responsePrototype = http.ServerResponse.prototype
let prototypeEnd = null
let prototypeWrite = null
let prototypeWriteHead = null

function attachToResponse (res, context) {
  if (res instanceof http.ServerResponse && res.req === context.req) {
    if (prototypeEnd === null) installResponseHooks()
    context.originalEnd = prototypeEnd
    context.originalWrite = prototypeWrite
    context.originalWriteHead = prototypeWriteHead
    return
  }

  context.originalEnd = res.end
  context.originalWrite = res.write
  context.originalWriteHead = res.writeHead
  res[kContext] = context
  res.writeHead = writeHeadWithSession
  res.end = endWithSession
}

function installResponseHooks () {
  prototypeEnd = responsePrototype.end
  prototypeWrite = responsePrototype.write
  prototypeWriteHead = responsePrototype.writeHead

  responsePrototype.end = function end (chunk, encoding) {
    return contextOf(this) !== undefined ? endWithSession.apply(this, arguments) : prototypeEnd.apply(this, arguments)
  }
  responsePrototype.writeHead = function writeHead (statusCode) {
    return contextOf(this) !== undefined ? writeHeadWithSession.apply(this, arguments) : prototypeWriteHead.apply(this, arguments)
  }
}

function contextOf (res) {
  const own = res[kContext]
  if (own !== undefined) return own
  const req = res.req
  return req !== undefined && req !== null ? req[kContext] : undefined
}

function endWithSession (chunk, encoding) {
  return contextOf(this).commit(chunk, encoding)
}

function writeHeadWithSession (statusCode) {
  const context = contextOf(this)

  // the usual call, from res.end through _implicitHeader: nothing to copy
  if (arguments.length === 1 && !context.headersHandled) {
    this.statusCode = statusCode
    context.headersHandled = true
    context.onHeaders()
    return context.originalWriteHead.call(this, this.statusCode)
  }

  const args = applyWriteHeadHeaders(this, arguments)

  if (!context.headersHandled) {
    context.headersHandled = true
    context.onHeaders()

    // the status may have been changed while headers were being prepared
    if (typeof args[0] === 'number' && this.statusCode !== args[0]) {
      args[0] = this.statusCode
      args.length = 1
    }
  }

  return context.originalWriteHead.apply(this, args)
}

// Headers passed to writeHead are set on the response first, so the Set-Cookie written on the
// way out is appended to them rather than lost; the leading arguments are returned to pass on.
function applyWriteHeadHeaders (res, args) {
  const length = args.length
  const headerIndex = length > 1 && typeof args[1] === 'string' ? 2 : 1
  const headers = length > headerIndex ? args[headerIndex] : undefined

  res.statusCode = args[0]

  if (Array.isArray(headers)) {
    setHeadersFromArray(res, headers)
  } else if (headers) {
    const keys = Object.keys(headers)
    for (let i = 0; i < keys.length; i++) {
      if (keys[i]) res.setHeader(keys[i], headers[keys[i]])
    }
  }

  const leading = new Array(Math.min(length, headerIndex))
  for (let i = 0; i < leading.length; i++) {
    leading[i] = args[i]
  }
  return leading
}

function setHeadersFromArray (res, headers) {
  if (headers.length && Array.isArray(headers[0])) {
    for (let i = 0; i < headers.length; i++) {
      if (headers[i][0]) res.setHeader(headers[i][0], headers[i][1])
    }
    return
  }

  if (headers.length % 2 !== 0) {
    throw new TypeError('headers array is malformed')
  }

  // a flat list may name a header several times: every value is kept
  for (let i = 0; i < headers.length; i += 2) {
    res.removeHeader(headers[i])
  }
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]) res.appendHeader(headers[i], headers[i + 1])
  }
}

function appendSetCookie (res, header) {
  const prev = res.getHeader('Set-Cookie') || []
  res.setHeader('Set-Cookie', Array.isArray(prev) ? prev.concat(header) : [prev, header])
}

// Express gives every req and res a hidden class of its own (it swaps their prototype), so each
// property the middleware chain then adds (req.session, req.sessionID, Express's req.params, ...)
// makes V8 build a new hidden class: several microseconds apiece. An object that had a property
// deleted is kept as a hash table instead, where adding a property is a cheap insert; measured here
// (Express 4, node 20), switching req costs nothing and saves more CPU per request than the
// session's own work.
function switchToDictionaryMode (object) {
  object.__sessionDictionaryProbe = true
  delete object.__sessionDictionaryProbe
}

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

function resolveCookieOptions (settings, req) {
  return typeof settings.cookieOptions === 'function'
    ? settings.cookieOptions(req) || {}
    : settings.cookieOptions
}

function secretBytes (secret) {
  if (typeof secret === 'string') return Buffer.from(secret)
  if (Buffer.isBuffer(secret)) return secret
  if (ArrayBuffer.isView(secret)) return Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
  throw new TypeError('secret option must be a string, a Buffer, or an array of them')
}

// Without a secret option the secret comes from cookie-parser's req.secret; codecs are kept per value.
function codecForReqSecret (settings, reqSecret) {
  if (!reqSecret) return null

  let codec = settings.codecsByReqSecret.get(reqSecret)
  if (codec === undefined) {
    if (settings.codecsByReqSecret.size >= 16) settings.codecsByReqSecret.clear()
    codec = new native.SessionCodec(settings.name, [secretBytes(reqSecret)])
    settings.codecsByReqSecret.set(reqSecret, codec)
  }
  return codec
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

function issecure (req, trustProxy) {
  // socket is https server
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

  const header = req.headers['x-forwarded-proto'] || ''
  const index = header.indexOf(',')
  const proto = index !== -1
    ? header.substr(0, index).toLowerCase().trim()
    : header.toLowerCase().trim()

  return proto === 'https'
}
