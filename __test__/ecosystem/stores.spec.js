'use strict'

// Real stores from express-session's ecosystem, over real connections, driven by this package and,
// for the migration case, by express-session itself against the same store.

const assert = require('assert')
const fs = require('fs')
const os = require('os')
const path = require('path')
const request = require('supertest')
const { createApp, cookiePair, sessionIdOf, upstream } = require('../support/app')
const { requireServer, session, sleep, promisify } = require('./support')

const routes = {
  '/count': (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end('n=' + req.session.n) },
  '/read': (req, res) => res.end('n=' + req.session.n),
  '/regenerate': (req, res) => req.session.regenerate((err) => res.end(err ? 'error' : 'regenerated')),
  '/destroy': (req, res) => req.session.destroy((err) => res.end(err ? 'error' : 'destroyed'))
}
const handler = (req, res) => (routes[req.path] || routes['/read'])(req, res)

// Each store: how to make it against its server, how to read the expiry it keeps, how to clean up.
const stores = {
  'connect-redis (redis client)': {
    async open (context) {
      const url = requireServer(context, 'REDIS_URL')
      const { createClient } = require('redis')
      const { RedisStore } = require('connect-redis')
      const client = createClient({ url })
      await client.connect()
      const prefix = 'test:' + process.pid + ':'
      return {
        store: new RedisStore({ client, prefix }),
        expiresAt: async (sid) => Date.now() + await client.pTTL(prefix + sid),
        raw: async (sid) => JSON.parse(await client.get(prefix + sid)),
        close: () => client.quit()
      }
    }
  },
  'connect-pg-simple (pg)': {
    async open (context) {
      const conString = requireServer(context, 'DATABASE_URL')
      const { Pool } = require('pg')
      const pool = new Pool({ connectionString: conString })
      const PgStore = require('connect-pg-simple')(session)
      const tableName = 'session_' + process.pid
      const store = new PgStore({ pool, tableName, createTableIfMissing: true, pruneSessionInterval: false })
      const row = async (sid) => (await pool.query(`SELECT sess, expire FROM ${tableName} WHERE sid = $1`, [sid])).rows[0]
      return {
        store,
        expiresAt: async (sid) => (await row(sid)).expire.getTime(),
        raw: async (sid) => (await row(sid)).sess,
        close: async () => { await pool.query(`DROP TABLE IF EXISTS ${tableName}`); await pool.end() }
      }
    }
  },
  memorystore: {
    async open () {
      const MemoryStore = require('memorystore')(session)
      const store = new MemoryStore({ checkPeriod: 60000 })
      const get = promisify(store, 'get')
      return {
        store,
        expiresAt: async (sid) => Date.parse((await get(sid)).cookie.expires),
        raw: get,
        close: () => store.stopInterval()
      }
    }
  },
  'session-file-store': {
    async open () {
      const FileStore = require('session-file-store')(session)
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-store-'))
      const file = (sid) => JSON.parse(fs.readFileSync(path.join(dir, sid + '.json'), 'utf8'))
      return {
        store: new FileStore({ path: dir, retries: 0, logFn: () => {}, reapInterval: -1 }),
        expiresAt: async (sid) => Date.parse(file(sid).cookie.expires),
        raw: async (sid) => file(sid),
        close: () => fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}

for (const [name, kind] of Object.entries(stores)) {
  describe('store: ' + name, function () {
    this.timeout(20000)
    let backend

    before(async function () {
      backend = await kind.open(this)
    })

    after(async function () {
      if (backend) await backend.close()
    })

    // what the store answers for `sid`; null when it has nothing (session-file-store says ENOENT)
    const stored = (sid) => promisify(backend.store, 'get')(sid).then((sess) => sess || null, (err) => {
      if (err.code === 'ENOENT') return null
      throw err
    })

    const app = (options = {}, impl) => createApp({ impl, handler, options: { store: backend.store, cookie: { maxAge: 60000 }, ...options } })

    it('creates, loads and modifies a session, storing express-session\'s JSON shape', async function () {
      const first = await request(app()).get('/count').expect(200, 'n=1')
      await request(app()).get('/count').set('Cookie', cookiePair(first)).expect(200, 'n=2')
      const stored = await backend.raw(sessionIdOf(first))
      assert.strictEqual(stored.n, 2)
      // touch() recomputes originalMaxAge from the new expiry, a millisecond may pass in between (as upstream)
      assert.ok(stored.cookie.originalMaxAge > 59900 && stored.cookie.originalMaxAge <= 60000, String(stored.cookie.originalMaxAge))
      assert.match(stored.cookie.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    })

    it('touches an unmodified session, moving its expiry', async function () {
      const first = await request(app()).get('/count').expect(200, 'n=1')
      const before = await backend.expiresAt(sessionIdOf(first))
      await sleep(1100)
      await request(app()).get('/read').set('Cookie', cookiePair(first)).expect(200, 'n=1')
      const after = await backend.expiresAt(sessionIdOf(first))
      assert.ok(after > before + 500, `expiry moved from ${before} to ${after}`)
    })

    it('regenerates: a new ID, the old one gone', async function () {
      const first = await request(app()).get('/count').expect(200, 'n=1')
      const second = await request(app()).get('/regenerate').set('Cookie', cookiePair(first)).expect(200, 'regenerated')
      assert.notStrictEqual(sessionIdOf(second), sessionIdOf(first))
      await request(app()).get('/read').set('Cookie', cookiePair(first)).expect(200, 'n=undefined')
      assert.strictEqual(await stored(sessionIdOf(first)), null)
    })

    it('destroys', async function () {
      const first = await request(app()).get('/count').expect(200, 'n=1')
      await request(app()).get('/destroy').set('Cookie', cookiePair(first)).expect(200, 'destroyed')
      assert.strictEqual(await stored(sessionIdOf(first)), null)
    })

    it('expires', async function () {
      const short = app({ cookie: { maxAge: 1000 } })
      const first = await request(short).get('/count').expect(200, 'n=1')
      await sleep(2100)
      const later = await request(short).get('/count').set('Cookie', cookiePair(first)).expect(200, 'n=1')
      assert.notStrictEqual(sessionIdOf(later), sessionIdOf(first))
    })

    it('shares sessions with express-session both ways', async function () {
      const theirs = app({}, upstream)
      const mine = app()
      const first = await request(theirs).get('/count').expect(200, 'n=1')
      await request(mine).get('/count').set('Cookie', cookiePair(first)).expect(200, 'n=2')
      await request(theirs).get('/count').set('Cookie', cookiePair(first)).expect(200, 'n=3')
      const second = await request(mine).get('/count').expect(200, 'n=1')
      const reply = await request(theirs).get('/count').set('Cookie', cookiePair(second)).expect(200, 'n=2')
      assert.strictEqual(sessionIdOf(reply), sessionIdOf(second))
    })
  })
}
