'use strict'

// The core every other module calls for cookie parsing, signing, session IDs, Set-Cookie values,
// session data diffs and the MemoryStore's storage. It is chosen once, when the package loads:
// the Rust addon through ./native (the loader napi-rs generates, which finds the binary of this
// platform) when it loads, otherwise the JavaScript fallback in ./fallback, which behaves the same
// with one exception: MemoryStores cannot be shared between worker threads by `name`.
//
//   EXPRESS_SESSION_RS_FALLBACK=1   use the fallback even where the addon would load
//   DEBUG=express-session           log which core loaded and, for the fallback, why

const debug = require('debug')('express-session')

const FORCE_FALLBACK = 'EXPRESS_SESSION_RS_FALLBACK'

// What both cores export; an addon missing any of them (a stale build) is not used.
const API = ['generateSessionId', 'serializeCookie', 'SessionCodec', 'NativeMemoryStore', 'changedKeys']
// The MemoryStore storage's methods the middleware reads sessions through, checked the same way.
const STORAGE_API = ['load', 'cookieFieldsJson', 'touchFields']

function loadNative () {
  const binding = require('./native')
  const missing = API.filter((name) => typeof binding[name] !== 'function')
  const storage = binding.NativeMemoryStore && binding.NativeMemoryStore.prototype
  if (storage) missing.push(...STORAGE_API.filter((name) => typeof storage[name] !== 'function').map((name) => 'NativeMemoryStore#' + name))
  if (missing.length !== 0) {
    throw new Error('the native binding does not export ' + missing.join(', ') + '; rebuild it from this version')
  }
  return binding
}

// The message of an error and of its chain of causes (the napi loader lists each path it tried there).
function describe (err) {
  const messages = []
  for (let cause = err; cause && messages.length < 20; cause = cause.cause) {
    messages.push(cause instanceof Error ? cause.message : String(cause))
  }
  return messages.join(' <- ')
}

function choose () {
  if (process.env[FORCE_FALLBACK] === '1') {
    debug('core: JavaScript fallback, forced by %s=1', FORCE_FALLBACK)
    return { binding: require('./fallback'), isNative: false, loadError: null }
  }
  try {
    const binding = loadNative()
    debug('core: native addon (%s-%s)', process.platform, process.arch)
    return { binding, isNative: true, loadError: null }
  } catch (err) {
    debug('core: JavaScript fallback, the native addon did not load: %s', describe(err))
    return { binding: require('./fallback'), isNative: false, loadError: err }
  }
}

const { binding, isNative, loadError } = choose()

for (const name of API) exports[name] = binding[name]

// true on the Rust addon, false on the JavaScript fallback
exports.isNative = isNative
// why the addon did not load (null when it did, or when the fallback was forced)
exports.loadError = loadError
// the DiskStore's storage: the addon's only (undefined on the fallback, where session/disk.js refuses)
exports.NativeDiskStore = binding.NativeDiskStore
// measurement hook of an addon built with the `bench-probes` feature (see bench/micro.js)
exports.threadsafeCallProbe = binding.threadsafeCallProbe
