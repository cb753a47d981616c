'use strict'

// State shared between the package's modules and kept out of users' sight.
//
// Symbol-keyed fields stay out of JSON, for...in and Object.keys, which lets a session carry its
// request and ID without defineProperty calls.

module.exports = {
  // on a request: its RequestSession (see index.js)
  kContext: Symbol('express-session-rs.context'),
  kId: Symbol('express-session-rs.id'),
  kNativeStore: Symbol('express-session-rs.nativeStore'),
  kReq: Symbol('express-session-rs.req'),
  kWriteSetCookie: Symbol('express-session-rs.writeSetCookie')
}
