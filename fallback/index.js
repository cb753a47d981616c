'use strict'

// The JavaScript fallback of the native core: the same exports, with the same behaviour, used where
// the Rust addon does not load (see ../core.js). Built on the packages express-session itself uses,
// `cookie` and `cookie-signature`, and on `lru-cache` for the bounded MemoryStore.

exports.generateSessionId = require('./session-id')
exports.serializeCookie = require('./set-cookie')
exports.SessionCodec = require('./session-codec')
exports.NativeMemoryStore = require('./memory-store')
exports.changedKeys = require('./data-json').changedKeys
