'use strict'

// Details of the middleware where applications rely on express-session's exact behaviour: a cookie
// function consulted again on regenerate, session IDs that are not strings, secrets and names of
// other types, and what res.end returns. Each runs against both packages, which must agree.

const assert = require('assert')
const crypto = require('crypto')
const request = require('supertest')
const { createApp, cookiePair, ours, sessionCookie, sessionIdOf, storedSession, upstream } = require('./support/app')
const { storeCall } = require('./support/stores')

const DAY = 24 * 60 * 60 * 1000
const both = [['express-session-rs', ours], ['express-session', upstream]]

// The keys a MemoryStore of either package holds, from its callback API.
async function storedIds (store) {
  return Object.keys(await storeCall(store, 'all') || {}).sort()
}

for (const [label, impl] of both) {
  describe('middleware details: ' + label, function () {
    it('regenerate resolves a cookie function again (a remember-me login)', async function () {
      const app = createApp({
        impl,
        options: { cookie: (req) => ({ maxAge: req.rememberMe ? 30 * DAY : null }) },
        handler (req, res, next) {
          if (req.path !== '/login') return res.end('anonymous')
          req.rememberMe = true
          req.session.regenerate((err) => {
            if (err) return next(err)
            req.session.user = 'ann'
            res.end('logged in')
          })
        }
      })
      const before = await request(app).get('/')
      assert.strictEqual(sessionCookie(before).attributes.expires, undefined)

      const login = await request(app).get('/login').set('Cookie', cookiePair(before)).expect(200, 'logged in')
      const expires = Date.parse(sessionCookie(login).attributes.expires)
      assert.ok(Math.abs(expires - (Date.now() + 30 * DAY)) < 5000, 'a 30-day cookie after regenerate')
    })

    for (const [kind, genid, expectedKeys] of [['a number', () => 42, ['42']], ['undefined', () => undefined, ['undefined']]]) {
      it(`a genid returning ${kind}: no cookie, nothing saved unless the app saves, and destroy ends the response`, async function () {
        const store = new impl.MemoryStore()
        const app = createApp({
          impl,
          options: { store, genid, unset: 'destroy' },
          handler (req, res, next) {
            req.session.n = 1
            if (req.path === '/save') return req.session.save((err) => (err ? next(err) : res.end('saved')))
            if (req.path === '/unset') req.session = null
            res.end('done')
          }
        })

        const plain = await request(app).get('/').expect(200, 'done')
        assert.strictEqual(plain.headers['set-cookie'], undefined)
        assert.deepStrictEqual(await storedIds(store), [])

        await request(app).get('/save').expect(200, 'saved')
        assert.deepStrictEqual(await storedIds(store), expectedKeys)

        // the app unsets a session whose ID is not a string; the store is asked to destroy it
        await request(app).get('/unset').timeout(5000).expect(200, 'done')
        assert.deepStrictEqual(await storedIds(store), kind === 'a number' ? [] : expectedKeys)
      })
    }

    it('an app assigning a number to req.sessionID gets a response and no cookie', async function () {
      const store = new impl.MemoryStore()
      const app = createApp({
        impl,
        options: { store },
        handler (req, res) {
          req.sessionID = 7
          req.session.n = 1
          res.end('ok')
        }
      })
      const res = await request(app).get('/').timeout(5000).expect(200, 'ok')
      assert.strictEqual(res.headers['set-cookie'], undefined)
      assert.deepStrictEqual(await storedIds(store), [])
    })

    it('takes a secret KeyObject and signs as with the same bytes given as a string', async function () {
      const genid = () => 'fixed-id-for-signature-check-000'
      const handler = (req, res) => { req.session.n = 1; res.end('ok') }
      const keyed = createApp({ impl, options: { genid, secret: crypto.createSecretKey(Buffer.from('key object secret')) }, handler })
      const plain = createApp({ impl, options: { genid, secret: 'key object secret' }, handler })
      const viaKey = await request(keyed).get('/')
      const viaString = await request(plain).get('/')
      assert.strictEqual(sessionCookie(viaKey).value, sessionCookie(viaString).value)

      const back = await request(keyed).get('/').set('Cookie', cookiePair(viaKey))
      assert.strictEqual(back.headers['set-cookie'], undefined, 'the cookie verifies: the session is known')
    })

    it('coerces a non-string name', async function () {
      const app = createApp({ impl, options: { name: 12345 } })
      const res = await request(app).get('/')
      assert.ok(sessionCookie(res, '12345'))
    })

    for (const [route, label] of [['/new', 'saving a new session'], ['/read', 'a read-only request']]) {
      it(`res.end returns what express-session's returns when ${label}`, async function () {
        const returned = []
        const app = createApp({
          impl,
          options: { saveUninitialized: route === '/new' },
          handler (req, res) {
            const ret = res.end('body')
            returned.push(ret === res ? 'the response' : ret, typeof ret)
          }
        })
        await request(app).get(route).expect(200, 'body')
        assert.deepStrictEqual(returned, route === '/new' ? [true, 'boolean'] : ['the response', 'object'])
      })
    }
  })
}

describe('middleware details: express-session-rs only', function () {
  it('remembers verified Cookie headers only: forged and long ones are checked every time, and the count is bounded', function () {
    const { VerifiedHeaders } = require('../session/request')
    const core = require('../core')
    const codec = new core.SessionCodec('connect.sid', [Buffer.from('cache secret')])
    const verified = new VerifiedHeaders(codec)
    const signedHeader = (id) => 'connect.sid=' + encodeURIComponent('s:' + require('cookie-signature').sign(id, 'cache secret'))

    assert.strictEqual(verified.read(signedHeader('abc')), 'abc')
    assert.strictEqual(verified.read(signedHeader('abc')), 'abc')
    assert.strictEqual(verified.read('connect.sid=s%3Aabc.forged'), null)
    assert.strictEqual(verified.ids.has('connect.sid=s%3Aabc.forged'), false)
    const long = 'pad=' + 'x'.repeat(2000) + '; ' + signedHeader('long')
    assert.strictEqual(verified.read(long), 'long')
    assert.strictEqual(verified.ids.has(long), false)
    for (let i = 0; i < 5000; i++) verified.read(signedHeader('id' + i))
    assert.ok(verified.ids.size <= 4096, String(verified.ids.size))
    assert.strictEqual(verified.read(signedHeader('id4999')), 'id4999')
  })

  it('a store whose set throws answers the request with the error instead of hanging', async function () {
    const store = new ours.MemoryStore()
    store.set = function () { throw new Error('disk full') }
    const errors = []
    const app = createApp({ options: { store }, handler: (req, res) => { req.session.n = 1; res.end('ok') }, onError: (err) => errors.push(err.message) })
    await request(app).get('/').timeout(5000).expect(200, 'ok')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(errors, ['disk full'])
  })

  it('a session reassigned by the app is saved where Session#save would put it', async function () {
    const store = new ours.MemoryStore()
    const app = createApp({
      options: { store },
      handler (req, res) {
        req.session.n = (req.session.n || 0) + 1
        res.end(String(req.session.n))
      }
    })
    const first = await request(app).get('/')
    await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
    assert.strictEqual((await storedSession(store, sessionIdOf(first))).n, 2)
  })
})
