'use strict'

// A store whose classes come from another copy of express-session: store packages extend the Store
// of whatever require('express-session') finds beside them, and an app that requires this package
// by its own name has express-session itself there. Such a store's createSession makes that copy's
// Session and Cookie. The middleware's sessions must behave as its own all the same: as express-
// session's on the wire and in the store, and with `merge` keeping every concurrent change.
// (__test__/ecosystem/foreign-store-copies.spec.js does the same with connect-redis on Redis.)

const assert = require('assert')
const request = require('supertest')
const util = require('util')
const { createApp, cookiePair, ours, upstream } = require('./support/app')
const { concurrencyApp, fireTogether, initSession } = require('./support/concurrency')
const { createMapStore } = require('./support/property-differential')

const DATE = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g
// an originalMaxAge read back from a stored expiry may differ by the millisecond that passed
const MAX_AGE = /(originalMaxAge"?:\s*)(\d+)/g

function timeless (text) {
  return text.replace(DATE, 'DATE').replace(MAX_AGE, (match, key, ms) => key + Math.round(Number(ms) / 10) * 10)
}

// What a route sees of req.session
function describeSession (req) {
  return {
    inspected: timeless(util.inspect(req.session)),
    keys: Object.keys(req.session),
    id: req.session.id === req.sessionID,
    cookieMaxAge: Math.round(req.session.cookie.maxAge / 1000)
  }
}

const routes = {
  '/count': (req, res) => { req.session.n = (req.session.n || 0) + 1; res.json(describeSession(req)) },
  '/reload': (req, res) => req.session.reload(() => { req.session.n++; res.json(describeSession(req)) }),
  '/regenerate': (req, res) => req.session.regenerate(() => { req.session.n = 100; res.json(describeSession(req)) })
}

async function sequence (impl, Store) {
  const store = new Store()
  const app = createApp({ impl, options: { store, cookie: { maxAge: 60000 } }, handler: (req, res) => routes[req.path](req, res) })
  const first = await request(app).get('/count').expect(200)
  const cookie = cookiePair(first)
  const results = [first.body]
  for (const path of ['/count', '/reload', '/regenerate']) {
    results.push((await request(app).get(path).set('Cookie', cookie).expect(200)).body)
  }
  const stored = [...store.map.values()].map((json) => timeless(json)).sort()
  return { results, stored }
}

describe('a store built on another copy of express-session', function () {
  this.timeout(20000)
  // the class of a deferred store of JSON in a Map, extending express-session's Store
  const ForeignMapStore = createMapStore(upstream, 'async').constructor

  it('is what the spec means: its classes are express-session\'s, not this package\'s', function () {
    const store = new ForeignMapStore()
    assert.ok(store instanceof upstream.Store)
    assert.ok(!(store instanceof ours.Store))
    const made = store.createSession({ sessionID: 'x' }, { cookie: { path: '/' } })
    assert.ok(made instanceof upstream.Session)
  })

  it('loads, counts, reloads and regenerates as express-session does with the same store', async function () {
    const expected = await sequence(upstream, ForeignMapStore)
    const actual = await sequence(ours, ForeignMapStore)
    assert.deepStrictEqual(actual, expected)
  })

  it('gives the application this package\'s Session and Cookie, after load and after reload', function (done) {
    const store = new ForeignMapStore()
    const seen = []
    const check = (req) => seen.push(req.session instanceof ours.Session && req.session.cookie instanceof ours.Cookie && !(req.session instanceof upstream.Session))
    const app = createApp({
      options: { store },
      handler (req, res) {
        check(req)
        req.session.n = 1
        req.session.reload(() => { check(req); res.end() })
      }
    })
    request(app).get('/').expect(200, (err, res) => {
      if (err) return done(err)
      request(app).get('/').set('Cookie', cookiePair(res)).expect(200, (err) => {
        if (err) return done(err)
        // new session: generated (ours) and reloaded; then loaded and reloaded
        assert.deepStrictEqual(seen, [true, true, true, true])
        done()
      })
    })
  })

  it('with merge, 50 concurrent writers keep all 50 keys (express-session\'s Session would save whole)', async function () {
    const N = 50
    const store = new ForeignMapStore()
    const cookie = await initSession(concurrencyApp(ours, { store, merge: true }))
    await fireTogether(concurrencyApp(ours, { store, merge: true }, N), cookie, Array.from({ length: N }, (_, i) => `/set?key=k${i}&delay=${i}`))
    const sid = decodeURIComponent(cookie.split('=')[1]).slice(2).split('.')[0]
    const data = JSON.parse(store.map.get(sid))
    assert.strictEqual(Object.keys(data).filter((key) => /^k\d+$/.test(key)).length, N)
    assert.strictEqual(data.base, 'kept')
  })

  // the warnings of this package emitted while `fn` runs, kept from the test output
  async function warningsDuring (fn) {
    const warnings = []
    const emitWarning = process.emitWarning
    process.emitWarning = function (message, options) {
      if (options && options.code === 'EXPRESS_SESSION_RS_NOT_MERGED') warnings.push(message)
      else emitWarning.apply(this, arguments)
    }
    try {
      await fn()
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.emitWarning = emitWarning
    }
    return warnings
  }

  it('with merge, the sessions made again as this package\'s are merged without a warning', async function () {
    const store = new ForeignMapStore()
    const warnings = await warningsDuring(async () => {
      const cookie = await initSession(concurrencyApp(ours, { store, merge: true }))
      await fireTogether(concurrencyApp(ours, { store, merge: true }, 2), cookie, ['/set?key=a', '/set?key=b'])
    })
    assert.deepStrictEqual(warnings, [])
  })

  it('a subclass of the other copy\'s Session, made by the store\'s own createSession, is kept as it is; with merge it is saved whole, and the application is warned once', async function () {
    function AuditedSession (req, data) { upstream.Session.call(this, req, data) }
    util.inherits(AuditedSession, upstream.Session)
    class AuditingStore extends ForeignMapStore {
      createSession (req, sess) {
        super.createSession(req, sess)
        req.session = new AuditedSession(req, req.session)
        return req.session
      }
    }
    const store = new AuditingStore()
    const kinds = []
    const app = createApp({ options: { store, merge: true }, handler (req, res) { kinds.push(req.session instanceof AuditedSession); req.session.n = kinds.length; res.end() } })
    const warnings = await warningsDuring(async () => {
      const res = await request(app).get('/').expect(200)
      for (let i = 0; i < 3; i++) await request(app).get('/').set('Cookie', cookiePair(res)).expect(200)
    })
    assert.deepStrictEqual(kinds, [false, true, true, true])
    assert.strictEqual(warnings.length, 1)
    assert.match(warnings[0], /saved whole/)
  })
})
