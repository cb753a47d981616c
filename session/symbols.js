'use strict'

// Symbol keys for the package's internal state. Symbol-keyed fields stay out of JSON, for...in and
// Object.keys, which is what lets a session carry its request and ID without defineProperty calls.

module.exports = {
  kContext: Symbol('express-session-rs.context'),
  kId: Symbol('express-session-rs.id'),
  kNativeStore: Symbol('express-session-rs.nativeStore'),
  kReq: Symbol('express-session-rs.req'),
  kWriteSetCookie: Symbol('express-session-rs.writeSetCookie')
}
