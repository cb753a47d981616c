'use strict'

// A request's session: the data the application keeps in it, plus its `cookie`. Its ID and request
// are prototype getters over symbol-keyed fields, so they are never enumerable or serialized and
// creating a session costs no defineProperty calls.
//
// Like express-session's, Session is a plain constructor function whose methods are
// non-enumerable prototype properties, so subclasses made with util.inherits can call
// `Session.call(this, req, data)`.

const { kContext, kId, kReq } = require('./internal')
const { copyStoredData } = require('./stored')

function Session (req, data) {
  this[kReq] = req
  this[kId] = req.sessionID

  if (typeof data === 'object' && data !== null) {
    copyStoredData(this, data)
  }
}

defineGetter(Session.prototype, 'id', function id () {
  return this[kId]
})

defineGetter(Session.prototype, 'req', function req () {
  return this[kReq]
})

defineMethod(Session.prototype, 'touch', function touch () {
  return this.resetMaxAge()
})

defineMethod(Session.prototype, 'resetMaxAge', function resetMaxAge () {
  this.cookie.maxAge = this.cookie.originalMaxAge
  return this
})

defineMethod(Session.prototype, 'save', function save (fn) {
  const context = this[kReq][kContext]
  if (context !== undefined && context.savesByMerging(this)) {
    context.saveByMerging(this, fn || noop)
    return this
  }
  if (context !== undefined) {
    // the middleware must not save again what the application just saved
    context.markSaved(this)
  }

  this[kReq].sessionStore.set(this[kId], this, fn || noop)
  return this
})

defineMethod(Session.prototype, 'reload', function reload (fn) {
  const req = this[kReq]
  const store = req.sessionStore

  store.get(this[kId], function onReloaded (err, sess) {
    if (err) return fn(err)
    if (!sess) return fn(new Error('failed to load session'))
    store.createSession(req, sess)
    // with the merge option, the reloaded state is what later changes are counted from
    if (req[kContext] !== undefined) req[kContext].reloaded(req.session)
    fn()
  })

  return this
})

defineMethod(Session.prototype, 'destroy', function destroy (fn) {
  delete this[kReq].session
  this[kReq].sessionStore.destroy(this[kId], fn)
  return this
})

defineMethod(Session.prototype, 'regenerate', function regenerate (fn) {
  this[kReq].sessionStore.regenerate(this[kReq], fn)
  return this
})

// Prototype members are non-enumerable, as a class's would be: `for...in` over a session and
// its JSON list the application's data and the cookie only.
function defineMethod (prototype, name, method) {
  Object.defineProperty(prototype, name, { configurable: true, enumerable: false, writable: true, value: method })
}

function defineGetter (prototype, name, getter) {
  Object.defineProperty(prototype, name, { configurable: true, enumerable: false, get: getter })
}

function noop () {}

module.exports = Session
