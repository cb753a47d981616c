'use strict'

// The middleware's options, checked once when `session()` is called and turned into the settings
// every request reads. Checks, defaults, deprecations and messages follow express-session 1.19.

const crypto = require('crypto')
const deprecate = require('depd')('express-session')
const native = require('../core')
const MemoryStore = require('./memory')
const { adapterFor } = require('./store-adapter')
const { createCodec } = require('./codec')
const { VerifiedHeaders } = require('./request')

const productionWarning = 'Warning: express-session-rs is using its default MemoryStore.\n' +
  'Sessions kept there live in this process only: they are lost on restart\n' +
  'and not shared with other processes. Configure a shared store for production.'

function readOptions (options) {
  const opts = options || {}
  const generateId = opts.genid || native.generateSessionId
  // express-session hands the name to its cookie helpers, which read it as a string
  const name = String(opts.name || opts.key || 'connect.sid')
  const store = opts.store || new MemoryStore()
  let resave = opts.resave
  let saveUninitialized = opts.saveUninitialized
  let secrets = opts.secret

  if (typeof generateId !== 'function') {
    throw new TypeError('genid option must be a function')
  }

  if (resave === undefined) {
    deprecate('undefined resave option; provide resave option')
    resave = true
  }

  if (saveUninitialized === undefined) {
    deprecate('undefined saveUninitialized option; provide saveUninitialized option')
    saveUninitialized = true
  }

  if (opts.unset && opts.unset !== 'destroy' && opts.unset !== 'keep') {
    throw new TypeError('unset option must be "destroy" or "keep"')
  }

  if (Array.isArray(secrets) && secrets.length === 0) {
    throw new TypeError('secret option array must contain one or more strings')
  }

  // an array given by the application is read again on every request (see currentCodec)
  const rotatable = Array.isArray(secrets) ? secrets : null

  if (secrets && !Array.isArray(secrets)) {
    secrets = [secrets]
  }

  if (!secrets) {
    deprecate('req.secret; provide secret option')
  }

  const codec = secrets ? createCodec(name, secrets.map(secretBytes)) : null

  if (process.env.NODE_ENV === 'production' && store instanceof MemoryStore) {
    console.warn(productionWarning)
  }

  return {
    store,
    adapter: adapterFor(store),
    name,
    generateId,
    // no genid option: IDs come from the codec (index.js newSessionId)
    ownsIds: !opts.genid,
    cookieOptions: opts.cookie || {},
    trustProxy: opts.proxy,
    resave: Boolean(resave),
    rolling: Boolean(opts.rolling),
    saveUninitialized: Boolean(saveUninitialized),
    unsetDestroy: opts.unset === 'destroy',
    merge: Boolean(opts.merge),
    // whether the merge option's warning about a session saved whole was given (request-session.js)
    warnedSavedWhole: false,
    storeImplementsTouch: typeof store.touch === 'function',
    // without a secret option, codecs are made per request secret (cookie-parser's req.secret)
    codec,
    verifiedHeaders: codec === null ? null : new VerifiedHeaders(codec),
    // the application's secret array, and a copy of the elements `codec` was made from
    secrets: rotatable,
    secretsInUse: rotatable === null ? null : rotatable.slice(),
    codecsByReqSecret: new Map(),
    storeReady: true
  }
}

// The key bytes of a secret: anything crypto.createHmac takes as a key, as express-session signs
// with createHmac (strings as UTF-8, buffers and views as their bytes, secret KeyObjects and
// CryptoKeys as their exported bytes).
function secretBytes (secret) {
  if (typeof secret === 'string') return Buffer.from(secret)
  if (Buffer.isBuffer(secret)) return secret
  if (ArrayBuffer.isView(secret)) return Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
  if (secret instanceof ArrayBuffer) return Buffer.from(secret)
  if (secret instanceof crypto.KeyObject && secret.type === 'secret') return secret.export()
  if (isCryptoKey(secret) && secret.type === 'secret') return crypto.KeyObject.from(secret).export()
  throw new TypeError('secret option must be a string, a Buffer, a secret KeyObject, or an array of them')
}

function isCryptoKey (value) {
  return typeof crypto.webcrypto === 'object' && value instanceof crypto.webcrypto.CryptoKey
}

// The codec for this request: the secret option's, else the one for cookie-parser's req.secret,
// or null when there is neither. express-session reads the secret array it was given on every
// request, so an application can rotate secrets by changing that array in place
// (`secrets.unshift(next)`); the codec is remade once the array's elements are no longer the ones
// it was made from. Throws the option's TypeError when the array is no longer a valid secret.
function currentCodec (settings, req) {
  const secrets = settings.secrets
  if (secrets !== null && !sameElements(secrets, settings.secretsInUse)) remakeCodec(settings, secrets)
  return settings.codec || codecForReqSecret(settings, req.secret)
}

function sameElements (array, copy) {
  if (array.length !== copy.length) return false
  for (let i = 0; i < copy.length; i++) {
    if (array[i] !== copy[i]) return false
  }
  return true
}

function remakeCodec (settings, secrets) {
  if (secrets.length === 0) throw new TypeError('secret option array must contain one or more strings')
  const codec = createCodec(settings.name, secrets.map(secretBytes))
  settings.codec = codec
  settings.verifiedHeaders = new VerifiedHeaders(codec)
  settings.secretsInUse = secrets.slice()
}

// The codec for cookie-parser's req.secret when no secret option was given; null when there is none.
function codecForReqSecret (settings, reqSecret) {
  if (!reqSecret) return null

  let codec = settings.codecsByReqSecret.get(reqSecret)
  if (codec === undefined) {
    // a bound on how many distinct secrets are remembered; real apps have one
    // a new Map rather than clear() (see DiskWrites#commitQueued)
    if (settings.codecsByReqSecret.size >= 16) settings.codecsByReqSecret = new Map()
    codec = createCodec(settings.name, [secretBytes(reqSecret)])
    settings.codecsByReqSecret.set(reqSecret, codec)
  }
  return codec
}

module.exports = { readOptions, currentCodec }
