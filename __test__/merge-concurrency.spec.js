'use strict'

// The `merge` option: concurrent requests on one session keep each other's changes. Without it
// (the default) the last save wins, exactly as with express-session, which these specs check too.

const assert = require('assert')
const request = require('supertest')
const { ours, upstream } = require('./support/app')
const { concurrencyApp, fireTogether, initSession } = require('./support/concurrency')
const { MapStore } = require('./support/stores')

const N = 50

// A deferred Map store that also offers the optional atomic merge method of the store contract.
class MergingMapStore extends MapStore {
  constructor () {
    super({ deferred: true })
    this.merges = 0
  }

  merge (sid, changes, removedKeys, session, callback) {
    this.merges++
    setImmediate(() => {
      const json = this.map.get(sid)
      if (json === undefined) return callback(null)
      const stored = JSON.parse(json)
      Object.assign(stored, changes)
      for (const key of removedKeys) delete stored[key]
      stored.cookie = session.cookie
      this.map.set(sid, JSON.stringify(stored))
      callback(null)
    })
  }
}

const stores = {
  MemoryStore: (impl) => new impl.MemoryStore(),
  'a deferred JS store (read-modify-write)': () => new MapStore({ deferred: true }),
  'a JS store with a merge method': () => new MergingMapStore()
}

// The session's data as the app reads it afterwards.
async function read (impl, store, cookie) {
  return (await request(concurrencyApp(impl, { store })).get('/read').set('Cookie', cookie).expect(200)).body
}

// N requests, each setting its own key, saving one after another in key order.
const ownKeys = Array.from({ length: N }, (_, i) => `/set?key=k${i}&delay=${i * 2}`)
const keysOf = (data) => Object.keys(data).filter((key) => /^k\d+$/.test(key)).sort()

describe('merge: concurrent requests on one session', function () {
  this.timeout(20000)

  describe('without merge (the default), the last save wins, as with express-session', function () {
    for (const [label, impl] of [['express-session-rs', ours], ['express-session', upstream]]) {
      it(`${label}: ${N} concurrent writers keep one key, and a deletion is undone by a concurrent writer`, async function () {
        const store = new impl.MemoryStore()
        const cookie = await initSession(concurrencyApp(impl, { store }))
        await fireTogether(concurrencyApp(impl, { store }, N), cookie, ownKeys)
        assert.deepStrictEqual(keysOf(await read(impl, store, cookie)), [`k${N - 1}`])

        await fireTogether(concurrencyApp(impl, { store }, 2), cookie, ['/delete?key=doomed&delay=0', '/set?key=late&delay=30'])
        assert.strictEqual((await read(impl, store, cookie)).doomed, 'here', 'the late writer brings the deleted key back')
      })
    }
  })

  for (const [storeName, makeStore] of Object.entries(stores)) {
    describe(`with merge: true, ${storeName}`, function () {
      let store
      let cookie
      beforeEach(async function () {
        store = makeStore(ours)
        cookie = await initSession(concurrencyApp(ours, { store, merge: true }))
      })

      it(`${N} concurrent requests each setting their own key keep all ${N}`, async function () {
        const responses = await fireTogether(concurrencyApp(ours, { store, merge: true }, N), cookie, ownKeys)
        assert.ok(responses.every((res) => res.status === 200))
        const data = await read(ours, store, cookie)
        assert.strictEqual(keysOf(data).length, N)
        assert.strictEqual(data.base, 'kept')
        if (store instanceof MergingMapStore) assert.strictEqual(store.merges, N, 'the store merged every request itself')
      })

      it('a deletion survives a concurrent writer, and the writer\'s key lands', async function () {
        await fireTogether(concurrencyApp(ours, { store, merge: true }, 2), cookie, ['/delete?key=doomed&delay=0', '/set?key=late&delay=30'])
        const data = await read(ours, store, cookie)
        assert.strictEqual(data.doomed, undefined)
        assert.strictEqual(data.late, 'late')
        assert.strictEqual(data.base, 'kept')
      })

      it('two requests changing one key leave one of the two values whole, never a mix', async function () {
        const first = encodeURIComponent(JSON.stringify({ from: 'first', n: 1 }))
        const second = encodeURIComponent(JSON.stringify({ from: 'second', n: 2 }))
        await fireTogether(concurrencyApp(ours, { store, merge: true }, 2), cookie, [`/set?key=shared&value=${first}&delay=0`, `/set?key=shared&value=${second}&delay=10`])
        const { shared } = await read(ours, store, cookie)
        assert.ok([JSON.stringify({ from: 'first', n: 1 }), JSON.stringify({ from: 'second', n: 2 })].includes(JSON.stringify(shared)), JSON.stringify(shared))
      })

      it('a slow request does not bring back a session destroyed meanwhile', async function () {
        await fireTogether(concurrencyApp(ours, { store, merge: true }, 1), cookie, ['/set?key=slow&delay=40', '/destroy'])
        const res = await request(concurrencyApp(ours, { store, merge: true })).get('/read').set('Cookie', cookie).expect(200)
        assert.deepStrictEqual(res.body, {}, 'the old ID stays dead: the request gets a new, empty session')
      })

      it('explicit save() merges too', async function () {
        const app = concurrencyApp(ours, { store, merge: true })
        app.get('/save-twice', (req, res, next) => {
          req.session.first = 1
          req.session.save((err) => {
            if (err) return next(err)
            req.session.second = 2
            res.end('ok')
          })
        })
        await request(app).get('/save-twice').set('Cookie', cookie).expect(200)
        const data = await read(ours, store, cookie)
        assert.strictEqual(data.first, 1)
        assert.strictEqual(data.second, 2)
        assert.strictEqual(data.base, 'kept')
      })
    })
  }
})
