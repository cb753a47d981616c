'use strict'

// A request's session: the data the application keeps in it, plus its `cookie`. Its ID and request
// are prototype getters over symbol-keyed fields, so they are never enumerable or serialized and
// creating a session costs no defineProperty calls.

const { kContext, kId, kReq } = require('./internal')

class Session {
  constructor (req, data) {
    this[kReq] = req
    this[kId] = req.sessionID

    if (typeof data === 'object' && data !== null) {
      // copy stored data, but never over the session's own methods and getters
      for (const prop in data) {
        if (!(prop in this)) {
          this[prop] = data[prop]
        }
      }
    }
  }

  get id () {
    return this[kId]
  }

  get req () {
    return this[kReq]
  }

  touch () {
    return this.resetMaxAge()
  }

  resetMaxAge () {
    this.cookie.maxAge = this.cookie.originalMaxAge
    return this
  }

  save (fn) {
    const context = this[kReq][kContext]
    if (context !== undefined) {
      // the middleware must not save again what the application just saved
      context.markSaved(this)
    }

    this[kReq].sessionStore.set(this[kId], this, fn || noop)
    return this
  }

  reload (fn) {
    const req = this[kReq]
    const store = req.sessionStore

    store.get(this[kId], function onReloaded (err, sess) {
      if (err) return fn(err)
      if (!sess) return fn(new Error('failed to load session'))
      store.createSession(req, sess)
      fn()
    })

    return this
  }

  destroy (fn) {
    delete this[kReq].session
    this[kReq].sessionStore.destroy(this[kId], fn)
    return this
  }

  regenerate (fn) {
    this[kReq].sessionStore.regenerate(this[kReq], fn)
    return this
  }
}

function noop () {}

module.exports = Session
