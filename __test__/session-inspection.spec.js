'use strict'

// What an application sees when it prints, copies or enumerates req.session: the session's data
// and its cookie, exactly as with express-session, and nothing the middleware keeps for itself
// (the request above all, which printed whole runs to thousands of characters and copied along
// would keep the request alive wherever the copy goes).

const assert = require('assert')
const request = require('supertest')
const util = require('util')
const { createApp, cookiePair, ours, upstream } = require('./support/app')
const { MapStore } = require('./support/stores')

// ISO dates differ between two runs by a few milliseconds, and so can an originalMaxAge read back
// from a stored expiry (by the millisecond that passed between setting it and reading it)
const DATE = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g
const MAX_AGE = /(originalMaxAge"?:\s*)(\d+)/g

function timeless (text) {
  return text.replace(DATE, 'DATE').replace(MAX_AGE, (match, key, ms) => key + Math.round(Number(ms) / 10) * 10)
}

function looks (sess) {
  const forIn = []
  for (const key in sess) forIn.push(key)
  const spread = { ...sess }
  const assigned = Object.assign({}, sess)
  return {
    inspected: timeless(util.inspect(sess)),
    inspectedDeep: timeless(util.inspect(sess, { depth: Infinity })),
    cookieInspected: timeless(util.inspect(sess.cookie)),
    json: timeless(JSON.stringify(sess)),
    keys: Object.keys(sess),
    forIn,
    ownSymbols: Object.getOwnPropertySymbols(sess).length,
    spreadKeys: Reflect.ownKeys(spread).map(String),
    assignedKeys: Reflect.ownKeys(assigned).map(String),
    cookieKeys: Reflect.ownKeys(sess.cookie).map(String),
    cookieForIn: Object.keys(Object.assign({}, sess.cookie))
  }
}

// Routes that leave req.session in a given state, then describe it.
const routes = {
  '/new': (req, res) => { req.session.views = 1; req.session.user = { name: 'ann', roles: ['a'] }; res.json(looks(req.session)) },
  '/loaded': (req, res) => res.json(looks(req.session)),
  '/regenerated': (req, res) => req.session.regenerate(() => { req.session.fresh = true; res.json(looks(req.session)) }),
  '/reloaded': (req, res) => req.session.reload(() => res.json(looks(req.session)))
}

async function sequence (impl, makeStore) {
  const store = makeStore(impl)
  const app = createApp({ impl, options: { store, cookie: { maxAge: 60000, sameSite: 'lax' } }, handler: (req, res) => routes[req.path](req, res) })
  const first = await request(app).get('/new').expect(200)
  const cookie = cookiePair(first)
  const results = { '/new': first.body }
  for (const path of ['/loaded', '/reloaded', '/regenerated']) {
    results[path] = (await request(app).get(path).set('Cookie', cookie).expect(200)).body
  }
  return results
}

const stores = {
  'the MemoryStore': (impl) => new impl.MemoryStore(),
  'a callback store': () => new MapStore({ deferred: true })
}

describe('req.session printed, copied and enumerated, as with express-session', function () {
  for (const [label, makeStore] of Object.entries(stores)) {
    it(`with ${label}: new, loaded, reloaded and regenerated sessions look the same`, async function () {
      const expected = await sequence(upstream, makeStore)
      const actual = await sequence(ours, makeStore)
      assert.deepStrictEqual(actual, expected)
    })
  }

  it('printing a session shows its data and cookie in about a hundred characters, not the request', async function () {
    const actual = await sequence(ours, stores['the MemoryStore'])
    for (const looked of Object.values(actual)) {
      assert.ok(looked.inspected.startsWith('Session {'), looked.inspected)
      assert.ok(looked.inspected.length < 300, `${looked.inspected.length} characters: ${looked.inspected}`)
      assert.doesNotMatch(looked.inspectedDeep, /IncomingMessage|Symbol\(/)
      assert.strictEqual(looked.ownSymbols, 0)
    }
  })

  it('a copy made by spreading or Object.assign holds no reference to the request', function (done) {
    const app = createApp({
      handler (req, res) {
        const copies = [{ ...req.session }, Object.assign({}, req.session)]
        for (const copy of copies) {
          for (const key of Reflect.ownKeys(copy)) assert.notStrictEqual(copy[key], req, String(key))
        }
        assert.strictEqual(req.session.req, req)
        res.end('ok')
      }
    })
    request(app).get('/').expect(200, 'ok', done)
  })

  it('Session.call gives an object made by a util.inherits subclass the same invisible ID and request', function () {
    function MySession (req, data) { ours.Session.call(this, req, data) }
    util.inherits(MySession, ours.Session)
    const req = { sessionID: 'sid' }
    const sess = new MySession(req, { a: 1 })
    assert.strictEqual(sess.id, 'sid')
    assert.strictEqual(sess.req, req)
    assert.deepStrictEqual(Reflect.ownKeys(sess), ['a'])
    // called again on the same object, it takes the new request and ID
    const other = { sessionID: 'other' }
    ours.Session.call(sess, other)
    assert.strictEqual(sess.id, 'other')
    assert.strictEqual(sess.req, other)
    // an object merely inheriting from Session.prototype has neither
    const bare = Object.create(ours.Session.prototype)
    assert.strictEqual(bare.id, undefined)
    assert.strictEqual(bare.req, undefined)
  })
})
