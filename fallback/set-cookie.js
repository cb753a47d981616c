'use strict'

// Set-Cookie values through the `cookie` package's serialize(), which the native core reproduces:
// the same attribute order, validation and error messages. The arguments are the native ones:
// `expires` in epoch milliseconds, absent attributes as undefined or null.

const cookie = require('cookie')
const { optionalNumber, optionalString, requireBoolean, requireString } = require('./arguments')

function serializeCookie (name, value, expires, domain, path, httpOnly, secure, partitioned, priority, sameSite) {
  const expiresMs = optionalNumber(expires, 'expires')
  return cookie.serialize(requireString(name, 'name'), requireString(value, 'value'), {
    // a Date of a number beyond a Date's range is invalid, which serialize() rejects
    expires: expiresMs === undefined ? undefined : new Date(expiresMs),
    domain: optionalString(domain, 'domain'),
    path: optionalString(path, 'path'),
    httpOnly: requireBoolean(httpOnly, 'httpOnly'),
    secure: requireBoolean(secure, 'secure'),
    partitioned: requireBoolean(partitioned, 'partitioned'),
    priority: optionalString(priority, 'priority'),
    sameSite: optionalString(sameSite, 'sameSite')
  })
}

module.exports = serializeCookie
