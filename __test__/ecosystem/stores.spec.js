'use strict'

// Session stores from express-session's ecosystem, over real connections: connect-redis against a
// real redis-server, connect-pg-simple against a real PostgreSQL, memorystore, session-file-store
// in a temporary directory, and this package's DiskStore in another. Each spec drives this package's middleware through an Express app and
// then looks at what the store really holds (the Redis key, the table row, the file). The migration
// specs put express-session itself in front of the same store: an app still on express-session
// gets its store class built on express-session's Store, the way it would in its own process.

const assert = require('assert')
const express = require('express')
const fs = require('fs')
const os = require('os')
const path = require('path')
const {
  Client, countCalls, requireServer, requireWithExpressSession, session, sleep, storedSession, upstream
} = require('./support')
const { requireDiskStore } = require('../support/disk-processes')

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

// Each kind opens its backend once per describe: `make(impl)` builds a store instance whose Store
// base class is `impl`'s, `raw(sid)` reads what the backend holds for sid (null for nothing),
// `expiresAt(sid)` reads the expiry the backend itself enforces, in epoch ms.
const kinds = {
  'connect-redis 9 + redis client': {
    async open (context) {
      const url = requireServer(context, 'REDIS_URL')
      const { createClient } = require('redis')
      const client = createClient({ url })
      client.on('error', (err) => console.error('redis client:', err.message))
      await client.connect()
      const prefix = `esrs-test:${process.pid}:`
      const classes = new Map([
        [session, require('connect-redis').RedisStore],
        [upstream, requireWithExpressSession('connect-redis', upstream).RedisStore]
      ])
      return {
        make: (impl) => new (classes.get(impl))({ client, prefix }),
        raw: async (sid) => {
          const json = await client.get(prefix + sid)
          return json === null ? null : JSON.parse(json)
        },
        expiresAt: async (sid) => {
          const ttl = await client.pTTL(prefix + sid)
          assert.ok(ttl > 0, `redis holds ${prefix + sid} with a TTL (pTTL said ${ttl})`)
          return Date.now() + ttl
        },
        async close () {
          const keys = await client.keys(prefix + '*')
          if (keys.length) await client.del(keys)
          await client.close()
        }
      }
    }
  },

  'connect-pg-simple 10 + pg': {
    async open (context) {
      const url = requireServer(context, 'DATABASE_URL')
      const { Pool } = require('pg')
      const pool = new Pool({ connectionString: url, max: 4 })
      // the store's own table, `session`, made by createTableIfMissing, in a schema of this run
      const schemaName = `esrs_test_${process.pid}`
      await pool.query(`CREATE SCHEMA ${schemaName}`)
      const classes = new Map([[session, require('connect-pg-simple')(session)], [upstream, require('connect-pg-simple')(upstream)]])
      const make = (impl) => new (classes.get(impl))({ pool, schemaName, createTableIfMissing: true, pruneSessionInterval: false })
      // create the table once, before several store instances could race to
      await storedSession(make(session), 'none')
      const row = async (sid) => (await pool.query(`SELECT sess, expire FROM ${schemaName}.session WHERE sid = $1`, [sid])).rows[0]
      return {
        make,
        raw: async (sid) => {
          const found = await row(sid)
          return found ? found.sess : null
        },
        expiresAt: async (sid) => (await row(sid)).expire.getTime(),
        async close () {
          await pool.query(`DROP SCHEMA ${schemaName} CASCADE`)
          await pool.end()
        }
      }
    }
  },

  'memorystore 1.6': {
    async open () {
      // memorystore keeps sessions in its own process-local LRU: one instance serves both
      // middlewares, as it would serve two apps of one process
      const MemoryStore = require('memorystore')(session)
      const store = new MemoryStore({ checkPeriod: 60000 })
      // every middleware listens to its store's connect/disconnect events (as express-session's does)
      store.setMaxListeners(100)
      const entry = (sid) => store.store.dump().find((e) => e.k === sid)
      return {
        make: () => store,
        raw: async (sid) => {
          const json = store.store.peek(sid)
          return json === undefined ? null : JSON.parse(json)
        },
        expiresAt: async (sid) => entry(sid).e,
        close: async () => store.stopInterval()
      }
    }
  },

  // this package's own DiskStore, on a directory of this run; every instance opens the same one
  DiskStore: {
    async open (context) {
      requireDiskStore(context)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esrs-disk-store-'))
      const make = () => new session.DiskStore({ path: dir, checkPeriod: false })
      const reader = make()
      const raw = async (sid) => (await storedSession(reader, sid)) || null
      return {
        make,
        raw,
        // the store expires a session with its cookie.expires
        expiresAt: async (sid) => Date.parse((await raw(sid)).cookie.expires),
        close: async () => fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  },

  'session-file-store 1.5': {
    async open () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esrs-file-store-'))
      const classes = new Map([[session, require('session-file-store')(session)], [upstream, require('session-file-store')(upstream)]])
      const file = (sid) => path.join(dir, sid + '.json')
      const raw = async (sid) => (fs.existsSync(file(sid)) ? JSON.parse(fs.readFileSync(file(sid), 'utf8')) : null)
      return {
        make: (impl) => new (classes.get(impl))({ path: dir, retries: 0, logFn: () => {}, reapInterval: -1 }),
        raw,
        // the store deems a file expired when its cookie.expires has passed
        expiresAt: async (sid) => Date.parse((await raw(sid)).cookie.expires),
        close: async () => fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}

// The routes every app serves.
function routes (app) {
  app.get('/count', (req, res) => {
    req.session.n = (req.session.n || 0) + 1
    res.end('n=' + req.session.n)
  })
  app.get('/profile', (req, res) => {
    req.session.profile = req.session.profile || { name: 'ann', tags: ['a'] }
    req.session.profile.tags.push('t' + req.session.profile.tags.length)
    delete req.session.n
    req.session.flag = null
    res.end('ok')
  })
  app.get('/read', (req, res) => res.json({ n: req.session.n, id: req.sessionID }))
  app.get('/regenerate', (req, res, next) => req.session.regenerate((err) => {
    if (err) return next(err)
    req.session.fresh = true
    res.end('regenerated')
  }))
  app.get('/destroy', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.end('destroyed'))))
  return app
}

// An Express app with `impl`'s middleware (this package by default) over `store`.
function makeApp (store, { impl = session, ...options } = {}) {
  const app = express()
  app.use(impl({ secret: 'store secret', resave: false, saveUninitialized: false, store, ...options, cookie: { maxAge: 60000, ...options.cookie } }))
  return routes(app)
}

for (const [name, kind] of Object.entries(kinds)) {
  describe('store: ' + name, function () {
    this.timeout(20000)
    let backend

    before(async function () {
      backend = await kind.open(this)
    })

    after(async function () {
      if (backend) await backend.close()
    })

    it("is built on this package's Store (its require('express-session') or the session it was given)", function () {
      const store = backend.make(session)
      assert.ok(store instanceof session.Store, 'store extends this package\'s Store')
      assert.strictEqual(store.createSession, session.Store.prototype.createSession)
    })

    it("creates a session and loads it back; the store holds express-session's JSON", async function () {
      const client = new Client(makeApp(backend.make(session)))
      await client.get('/count')
      assert.strictEqual(client.last.text, 'n=1')
      assert.ok(client.sid, 'a session cookie was set')

      const stored = await backend.raw(client.sid)
      assert.deepStrictEqual(Object.keys(stored.cookie), ['originalMaxAge', 'expires', 'httpOnly', 'path'])
      // read back from the new expiry, so a millisecond may be lost, as with express-session
      assert.ok(Math.abs(stored.cookie.originalMaxAge - 60000) <= 1, String(stored.cookie.originalMaxAge))
      assert.match(stored.cookie.expires, ISO_DATE)
      assert.ok(Math.abs(Date.parse(stored.cookie.expires) - (Date.now() + 60000)) < 5000)
      assert.strictEqual(stored.cookie.httpOnly, true)
      assert.strictEqual(stored.cookie.path, '/')
      assert.strictEqual(stored.n, 1)

      await client.get('/count')
      assert.strictEqual(client.last.text, 'n=2')
      assert.strictEqual((await backend.raw(client.sid)).n, 2)
    })

    it('saves modifications: changed, added, deleted and nested keys', async function () {
      const client = new Client(makeApp(backend.make(session)))
      await client.get('/count')
      await client.get('/profile')
      await client.get('/profile')
      const stored = await backend.raw(client.sid)
      assert.deepStrictEqual(stored.profile, { name: 'ann', tags: ['a', 't1', 't2'] })
      assert.strictEqual(stored.flag, null)
      assert.ok(!('n' in stored), 'deleted key gone from the store')
    })

    it('touches an unmodified session (resave: false) instead of saving it, moving the expiry the store keeps', async function () {
      const store = backend.make(session)
      const calls = countCalls(store)
      const client = new Client(makeApp(store))
      await client.get('/count')
      assert.deepStrictEqual([calls.set, calls.touch], [1, 0])
      const storedBefore = await backend.raw(client.sid)
      const expiresBefore = await backend.expiresAt(client.sid)

      await sleep(1100)
      calls.reset()
      const res = await client.get('/read')
      assert.strictEqual(res.body.n, 1)
      assert.strictEqual(res.headers['set-cookie'], undefined, 'no Set-Cookie for an unmodified session without rolling')
      assert.deepStrictEqual([calls.get, calls.set, calls.touch], [1, 0, 1])

      const expiresAfter = await backend.expiresAt(client.sid)
      assert.ok(expiresAfter - expiresBefore >= 900, `the store's expiry moved by ${expiresAfter - expiresBefore} ms`)
      const storedAfter = await backend.raw(client.sid)
      assert.strictEqual(storedAfter.n, 1)
      assert.ok(Date.parse(storedAfter.cookie.expires) >= Date.parse(storedBefore.cookie.expires), 'cookie.expires not moved back')
    })

    it('regenerates: a new ID holds the new data, the old ID is gone from the store', async function () {
      const store = backend.make(session)
      const calls = countCalls(store)
      const client = new Client(makeApp(store))
      await client.get('/count')
      const oldId = client.sid
      calls.reset()
      await client.get('/regenerate')
      assert.strictEqual(client.last.text, 'regenerated')
      assert.notStrictEqual(client.sid, oldId)
      assert.strictEqual(calls.destroy, 1)
      assert.strictEqual(await backend.raw(oldId), null)
      assert.strictEqual(await storedSession(store, oldId), null)
      const stored = await backend.raw(client.sid)
      assert.strictEqual(stored.fresh, true)
      assert.ok(!('n' in stored), 'regenerate starts from empty data')
      assert.strictEqual((await client.get('/read')).body.n, undefined)
    })

    it('destroys: the store no longer holds it and the old cookie starts a new session', async function () {
      const store = backend.make(session)
      const client = new Client(makeApp(store))
      await client.get('/count')
      const oldId = client.sid
      await client.get('/destroy')
      assert.strictEqual(client.last.text, 'destroyed')
      assert.strictEqual(await backend.raw(oldId), null)
      await client.get('/count')
      assert.strictEqual(client.last.text, 'n=1')
      assert.notStrictEqual(client.sid, oldId)
    })

    it('expires: after a short maxAge the store has nothing and the old cookie starts a new session', async function () {
      const store = backend.make(session)
      const client = new Client(makeApp(store, { cookie: { maxAge: 1000 } }))
      await client.get('/count')
      const oldId = client.sid
      const expiresAt = await backend.expiresAt(oldId)
      // connect-pg-simple and connect-redis keep whole seconds, rounded up
      assert.ok(expiresAt <= Date.now() + 2000, `the store enforces the cookie's maxAge (expires in ${expiresAt - Date.now()} ms)`)

      await sleep(Math.max(1000, expiresAt - Date.now()) + 300)
      assert.strictEqual(await storedSession(store, oldId), null)
      if (name.startsWith('connect-redis')) assert.strictEqual(await backend.raw(oldId), null, 'redis expired the key itself')
      await client.get('/count')
      assert.strictEqual(client.last.text, 'n=1')
      assert.notStrictEqual(client.sid, oldId)
    })

    describe('migration: express-session and this package on the same store', function () {
      // each app has its own store instance (as each process would); memorystore's is shared
      const pair = (options) => ({
        theirs: makeApp(backend.make(upstream), { impl: upstream, name: 'app.sid', secret: ['shared secret'], ...options }),
        mine: makeApp(backend.make(session), { name: 'app.sid', secret: 'shared secret', ...options })
      })

      it('a session made by express-session is read and updated by this package, and back', async function () {
        const { theirs, mine } = pair()
        const browser = new Client(theirs, 'app.sid')
        await browser.get('/count')
        assert.strictEqual(browser.last.text, 'n=1')
        const sid = browser.sid

        const moved = browser.on(mine)
        await moved.get('/count')
        assert.strictEqual(moved.last.text, 'n=2')
        assert.strictEqual(moved.sid, sid)
        assert.strictEqual((await backend.raw(sid)).n, 2)

        const back = moved.on(theirs)
        await back.get('/count')
        assert.strictEqual(back.last.text, 'n=3')
        assert.strictEqual((await backend.raw(sid)).n, 3)
      })

      it('a session made by this package is read and updated by express-session, and back', async function () {
        const { theirs, mine } = pair()
        const browser = new Client(mine, 'app.sid')
        await browser.get('/count')
        const sid = browser.sid

        const moved = browser.on(theirs)
        await moved.get('/count')
        assert.strictEqual(moved.last.text, 'n=2')
        assert.strictEqual(moved.sid, sid)
        await moved.get('/profile')

        const back = moved.on(mine)
        const res = await back.get('/read')
        assert.deepStrictEqual(res.body, { id: sid })
        assert.deepStrictEqual((await backend.raw(sid)).profile, { name: 'ann', tags: ['a', 't1'] })
      })

      it('both write the same JSON for the same data and cookie options', async function () {
        const cookie = { maxAge: 60000, sameSite: 'strict', secure: false, domain: 'example.test', path: '/', priority: 'high', partitioned: true }
        const { theirs, mine } = pair({ cookie })
        const a = new Client(theirs, 'app.sid')
        const b = new Client(mine, 'app.sid')
        await a.get('/profile')
        await b.get('/profile')
        const fromTheirs = await backend.raw(a.sid)
        const fromMine = await backend.raw(b.sid)

        assert.deepStrictEqual(Object.keys(fromMine), Object.keys(fromTheirs))
        assert.deepStrictEqual(Object.keys(fromMine.cookie), Object.keys(fromTheirs.cookie))
        assert.match(fromMine.cookie.expires, ISO_DATE)
        assert.ok(Math.abs(Date.parse(fromMine.cookie.expires) - Date.parse(fromTheirs.cookie.expires)) < 5000)
        // originalMaxAge is read back from the expiry, so either side may have lost a millisecond
        const comparable = (s) => ({ ...s, cookie: { ...s.cookie, expires: 'x', originalMaxAge: Math.round(s.cookie.originalMaxAge / 1000) }, __lastAccess: undefined })
        assert.deepStrictEqual(comparable(fromMine), comparable(fromTheirs))

        // and the Set-Cookie lines carry the same attributes
        const attributes = (res) => res.headers['set-cookie'][0].split('; ').slice(1).filter((p) => !p.startsWith('Expires='))
        assert.deepStrictEqual(attributes(b.last), attributes(a.last))
      })
    })
  })
}
