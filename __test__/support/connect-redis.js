'use strict'

// connect-redis as apps run it, in each supported pairing of connect-redis and Redis client, over
// whichever session package an app uses (connect-redis takes its Store base class from
// `require('express-session')`). The pairings are the devDependencies' aliases:
//   connect-redis 9 (>= 9 wants node-redis 5 or later), connect-redis 7 and 8 (node-redis 4 or ioredis).

const { requireWithExpressSession } = require('./with-express-session')

const pairings = [
  { name: 'connect-redis 9 + node-redis 5', connectRedis: 'connect-redis', client: 'redis5' },
  { name: 'connect-redis 9 + node-redis 6', connectRedis: 'connect-redis', client: 'redis' },
  { name: 'connect-redis 8 + node-redis 4', connectRedis: 'connect-redis8', client: 'redis4' },
  { name: 'connect-redis 8 + ioredis', connectRedis: 'connect-redis8', client: 'ioredis' },
  { name: 'connect-redis 7 + node-redis 4', connectRedis: 'connect-redis7', client: 'redis4' },
  { name: 'connect-redis 7 + ioredis', connectRedis: 'connect-redis7', client: 'ioredis' }
]

// A connected client of package `client` ('ioredis' or a node-redis alias), with the commands the
// specs use spelled one way (`raw` is the client itself).
async function openClient (client, url) {
  const ioredis = client === 'ioredis'
  let redis
  if (ioredis) {
    const Redis = require('ioredis')
    redis = new Redis(url, { lazyConnect: true })
  } else {
    redis = require(client).createClient({ url })
  }
  await redis.connect()
  return {
    raw: redis,
    get: (key) => redis.get(key),
    ttl: (key) => redis.ttl(key),
    exists: (key) => redis.exists(key),
    keys: (pattern) => redis.keys(pattern),
    del: (keys) => (ioredis ? redis.del(...keys) : redis.del(keys)),
    scriptFlush: () => (ioredis ? redis.script('FLUSH') : redis.sendCommand(['SCRIPT', 'FLUSH'])),
    // node-redis 5 renamed quit to close
    close: () => (typeof redis.close === 'function' && !ioredis ? redis.close() : redis.quit())
  }
}

// The RedisStore class of `pairing`'s connect-redis built on session package `impl`.
function redisStoreClass (pairing, impl) {
  const exported = requireWithExpressSession(pairing.connectRedis, impl)
  return exported.RedisStore || exported.default
}

// A store of `pairing` over session package `impl`, on a client of its own; `close()` ends the client.
async function openStore (pairing, impl, url, storeOptions) {
  const client = await openClient(pairing.client, url)
  const RedisStore = redisStoreClass(pairing, impl)
  return { store: new RedisStore({ client: client.raw, ...storeOptions }), client }
}

module.exports = { openClient, openStore, pairings, redisStoreClass }
