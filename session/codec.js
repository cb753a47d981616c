'use strict'

// The session cookie's codec: the core's SessionCodec, which reads the session ID out of a Cookie
// header, verifies signatures and writes Set-Cookie values. Strings cross into Rust as UTF-8, where
// a lone UTF-16 surrogate becomes U+FFFD, so the native codec would hand back another ID than the
// cookie names (its signature verifies all the same: cookie-signature also signs the UTF-8 form).
// Strings holding one, which reach the middleware only in-process (a custom req.headers,
// cookie-parser's results), are read by the JavaScript codec instead, which keeps them as they are,
// as express-session does. Well-formed strings, all of them in practice, pass after one quick check.

const core = require('../core')
const { isWellFormed } = require('./well-formed')

// native codec -> the JavaScript codec with the same cookie name and secrets
const jsCodecs = new WeakMap()

// `secrets`: Buffers, the first one signing
function createCodec (name, secrets) {
  const codec = new core.SessionCodec(name, secrets)
  if (core.isNative) {
    const JsSessionCodec = require('../fallback/session-codec')
    jsCodecs.set(codec, new JsSessionCodec(name, secrets))
  }
  return codec
}

function codecFor (codec, value) {
  return isWellFormed(value) ? codec : jsCodecs.get(codec) || codec
}

// The verified session ID in a Cookie header, or null.
function readSessionId (codec, header) {
  return codecFor(codec, header).readSessionId(header)
}

// The value inside a signed `value.signature`, or null when no secret verifies it.
function unsign (codec, signedValue) {
  return codecFor(codec, signedValue).unsign(signedValue)
}

module.exports = { createCodec, readSessionId, unsign }
