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

// What both cores export.
const API = ['generateSessionId', 'serializeCookie', 'SessionCodec', 'NativeMemoryStore', 'changedKeys']
// The addon's exports that ./addon.js builds that interface (and the DiskStore) from; an addon missing any
// of them (a stale build) is not used.
const ADDON_FUNCTIONS = [
  'generateSessionIds', 'serializeCookie', 'changedKeys',
  'sessionCodecNew', 'sessionCodecReadSessionId', 'sessionCodecUnsign', 'sessionCodecSetCookieHeader', 'sessionCodecSignedIds',
  'memoryStoreOpen', 'memoryStoreGet', 'memoryStoreLoad', 'memoryStoreCookieFieldsJson', 'memoryStoreTouchFields',
  'memoryStoreSet', 'memoryStoreSetFields', 'memoryStoreTouch', 'memoryStoreMerge', 'memoryStoreDestroy', 'memoryStoreClear',
  'memoryStoreLength', 'memoryStoreEntries', 'memoryStoreSweep', 'memoryStoreStats',
  'diskStoreOpen', 'diskStoreGet', 'diskStoreLoad', 'diskStoreSet', 'diskStoreTouch', 'diskStoreMerge', 'diskStoreDestroy', 'diskStoreClear',
  'diskStoreSweep', 'diskStoreLength', 'diskStoreEntries', 'diskStoreStats', 'diskStoreIsOpen', 'diskStoreVerify',
  'diskStoreQueueSet', 'diskStoreQueueTouch', 'diskStoreQueueDestroy', 'diskStoreCommitQueued'
]

function loadNative () {
  const addon = require('./native')
  const missing = ADDON_FUNCTIONS.filter((name) => typeof addon[name] !== 'function')
  if (missing.length !== 0) {
    throw new Error('the native binding does not export ' + missing.join(', ') + '; rebuild it from this version')
  }
  return require('./addon')
}

// What the loader tried and why each attempt failed, in the order it tried them. napi's loader throws
// a generic "Cannot find native binding" with advice about an npm bug that is rarely the reason
// (usually there is simply no binary for this platform); the attempts are its chain of causes,
// the last attempt first. Any other error (a stale binding, say) stands for itself.
function attempts (err) {
  const chain = []
  for (let cause = err.cause; cause && chain.length < 20; cause = cause.cause) chain.unshift(cause)
  if (chain.length === 0) chain.push(err)
  return chain.map((attempt) => {
    const message = (attempt instanceof Error ? attempt.message : String(attempt)).split('\n')[0]
    const missing = /^Cannot find module '([^']+)'/.exec(message)
    if (!missing) return message
    return missing[1].startsWith('.') ? missing[1] + ': no such file' : 'package ' + missing[1] + ': not installed'
  })
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
    debug('core: the native addon did not load (%s); the JavaScript fallback serves instead, with the same ' +
      'behaviour except that MemoryStores cannot be shared between worker threads by name', attempts(err).join('; '))
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
// whether this process has a DiskStore's directory open, and the walk of a store's file that
// session/disk-check.js runs in a process of its own (the addon's only, as the DiskStore)
exports.diskStoreIsOpen = binding.diskStoreIsOpen
exports.diskStoreVerify = binding.diskStoreVerify
// measurement hook of an addon built with the `bench-probes` feature (see bench/micro.js)
exports.threadsafeCallProbe = binding.threadsafeCallProbe
