'use strict'

// State shared between the package's modules and kept out of users' sight.
//
// Symbol-keyed fields stay out of JSON, for...in and Object.keys, which lets a session carry its
// request and ID without defineProperty calls.

module.exports = {
  // on a store: a function returning the adapter the middleware should use for it (store-adapter.js)
  kAdapter: Symbol('express-session-rs.adapter'),
  // on a request: its RequestSession (request-session.js)
  kContext: Symbol('express-session-rs.context'),
  kId: Symbol('express-session-rs.id'),
  kNativeStore: Symbol('express-session-rs.nativeStore'),
  kReq: Symbol('express-session-rs.req'),
  // passed by an adapter with an answer given synchronously where express-session's store defers it
  kStandsInForDeferredAnswer: Symbol('express-session-rs.standsInForDeferredAnswer'),
  kWriteSetCookie: Symbol('express-session-rs.writeSetCookie')
}
