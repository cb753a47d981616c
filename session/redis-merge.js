'use strict'

// The `merge` option on connect-redis, done inside Redis: one script (redis-merge.lua) reads the
// stored session, applies the request's changed and removed keys and its cookie, and writes it back
// with connect-redis's expiry, in one round trip that no other merge can interleave with, whichever
// process or machine it comes from. Without it the middleware reads, applies and writes back
// (session/merge.js), which only keeps merges from one process apart.
//
// A store is taken for connect-redis (7, 8 or 9) by its fields and methods, not its class, since
// apps load their own copy of it. It must store JSON.stringify's text (connect-redis's default
// serializer): the script edits that text as it stands, keeping the bytes JSON.stringify would
// write for the merged session, so express-session processes on the same Redis read it as their
// own. A store with another serializer is not recognised and keeps the read-apply-write merge.
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

// A function `(key, args) => Promise` running the script with EVALSHA (EVAL where Redis answers
// NOSCRIPT: it was never loaded, or was flushed) through `client`; null for a client it does not know.
function scriptRunner (client) {
  let evalsha, evalScript
  if (typeof client.evalsha === 'function' && typeof client.eval === 'function') {
    // ioredis, a client or a cluster
    evalsha = (key, args) => client.evalsha(SHA, 1, key, ...args)
    evalScript = (key, args) => client.eval(SCRIPT, 1, key, ...args)
  } else if (typeof client.sendCommand === 'function' && 'masters' in client) {
    // a node-redis cluster: sendCommand(firstKey, isReadonly, args)
    evalsha = (key, args) => client.sendCommand(key, false, ['EVALSHA', SHA, '1', key, ...args])
    evalScript = (key, args) => client.sendCommand(key, false, ['EVAL', SCRIPT, '1', key, ...args])
  } else if (typeof client.sendCommand === 'function' && typeof client.scanIterator === 'function') {
    // a node-redis client (4 or later)
    evalsha = (key, args) => client.sendCommand(['EVALSHA', SHA, '1', key, ...args])
    evalScript = (key, args) => client.sendCommand(['EVAL', SCRIPT, '1', key, ...args])
  } else {
    return null
  }
  return function run (key, args) {
    return evalsha(key, args).catch((err) => {
      if (err && typeof err.message === 'string' && err.message.startsWith('NOSCRIPT')) return evalScript(key, args)
      throw err
    })
  }
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
      let args
      try {
        // connect-redis deletes a session whose expiry is not ahead, even with disableTTL
        const ttl = getTTL.call(store, sess)
        const expiry = ttl > 0 ? (store.disableTTL ? '' : String(ttl)) : '0'
        args = [loadedDataJson, dataJson, JSON.stringify(sess.cookie), expiry]
      } catch (err) {
        callback(err, false)
        return
      }
      // answered from a tick of its own, so an exception in the rest of the request is not taken
      // for the script's failure
      run(store.prefix + id, args).then(
        (written) => process.nextTick(callback, null, Number(written) === 1),
        (err) => process.nextTick(callback, err, false)
      )
    }
  }
}

module.exports = { noteRedisClient, redisMergerFor, SCRIPT }
