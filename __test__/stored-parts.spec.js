'use strict'

// The embedded MemoryStore and the DiskStore hand the middleware a session as its data JSON and its
// cookie's fields rather than as one JSON text (session/memory.js, session/disk-adapter.js). These
// specs hold that path, for each of the two stores, to what Store#createSession makes of the whole
// stored session, and to what express-session stores on a touch.

const assert = require('assert')
const request = require('supertest')
const { createApp, cookiePair, ours: session, sessionIdOf, storedSession, upstream } = require('./support/app')
const { storeCall: call } = require('./support/stores')
const { kAdapter } = require('../session/internal')
const { sessionDataJson } = require('../session/serialize')
const native = require('../core')
const { requireDiskStore, tempDir } = require('./support/disk-processes')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const later = new Date(Date.now() + 3600000)

// Stored sessions: [title, session as given to store.set]
const cases = [
  ['a default cookie', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: { id: 1 }, views: 3 }],
  ['a cookie with an expiry', { cookie: { originalMaxAge: 3600000, expires: later, httpOnly: true, path: '/' }, n: 1 }],
  ['every attribute', {
    cookie: { originalMaxAge: 5, partitioned: true, priority: 'high', expires: later, secure: true, httpOnly: false, domain: 'example.com', path: '/app', sameSite: 'strict' },
    list: [1, 'two', null]
  }],
  ['sameSite true and no path', { cookie: { originalMaxAge: null, expires: null, sameSite: true }, x: 'y' }],
  ['unicode and escapes in the data', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, name: 'Zoë "名前" \\ \u2028', nested: { deep: { er: [{}] } } }],
  ['integer-like keys', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, b: 1, 10: 'ten', 7: 'seven' }],
  ['no data', { cookie: { originalMaxAge: 60000, expires: later, httpOnly: true, path: '/' } }],
  ['keys a Session keeps for its methods', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, save: 'data', id: 'not the id', kept: true }],
  ['a __proto__ key', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, ...JSON.parse('{"__proto__":{"polluted":true},"a":1}') }],
  ['a cookie with characters beyond ASCII', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/zoë/名前/😀' }, a: 'ü' }],
  ['a cookie with a key of its own', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/', extra: 1 }, a: 1 }],
  ['an expiry written in another form', { cookie: { originalMaxAge: null, expires: 'Thu, 01 Jan 2099 00:00:00 GMT', httpOnly: true, path: '/' }, a: 1 }]
]

function loadThroughAdapter (adapter, id) {
  return new Promise((resolve, reject) => adapter.load(id, (err, stored) => (err ? reject(err) : resolve(stored))))
}

// Own keys, in order, with the values JSON would not show (symbols left out).
function anatomy (sess) {
  const cookie = sess.cookie
  return {
    sessionKeys: Object.keys(sess),
    cookieKeys: Object.keys(cookie),
    cookieProto: Object.getPrototypeOf(cookie) === session.Cookie.prototype,
    expires: cookie.expires instanceof Date ? ['date', cookie.expires.getTime()] : [typeof cookie.expires, cookie.expires],
    originalMaxAge: cookie.originalMaxAge,
    json: JSON.stringify(sess)
  }
}

// The stores that hand sessions over in parts: `open(options)` opens one of this package's, and
// `indexKeysHandedOver` tells whether it hands over data JSON with array-index keys (the MemoryStore
// knows which sessions a merge wrote; the DiskStore never hands such data over).
const stores = [
  {
    name: 'MemoryStore',
    open: (options) => new session.MemoryStore(options),
    indexKeysHandedOver: true
  },
  {
    name: 'DiskStore',
    open: (options) => new session.DiskStore({ path: tempDir('parts'), checkPeriod: false, ...options }),
    indexKeysHandedOver: false,
    native: true
  }
]

for (const { name, open, indexKeysHandedOver, native: needsNative } of stores) {
  describe(name + ': sessions read from their parts', function () {
    before(function () {
      if (needsNative) requireDiskStore(this)
    })

    for (const [title, stored] of cases) {
      it('makes the session Store#createSession makes, with ' + title, async function () {
        const store = open()
        const adapter = store[kAdapter]()
        await call(store, 'set', 'sid', stored)

        const fromParts = { sessionID: 'sid', sessionStore: store }
        const knownJson = adapter.inflate(fromParts, await loadThroughAdapter(adapter, 'sid'))
        const whole = { sessionID: 'sid', sessionStore: store }
        store.createSession(whole, await call(store, 'get', 'sid'))

        assert.deepStrictEqual(anatomy(fromParts.session), anatomy(whole.session))
        assert.strictEqual(fromParts.session.id, 'sid')
        assert.strictEqual(fromParts.session.req, fromParts)
        // the data JSON handed over is what serializing the session gives, when one is handed over
        if (knownJson !== undefined) assert.strictEqual(knownJson, sessionDataJson(whole.session))
      })
    }

    it('hands the data JSON over only where it is what serializing the session gives', async function () {
      const store = open()
      const adapter = store[kAdapter]()
      const handedOver = async (id) => adapter.inflate({ sessionID: id, sessionStore: store }, await loadThroughAdapter(adapter, id))
      const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }

      await call(store, 'set', 'plain', { cookie, a: 1 })
      // the fallback core keeps no cookie fields: every session comes whole there
      assert.strictEqual(await handedOver('plain'), native.isNative ? '{"a":1}' : undefined)
      // a key the Session does not copy
      await call(store, 'set', 'method', { cookie, reload: 1 })
      assert.strictEqual(await handedOver('method'), undefined)
      // a merge appends new keys, where JSON.parse then JSON.stringify would put "7" first
      await call(store, 'set', 'merged', { cookie, b: 1 })
      await call(store, 'merge', 'merged', { 7: 2 }, [], { cookie })
      assert.strictEqual(await handedOver('merged'), undefined)
      await call(store, 'set', 'merged', { cookie, b: 1, 7: 2 })
      assert.strictEqual(await handedOver('merged'), native.isNative && indexKeysHandedOver ? '{"7":2,"b":1}' : undefined)
      // keys that only look like numbers are no array indices
      await call(store, 'set', 'digits', { cookie, a: 1, '1a': 2 })
      assert.strictEqual(await handedOver('digits'), native.isNative ? '{"a":1,"1a":2}' : undefined)
    })

    it('reads a session with its own cookie after the store was cleared', async function () {
      const store = open()
      let cookieOptions = {}
      const app = createApp({
        options: { store, cookie: () => cookieOptions },
        handler: (req, res) => res.end(JSON.stringify(req.session.cookie))
      })
      const first = await request(app).get('/').expect(200)
      await request(app).get('/').set('Cookie', cookiePair(first)).expect(200)
      store.clear()
      // a new session whose cookie has other fields, under the number the first shape had
      cookieOptions = { maxAge: 60000, path: '/', sameSite: 'strict' }
      const second = await request(app).get('/').expect(200)
      const read = await request(app).get('/').set('Cookie', cookiePair(second)).expect(200)
      assert.strictEqual(JSON.parse(read.text).sameSite, 'strict')
      assert.strictEqual(JSON.parse(read.text).originalMaxAge, 60000)
    })

    describe('touching', function () {
    // Sets up a session, then reads it once with `during(req)` run by the route; resolves with the
    // session's JSON as the request ended and as the store holds it afterwards.
      async function readOnce (impl, { options = {}, during = () => {} } = {}) {
        const store = impl === upstream ? new upstream.MemoryStore() : open()
        let ended
        const app = createApp({
          impl,
          options: { store, ...options },
          handler (req, res) {
            if (req.path === '/setup') req.session.user = 'ann'
            else during(req)
            res.on('finish', () => { ended = JSON.stringify(req.session) })
            res.end('ok')
          }
        })
        const setup = await request(app).get('/setup').expect(200)
        await sleep(5) // so that a touch moves the expiry by a few milliseconds
        await request(app).get('/read').set('Cookie', cookiePair(setup)).expect(200)
        const kept = await storedSession(store, sessionIdOf(setup))
        return { ended, kept: JSON.stringify(kept) }
      }

      const variants = [
        ['a default cookie', {}],
        ['a cookie with maxAge', { options: { cookie: { maxAge: 60000 } } }],
        ['a cookie with maxAge and every attribute', { options: { cookie: { maxAge: 60000, sameSite: 'lax', domain: 'example.com', priority: 'low', partitioned: true } } }],
        ['a cookie path changed by the request', { during: (req) => { req.session.cookie.path = '/elsewhere' } }],
        ['a maxAge set by the request', { options: { cookie: { maxAge: 60000 } }, during: (req) => { req.session.cookie.maxAge = 5000 } }],
        ['an expiry removed by the request', { options: { cookie: { maxAge: 60000 } }, during: (req) => { req.session.cookie.expires = null } }],
        ['a cookie replaced by a plain object', { during: (req) => { req.session.cookie = { ...req.session.cookie.data, path: '/plain' } } }]
      ]

      for (const [title, variant] of variants) {
        it('stores the session as the request ended it, with ' + title + ', as express-session does', async function () {
          const ourRead = await readOnce(session, variant)
          const theirRead = await readOnce(upstream, variant)
          assert.strictEqual(ourRead.kept, ourRead.ended)
          assert.strictEqual(theirRead.kept, theirRead.ended)
        })
      }

      it('keeps a session of a store with ttl alive for another ttl', async function () {
        const store = open({ ttl: 400 })
        const app = createApp({ options: { store }, handler: (req, res) => res.end(String(req.session.user = 'ann')) })
        const first = await request(app).get('/').expect(200, 'ann')
        await call(store, 'set', 'control', { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' } })
        await sleep(250)
        // unchanged data: a touch
        await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, 'ann')
        await sleep(250)
        assert.ok(await storedSession(store, sessionIdOf(first)), 'touched 250 ms ago, with a ttl of 400 ms')
        assert.strictEqual(await storedSession(store, 'control'), undefined, 'set 500 ms ago, not touched')
      })
    })
  })
}
