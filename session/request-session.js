'use strict'

// One request's session, from loading to committing. The response's header hook writes the cookie
// (`onHeaders`); its end hook (`commit`) asks `endOfRequestAction()` what the store must do, does
// it, and ends the response once the store has answered.

const debug = require('debug')('express-session')
const { OutgoingMessage } = require('http')
const Cookie = require('./cookie')
const { adoptSession } = require('./foreign')
const { isSecure } = require('./request')
const Session = require('./session')
const { sessionDataJson, unstorableSessionError } = require('./serialize')
const { kContext, kStandsInForDeferredAnswer, kWriteSetCookie } = require('./internal')

const sessionSave = Session.prototype.save
const nodeEnd = OutgoingMessage.prototype.end
const writeSetCookie = Cookie[kWriteSetCookie]
const defer = setImmediate

// What the end of a request does with the store.
const DESTROY = 'destroy'
const SAVE = 'save'
const TOUCH = 'touch'
// a session that serializes to undefined: reported to the application, nothing stored
const UNSTORABLE = 'unstorable'

// One look at a session where a decision is taken: its data (everything but the cookie) is
// serialized at most once, however many predicates ask, and only if one does (or not at all when
// the store handed over exactly that JSON). Whether a session changed is told by comparing that
// JSON with the JSON it had when loaded or saved.
class SessionView {
  constructor (sess, knownJson) {
    this.session = sess
    this.json = knownJson
  }

  get dataJson () {
    if (this.json === undefined) this.json = sessionDataJson(this.session)
    return this.json
  }
}

class RequestSession {
  constructor (settings, req, res, next, codec, cookieId) {
    this.settings = settings
    this.req = req
    this.res = res
    this.next = next
    this.codec = codec
    // the verified ID the request's cookie carried, if any
    this.cookieId = cookieId
    // the session's ID and data JSON as loaded or generated, and the data JSON last saved
    this.originalId = undefined
    this.originalJson = undefined
    this.savedJson = undefined
    // with the merge option: the data JSON (and session ID) that changes are counted from, as the
    // session was loaded or last saved; undefined for a new session, which is saved whole
    this.baselineJson = undefined
    this.baselineId = undefined
    // what the store's adapter loaded, for its touch
    this.stored = undefined
    this.touched = false
    this.ended = false
    this.originalEnd = res.end
    req[kContext] = this
  }

  // Loading: a new session, or one the store gave back.

  generate () {
    this.settings.store.generate(this.req)
    this.originalId = this.req.sessionID
    this.originalJson = new SessionView(this.req.session).dataJson
  }

  inflate (stored) {
    const knownJson = this.settings.adapter.inflate(this.req, stored)
    this.stored = stored
    this.originalId = this.req.sessionID
    const view = new SessionView(this.req.session, knownJson)
    this.originalJson = view.dataJson

    if (!this.settings.resave) {
      this.savedJson = this.originalJson
    }
    this.rebase(view)
  }

  // With the merge option, later changes are counted from this state of the session.
  rebase (view) {
    if (this.settings.merge) {
      this.baselineJson = view.dataJson
      this.baselineId = view.session.id
    }
  }

  // Session#reload replaced the session with the store's copy, made by the store's createSession
  // (by another copy of express-session's, for some stores: see foreign.js).
  reloaded () {
    this.rebase(new SessionView(adoptSession(this.req)))
  }

  // Whether saving `sess` merges its changes rather than writing it whole: with the merge option,
  // for the session the request loaded (not a new or regenerated one), saved the usual way.
  savesByMerging (sess) {
    return this.baselineJson !== undefined && sess.id === this.baselineId && sess.save === sessionSave
  }

  // Session#save from application code, with the merge option.
  saveByMerging (sess, callback) {
    const view = new SessionView(sess)
    if (view.dataJson === undefined) {
      defer(callback, unstorableSessionError(sess.id))
      return
    }
    const baselineJson = this.baselineJson
    this.savedJson = view.dataJson
    this.rebase(view)
    this.settings.adapter.merge(view, baselineJson, function onMerged (err, note) {
      if (note === kStandsInForDeferredAnswer) defer(callback, err)
      else callback(err)
    })
  }

  load () {
    const context = this
    this.settings.adapter.load(this.cookieId, function onLoaded (err, stored) {
      context.loaded(err, stored)
    })
  }

  loaded (err, stored) {
    if (err && err.code !== 'ENOENT') {
      debug('error %j', err)
      this.next(err)
      return
    }

    try {
      if (err || !stored) {
        debug('no session found')
        this.generate()
      } else if (typeof stored !== 'object') {
        throw new TypeError('session store returned a ' + typeof stored + ' for session ' + this.cookieId + ', not a session object')
      } else {
        debug('session found')
        this.inflate(stored)
      }
    } catch (e) {
      this.next(e)
      return
    }

    this.next()
  }

  // Called by Session#save from application code: what was saved must not be saved again. Once
  // the response is ending the middleware's own save needs no such record.
  markSaved (sess) {
    if (!this.ended) this.savedJson = new SessionView(sess).dataJson
  }

  // The predicates, over one view of the session.

  hasBogusId () {
    if (typeof this.req.sessionID === 'string') return false
    debug('session ignored because of bogus req.sessionID %o', this.req.sessionID)
    return true
  }

  isModified (view) {
    return this.originalId !== view.session.id || this.originalJson !== view.dataJson
  }

  isSaved (view) {
    return this.originalId === view.session.id && this.savedJson === view.dataJson
  }

  isNewSession () {
    return this.cookieId !== this.req.sessionID
  }

  shouldDestroy () {
    return Boolean(this.req.sessionID) && this.settings.unsetDestroy && this.req.session == null
  }

  shouldSave (view) {
    // an uninitialized new session is saved only once modified; everything else once unsaved
    return !this.settings.saveUninitialized && this.savedJson === undefined && this.isNewSession()
      ? this.isModified(view)
      : !this.isSaved(view)
  }

  shouldTouch (view) {
    return !this.isNewSession() && !this.shouldSave(view)
  }

  shouldSetCookie (view) {
    return this.isNewSession()
      ? this.settings.saveUninitialized || this.isModified(view)
      : this.settings.rolling || (view.session.cookie.expires != null && this.isModified(view))
  }

  // What the end of the request must do with the store: DESTROY, SAVE, TOUCH, UNSTORABLE or null.
  endOfRequestAction (view) {
    if (this.shouldDestroy()) return DESTROY
    if (view === null) {
      debug('no session')
      return null
    }
    if (this.hasBogusId()) return null
    // nothing to compare or store (express-session's hash of such a session throws here)
    if (view.dataJson === undefined) return UNSTORABLE
    if (this.shouldSave(view)) return SAVE
    if (this.settings.storeImplementsTouch && this.shouldTouch(view)) return TOUCH
    return null
  }

  // The session's cookie is touched once per request, when it is first written or committed.
  touchOnce () {
    if (!this.touched) {
      this.req.session.touch()
      this.touched = true
    }
  }

  // The response's header hook: runs once, just before the status line and headers are written.
  onHeaders () {
    const req = this.req

    if (!req.session) {
      debug('no session')
      return
    }

    if (typeof req.sessionID !== 'string' || !this.shouldSetCookie(new SessionView(req.session))) {
      return
    }

    // only send secure cookies via https
    if (req.session.cookie.secure && !isSecure(req, this.settings.trustProxy)) {
      debug('not secured')
      return
    }

    this.touchOnce()

    try {
      const header = writeSetCookie(req.session.cookie, this.codec, req.sessionID)
      debug('set-cookie %s', header)
      appendSetCookie(this.res, header)
    } catch (err) {
      defer(this.next, err)
    }
  }

  // The response's end hook: commit the session to the store, then end the response.
  commit (chunk, encoding) {
    if (this.ended) {
      return false
    }
    this.ended = true

    if (this.req.session) this.touchOnce()
    const view = this.req.session ? new SessionView(this.req.session) : null
    const action = this.endOfRequestAction(view)

    if (action === null) {
      return this.originalEnd.call(this.res, chunk, encoding)
    }
    if (action === UNSTORABLE) {
      // as a store's error would be: the response ends, the error goes to next(err)
      defer(this.next, unstorableSessionError(this.req.sessionID))
      return this.originalEnd.call(this.res, chunk, encoding)
    }
    return this.storeThenEnd(action, view, chunk, encoding)
  }

  // Runs `action` against the store, then ends the response. Until the store has answered, the
  // response's last chunk is held back, so the client cannot see a finished response before its
  // session is stored. The headers are fixed at once (res.headersSent is true from here on, as with
  // express-session), with the body's length where Node's end would give it one, and they leave
  // with the held chunk in a single write once the store answers.
  storeThenEnd (action, view, chunk, encoding) {
    const context = this
    const res = this.res
    let waiting = true
    let standsInForDeferredAnswer = false
    let ret

    function onStored (err, note) {
      if (err) {
        defer(context.next, err)
      }
      debug('%s done', action)
      waiting = false
      standsInForDeferredAnswer = note === kStandsInForDeferredAnswer
      ret = context.originalEnd.call(res, chunk, encoding)
    }

    debug('%s %s', action, this.req.sessionID)
    const adapter = this.settings.adapter
    if (action === SAVE && this.savesByMerging(view.session)) {
      adapter.merge(view, this.baselineJson, onStored)
    } else if (action === SAVE) {
      if (this.baselineJson !== undefined && view.session.id === this.baselineId) warnSavedWhole(this.settings)
      adapter.save(view, onStored)
    } else if (action === TOUCH) {
      adapter.touch(this.req.sessionID, this.req.session, this.stored, onStored)
    } else {
      adapter.destroy(this.req.sessionID, onStored)
    }

    if (waiting) {
      if (!res.headersSent) {
        if (this.originalEnd === nodeEnd) lengthAsEndWould(res, chunk, encoding)
        writeHeadersNow(res)
      }
      // what res.end returns with express-session while its store works: its write's answer
      return true
    }

    // The embedded MemoryStore answers at once where express-session's defers its callbacks;
    // res.end then returns what it returns there: write()'s answer, not the response.
    return standsInForDeferredAnswer
      ? chunk == null || !(res.writableLength >= res.writableHighWaterMark)
      : ret
  }
}

// With the merge option, a session the request loaded is merged only when its save is this
// package's; one whose save is its own (a subclass made by the store's createSession, say) is
// saved its own way, whole, and the application is told once that its merges do not apply.
function warnSavedWhole (settings) {
  if (settings.warnedSavedWhole) return
  settings.warnedSavedWhole = true
  process.emitWarning('merge: a loaded session whose save() is not express-session-rs\'s own (made by the ' +
    'store\'s createSession?) is saved whole, so concurrent requests can undo its changes', {
    type: 'ExpressSessionRsWarning',
    code: 'EXPRESS_SESSION_RS_NOT_MERGED'
  })
}

// Node's ServerResponse writes its implicit headers through _implicitHeader; responses that lack
// it, such as HTTP/2 compatibility responses, through writeHead with the status set so far.
function writeHeadersNow (res) {
  if (typeof res._implicitHeader === 'function') {
    res._implicitHeader()
  } else {
    res.writeHead(res.statusCode)
  }
}

// Node's own end() works out the length of the body it is given before it fixes the headers, so
// a response ended while its headers are still open goes out with a Content-Length. Headers fixed
// here, ahead of that end, are given the same length, rather than the response going out chunked,
// in several pieces. Only when the end that follows is Node's: a middleware's that wraps it (such
// as compression's) may change the body.
function lengthAsEndWould (res, chunk, encoding) {
  if (typeof chunk === 'function' || chunk == null) {
    res._contentLength = 0
  } else if (typeof chunk === 'string') {
    res._contentLength = Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : undefined)
  } else if (chunk instanceof Uint8Array) {
    res._contentLength = chunk.byteLength
  }
}

function appendSetCookie (res, header) {
  const prev = res.getHeader('Set-Cookie') || []
  res.setHeader('Set-Cookie', Array.isArray(prev) ? prev.concat(header) : [prev, header])
}

module.exports = RequestSession
