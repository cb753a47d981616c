'use strict'

// Session IDs as the native core makes them: 24 bytes from the operating system's CSPRNG, written
// as 32 base64url characters (the shape uid-safe gives express-session).

const { randomBytes } = require('crypto')

const ID_BYTES = 24

function generateSessionId () {
  return randomBytes(ID_BYTES).toString('base64url')
}

module.exports = generateSessionId
