'use strict'

// State shared between the package's modules and kept out of users' sight.
//
// Symbol-keyed fields stay out of JSON, for...in and Object.keys.

module.exports = {
  // on a store: a function returning the adapter the middleware should use for it (store-adapter.js)
  kAdapter: Symbol('express-session-rs.adapter'),
  // on a request: its RequestSession (request-session.js)
  kContext: Symbol('express-session-rs.context'),
  kNativeStore: Symbol('express-session-rs.nativeStore'),
  // passed by an adapter with an answer given synchronously where express-session's store defers it
  kStandsInForDeferredAnswer: Symbol('express-session-rs.standsInForDeferredAnswer'),
  kWriteSetCookie: Symbol('express-session-rs.writeSetCookie')
}
