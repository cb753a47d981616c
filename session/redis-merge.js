'use strict'

// The `merge` option on connect-redis, done inside Redis: one script (redis-merge.lua) reads the
// stored session, applies the keys the request changed and removed (worked out from the data JSON
// it loaded and the one it ends with) and its cookie, and writes it back with connect-redis's expiry, in one round trip that no other merge can interleave with, whichever
// process or machine it comes from. Without it the middleware reads, applies and writes back
// (session/merge.js), which only keeps merges from one process apart.
//
// A store is taken for connect-redis (7, 8 or 9) by its fields and methods, not its class, since
// apps load their own copy of it. It must store JSON.stringify's text (connect-redis's default
// serializer): the script edits that text as it stands, keeping the bytes JSON.stringify would
// write for the merged session, so express-session processes on the same Redis read it as their
// own. With another serializer the merge stays the read-apply-write one.
//
// Which client runs the script: connect-redis 9 keeps the app's node-redis client (or cluster) as
// `store.client`; connect-redis 7 and 8 keep only a wrapper without a way to send other commands,
// and take the app's client (node-redis 4 or ioredis) through `this.normalizeClient(client)` in
// their constructor, which `noteRedisClient`, called from Store's constructor, listens in on. That
// works where connect-redis's Store base class is this package's, as when it is installed under
// express-session's name.

const crypto = require('crypto')
const fs = require('fs')
const path = require('path')

const SCRIPT = fs.readFileSync(path.join(__dirname, 'redis-merge.lua'), 'utf8')
const SHA = crypto.createHash('sha1').update(SCRIPT).digest('hex')

// connect-redis 7/8 store -> the client the app gave it
const appClients = new WeakMap()

// Called on every new Store: on a connect-redis 7 or 8 store, remembers the client its constructor
// is about to hand to its prototype's normalizeClient, through an own method that steps aside again.
function noteRedisClient (store) {
  const normalize = store.normalizeClient
  if (typeof normalize !== 'function' || Object.prototype.hasOwnProperty.call(store, 'normalizeClient')) return
  Object.defineProperty(store, 'normalizeClient', {
    configurable: true,
    writable: true,
    value: function normalizeClient (client) {
      delete this.normalizeClient
      if (client !== null && typeof client === 'object') appClients.set(this, client)
      return normalize.call(this, client)
    }
  })
}

const CONNECT_REDIS_FIELDS = ['client', 'prefix', 'serializer', 'ttl', 'disableTTL', 'disableTouch', 'scanCount']

// A function `run(key, loadedJson, dataJson, cookieJson, expiry, callback)` running the script
// through `client` with EVALSHA (EVAL where Redis answers NOSCRIPT: it was never loaded, or was
// flushed), calling back with (err, written); null for a client it does not know.
function scriptRunner (client) {
  let send // (whole, key, ...ARGV): EVAL with the script when `whole`, else EVALSHA; a promise
  if (typeof client.evalsha === 'function' && typeof client.eval === 'function') {
    // ioredis, a client or a cluster
    send = (whole, key, a, b, c, d) => (whole ? client.eval(SCRIPT, 1, key, a, b, c, d) : client.evalsha(SHA, 1, key, a, b, c, d))
  } else if (typeof client.sendCommand === 'function' && 'masters' in client) {
    // a node-redis cluster: sendCommand(firstKey, isReadonly, args)
    send = (whole, key, a, b, c, d) => client.sendCommand(key, false, whole ? ['EVAL', SCRIPT, '1', key, a, b, c, d] : ['EVALSHA', SHA, '1', key, a, b, c, d])
  } else if (typeof client.sendCommand === 'function' && typeof client.scanIterator === 'function') {
    // a node-redis client (4 or later)
    send = (whole, key, a, b, c, d) => client.sendCommand(whole ? ['EVAL', SCRIPT, '1', key, a, b, c, d] : ['EVALSHA', SHA, '1', key, a, b, c, d])
  } else {
    return null
  }

  return function run (key, a, b, c, d, callback) {
    const written = (reply) => answer(callback, null, Number(reply) === 1)
    const failed = (err) => answer(callback, err, false)
    send(false, key, a, b, c, d).then(written, function retry (err) {
      if (err && typeof err.message === 'string' && err.message.startsWith('NOSCRIPT')) {
        send(true, key, a, b, c, d).then(written, failed)
      } else {
        failed(err)
      }
    })
  }
}

// Calls back from a promise's reaction, rethrowing what the callback throws (the rest of the
// request runs in it) as an uncaught exception, as it would be from any store's callback, rather
// than leaving it to become an unhandled rejection.
function answer (callback, err, written) {
  try {
    callback(err, written)
  } catch (thrown) {
    process.nextTick(rethrow, thrown)
  }
}

function rethrow (err) {
  throw err
}

// connect-redis's expiry rule for a session (its own method, named getTTL from 9 on).
function ttlMethod (store) {
  if (typeof store.getTTL === 'function') return store.getTTL
  if (typeof store._getTTL === 'function') return store._getTTL
  return null
}

// The merge for `store` when it is a connect-redis store this module can merge into, else null:
// `merge(id, loadedDataJson, dataJson, sess, callback)`: merges the changes between the data JSON the
// request loaded (or last saved) and the one it ends with; called back with (err, merged), merged
// false when no session `id` was stored (which then stays absent).
function redisMergerFor (store) {
  if (store === null || typeof store !== 'object') return null
  for (const field of CONNECT_REDIS_FIELDS) if (!(field in store)) return null
  const getTTL = ttlMethod(store)
  const client = appClients.get(store) || store.client
  if (getTTL === null || client === null || typeof client !== 'object') return null
  const run = scriptRunner(client)
  if (run === null) return null

  return {
    // The serializer is checked on every merge, since it is a plain field an app may replace.
    applies () {
      const serializer = store.serializer
      return serializer === JSON || (serializer !== null && typeof serializer === 'object' &&
        serializer.stringify === JSON.stringify && serializer.parse === JSON.parse)
    },

    merge (id, loadedDataJson, dataJson, sess, callback) {
      let cookieJson, expiry
      try {
        // connect-redis deletes a session whose expiry is not ahead, even with disableTTL
        const ttl = getTTL.call(store, sess)
        expiry = ttl > 0 ? (store.disableTTL ? '' : String(ttl)) : '0'
        cookieJson = JSON.stringify(sess.cookie)
      } catch (err) {
        callback(err, false)
        return
      }
      run(store.prefix + id, loadedDataJson, dataJson, cookieJson, expiry, callback)
    }
  }
}

module.exports = { noteRedisClient, redisMergerFor, SCRIPT }
