'use strict'

// connect-redis installed the two ways npm installs it beside this package. It declares
// express-session as a peer dependency and extends that package's Store, so:
//
// - installed as express-session (`npm install express-session@npm:express-session-rs`, as this
//   repository's own devDependencies do), connect-redis extends this package's Store;
// - required by its own name (`npm install express-session-rs connect-redis`), npm installs
//   express-session itself beside it for connect-redis, whose sessions are then made by that copy.
//
// Either way the middleware's guarantees must hold: with `merge`, 50 concurrent requests on one
// session keep 50 of 50 keys, through load, reload and regenerate, against a real redis-server.

const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const request = require('supertest')
const { requireServer, session, upstream } = require('./support')
const { concurrencyApp, fireTogether, initSession } = require('../support/concurrency')
const { layOutWithExpressSession } = require('../support/with-express-session')

const N = 50
const keysOf = (data) => Object.keys(data).filter((key) => /^k\d+$/.test(key)).sort()

describe('connect-redis beside this package, as npm installs it', function () {
  this.timeout(30000)
  let client
  let scratch
  const prefix = `esrs-copies:${process.pid}:`

  before(async function () {
    const url = requireServer(this, 'REDIS_URL')
    const { createClient } = require('redis')
    client = createClient({ url })
    await client.connect()
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'esrs-copies-'))
  })

  after(async function () {
    if (client) {
      const keys = await client.keys(prefix + '*')
      if (keys.length) await client.del(keys)
      await client.close()
    }
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  const setups = {
    'installed under the express-session name': {
      load: () => ({ middleware: session, RedisStore: require('connect-redis').RedisStore }),
      base: () => session.Store
    },
    'required by its own name, express-session itself installed beside it': {
      load () {
        const appRequire = layOutWithExpressSession(scratch, ['connect-redis'])
        return { middleware: appRequire('express-session-rs'), RedisStore: appRequire('connect-redis').RedisStore }
      },
      base: () => upstream.Store
    }
  }

  for (const [title, setup] of Object.entries(setups)) {
    describe(title, function () {
      let middleware
      let RedisStore

      before(function () {
        ({ middleware, RedisStore } = setup.load())
      })

      it('connect-redis extends the Store of the package npm put under the express-session name', function () {
        assert.strictEqual(middleware, session)
        assert.strictEqual(Object.getPrototypeOf(RedisStore.prototype), setup.base().prototype)
      })

      it(`with merge, ${N} concurrent writers on a loaded session keep all ${N} keys`, async function () {
        const store = new RedisStore({ client, prefix })
        const cookie = await initSession(concurrencyApp(middleware, { store, merge: true }))
        await fireTogether(concurrencyApp(middleware, { store, merge: true }, N), cookie,
          Array.from({ length: N }, (_, i) => `/set?key=k${i}&delay=${i * 2}`))
        const data = (await request(concurrencyApp(middleware, { store })).get('/read').set('Cookie', cookie).expect(200)).body
        assert.strictEqual(keysOf(data).length, N)
        assert.strictEqual(data.base, 'kept')
      })

      it('with merge, concurrent writers that reload first keep every key, and the session stays this package\'s', async function () {
        const store = new RedisStore({ client, prefix })
        const app = concurrencyApp(middleware, { store, merge: true })
        const cookie = await initSession(app)
        const kinds = []
        app.get('/reload-set', (req, res, next) => req.session.reload((err) => {
          if (err) return next(err)
          kinds.push(req.session instanceof session.Session)
          setTimeout(() => { req.session[req.query.key] = true; res.end() }, Number(req.query.delay))
        }))
        await fireTogether(app, cookie, Array.from({ length: 10 }, (_, i) => `/reload-set?key=k${i}&delay=${i * 3}`))
        const data = (await request(app).get('/read').set('Cookie', cookie).expect(200)).body
        assert.deepStrictEqual(keysOf(data), Array.from({ length: 10 }, (_, i) => `k${i}`).sort())
        assert.deepStrictEqual(kinds, Array(10).fill(true))
      })

      it('regenerate replaces the session: the old ID is gone from Redis, the new one holds the new data', async function () {
        const store = new RedisStore({ client, prefix })
        const app = concurrencyApp(middleware, { store, merge: true })
        app.get('/regenerate', (req, res, next) => req.session.regenerate((err) => {
          if (err) return next(err)
          req.session.fresh = true
          res.end(req.sessionID)
        }))
        const cookie = await initSession(app)
        const oldId = decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0]
        const res = await request(app).get('/regenerate').set('Cookie', cookie).expect(200)
        assert.strictEqual(await client.get(prefix + oldId), null)
        assert.deepStrictEqual(Object.keys(JSON.parse(await client.get(prefix + res.text))), ['cookie', 'fresh'])
      })
    })
  }
})
