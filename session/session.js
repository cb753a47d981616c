'use strict'

// A request's session: the data the application keeps in it, plus its `cookie`. Its ID and request
// are prototype getters over private fields, so they are never enumerable, copied by spreading or
// Object.assign, serialized, or printed by console.log and util.inspect, and creating a session
// costs no defineProperty calls.
//
// Like express-session's, Session is a plain constructor function whose methods are
// non-enumerable prototype properties, so subclasses made with util.inherits can call
// `Session.call(this, req, data)`.

const { kContext } = require('./internal')
const { copyStoredData } = require('./stored')

// A class's private fields can be given to any object through a base class whose constructor
// returns that object instead of a new one; this is how a plain function's `this` (and a
// util.inherits subclass's) gets them. Only this module can read them.
class ReturnsGiven {
  constructor (object) {
    return object
  }
}

class SessionFields extends ReturnsGiven {
  #req
  #id

  constructor (sess, req, id) {
    super(sess)
    this.#req = req
    this.#id = id
  }

  // Session.call on an object that already is a session gives it a new request and ID.
  static attach (sess, req, id) {
    if (#req in sess) {
      sess.#req = req
      sess.#id = id
      return sess
    }
    return new SessionFields(sess, req, id)
  }

  // undefined for an object that inherits from Session.prototype without having been made by it
  static req (sess) {
    return #req in sess ? sess.#req : undefined
  }

  static id (sess) {
    return #id in sess ? sess.#id : undefined
  }
}

const requestOf = SessionFields.req
const idOf = SessionFields.id

function Session (req, data) {
  SessionFields.attach(this, req, req.sessionID)

  if (typeof data === 'object' && data !== null) {
    copyStoredData(this, data)
  }
}

defineGetter(Session.prototype, 'id', function id () {
  return idOf(this)
})

defineGetter(Session.prototype, 'req', function req () {
  return requestOf(this)
})

defineMethod(Session.prototype, 'touch', function touch () {
  return this.resetMaxAge()
})

defineMethod(Session.prototype, 'resetMaxAge', function resetMaxAge () {
  this.cookie.maxAge = this.cookie.originalMaxAge
  return this
})

defineMethod(Session.prototype, 'save', function save (fn) {
  const context = requestOf(this)[kContext]
  if (context !== undefined && context.savesByMerging(this)) {
    context.saveByMerging(this, fn || noop)
    return this
  }
  if (context !== undefined) {
    // the middleware must not save again what the application just saved
    context.markSaved(this)
  }

  requestOf(this).sessionStore.set(idOf(this), this, fn || noop)
  return this
})

defineMethod(Session.prototype, 'reload', function reload (fn) {
  const req = requestOf(this)
  const store = req.sessionStore

  store.get(idOf(this), function onReloaded (err, sess) {
    if (err) return fn(err)
    if (!sess) return fn(new Error('failed to load session'))
    store.createSession(req, sess)
    // with the merge option, the reloaded state is what later changes are counted from
    if (req[kContext] !== undefined) req[kContext].reloaded()
    fn()
  })

  return this
})

defineMethod(Session.prototype, 'destroy', function destroy (fn) {
  delete requestOf(this).session
  requestOf(this).sessionStore.destroy(idOf(this), fn)
  return this
})

defineMethod(Session.prototype, 'regenerate', function regenerate (fn) {
  requestOf(this).sessionStore.regenerate(requestOf(this), fn)
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
