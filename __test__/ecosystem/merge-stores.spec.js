'use strict'

// The `merge` option over real networked stores that have no merge method of their own: on
// connect-redis a script inside Redis merges (redis-merge.spec.js has its details, over several
// processes); on connect-pg-simple the middleware reads the store's current copy, applies the
// request's changes and writes it back, one merge per session ID at a time within the process.

const assert = require('assert')
const request = require('supertest')
const { requireServer, session, upstream } = require('./support')
const { concurrencyApp, fireTogether, initSession } = require('../support/concurrency')

const N = 50
const ownKeys = Array.from({ length: N }, (_, i) => `/set?key=k${i}&delay=${i * 2}`)
const keysOf = (data) => Object.keys(data).filter((key) => /^k\d+$/.test(key)).sort()

const backends = {
  'connect-redis on redis-server': {
    async open (context) {
      const { createClient } = require('redis')
      const client = createClient({ url: requireServer(context, 'REDIS_URL') })
      await client.connect()
      const prefix = `esrs-merge:${process.pid}:`
      const { RedisStore } = require('connect-redis')
      return {
        make: () => new RedisStore({ client, prefix }),
        async close () {
          const keys = await client.keys(prefix + '*')
          if (keys.length) await client.del(keys)
          await client.close()
        }
      }
    }
  },
  'connect-pg-simple on PostgreSQL': {
    async open (context) {
      const { Pool } = require('pg')
      const pool = new Pool({ connectionString: requireServer(context, 'DATABASE_URL'), max: 8 })
      const schemaName = `esrs_merge_${process.pid}`
      await pool.query(`CREATE SCHEMA ${schemaName}`)
      const PgStore = require('connect-pg-simple')(session)
      const first = new PgStore({ pool, schemaName, createTableIfMissing: true, pruneSessionInterval: false })
      await new Promise((resolve, reject) => first.get('none', (err) => (err ? reject(err) : resolve())))
      return {
        make: () => new PgStore({ pool, schemaName, pruneSessionInterval: false }),
        async close () {
          await pool.query(`DROP SCHEMA ${schemaName} CASCADE`)
          await pool.end()
        }
      }
    }
  }
}

for (const [name, backend] of Object.entries(backends)) {
  describe('merge over ' + name, function () {
    this.timeout(30000)
    let opened
    before(async function () {
      opened = await backend.open(this)
    })
    after(async function () {
      if (opened) await opened.close()
    })

    async function read (store, cookie) {
      return (await request(concurrencyApp(session, { store })).get('/read').set('Cookie', cookie).expect(200)).body
    }

    it(`without merge, ${N} concurrent writers keep the last one's key only`, async function () {
      const store = opened.make()
      const cookie = await initSession(concurrencyApp(session, { store }))
      await fireTogether(concurrencyApp(session, { store }, N), cookie, ownKeys)
      assert.deepStrictEqual(keysOf(await read(store, cookie)), [`k${N - 1}`])
    })

    it(`with merge, ${N} concurrent writers keep all ${N} keys, and a deletion survives a late writer`, async function () {
      const store = opened.make()
      const cookie = await initSession(concurrencyApp(session, { store, merge: true }))
      await fireTogether(concurrencyApp(session, { store, merge: true }, N), cookie, ownKeys)
      const data = await read(store, cookie)
      assert.strictEqual(keysOf(data).length, N)
      assert.strictEqual(data.base, 'kept')

      await fireTogether(concurrencyApp(session, { store, merge: true }, 2), cookie, ['/delete?key=doomed&delay=0', '/set?key=late&delay=30'])
      const after = await read(store, cookie)
      assert.strictEqual(after.doomed, undefined)
      assert.strictEqual(after.late, 'late')
    })

    it('with merge, a session saved by this package still loads in express-session', async function () {
      const store = opened.make()
      const cookie = await initSession(concurrencyApp(session, { store, merge: true }))
      await fireTogether(concurrencyApp(session, { store, merge: true }, 3), cookie, ['/set?key=a', '/set?key=b', '/set?key=c'])
      const theirs = opened.make()
      const data = (await request(concurrencyApp(upstream, { store: theirs })).get('/read').set('Cookie', cookie).expect(200)).body
      assert.deepStrictEqual([data.a, data.b, data.c, data.base], ['a', 'b', 'c', 'kept'])
    })
  })
}
