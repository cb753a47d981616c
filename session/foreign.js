'use strict'

// Sessions built by another copy of express-session. A store package such as connect-redis extends
// the Store of whatever `require('express-session')` finds beside it: an application that requires
// this package by its own name has express-session itself installed there (connect-redis declares
// it as a peer dependency), and that copy's Store#createSession then makes that copy's Session and
// Cookie for every session the store loads. Their methods are that copy's: its save writes the
// whole session, so the merge option would silently not apply, and none of this package's other
// guarantees would hold. The middleware makes such a session again as one of this package's, with
// the same data and cookie, before the application sees it.

const Cookie = require('./cookie')
const Session = require('./session')
const { copyStoredData, reviveCookie } = require('./stored')

const hasOwn = Object.prototype.hasOwnProperty
const SESSION_METHODS = ['touch', 'resetMaxAge', 'save', 'reload', 'destroy', 'regenerate']
const foreignPrototypes = new WeakSet()

// Whether `proto` is Session.prototype of another copy: the prototype of a plain function named
// Session, inheriting from Object.prototype directly and holding the Session methods itself. An
// application's own subclass (util.inherits or class extends) has a prototype in between and is
// left as it is: its methods are what the application asked for.
function isForeignSessionPrototype (proto) {
  if (foreignPrototypes.has(proto)) return true
  if (proto === null || Object.getPrototypeOf(proto) !== Object.prototype || !hasOwn.call(proto, 'constructor')) return false
  const constructor = proto.constructor
  if (typeof constructor !== 'function' || constructor.name !== 'Session' || constructor.prototype !== proto) return false
  for (const method of SESSION_METHODS) {
    if (!hasOwn.call(proto, method) || typeof proto[method] !== 'function') return false
  }
  foreignPrototypes.add(proto)
  return true
}

// This package's Cookie for another copy's, from the JSON form stores receive (as a session loaded
// from a store gets it); anything else is kept.
function adoptCookie (cookie) {
  if (cookie === null || typeof cookie !== 'object' || Object.getPrototypeOf(cookie) === Cookie.prototype ||
    typeof cookie.toJSON !== 'function') {
    return cookie
  }
  const text = JSON.stringify(cookie)
  const json = text === undefined ? null : JSON.parse(text)
  if (json === null || typeof json !== 'object') return cookie
  return reviveCookie(json, typeof json.expires === 'string' ? new Date(json.expires) : undefined)
}

// Replaces req.session, when another copy of express-session made it, with this package's Session
// holding the same data and cookie. Returns req.session.
function adoptSession (req) {
  const sess = req.session
  if (sess === null || typeof sess !== 'object') return sess
  const proto = Object.getPrototypeOf(sess)
  if (proto === Session.prototype || !isForeignSessionPrototype(proto)) return sess

  const adopted = new Session(req, null)
  copyStoredData(adopted, sess)
  adopted.cookie = adoptCookie(sess.cookie)
  req.session = adopted
  return adopted
}

module.exports = { adoptSession }
