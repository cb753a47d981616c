'use strict'

const assert = require('assert')
const request = require('supertest')
const cookieParser = require('cookie-parser')
const express = require('express')
const signature = require('cookie-signature')
const { createApp, cookiePair, ours: session, sessionCookie, sessionIdOf, storedSession } = require('./support/app')

function counter (req, res) {
  req.session.n = (req.session.n || 0) + 1
  res.end(String(req.session.n))
}

describe('options', function () {
  describe('validation', function () {
    it('rejects a genid that is not a function', function () {
      assert.throws(() => session({ secret: 's', genid: 'x' }), { name: 'TypeError', message: 'genid option must be a function' })
    })

    it('rejects an unknown unset value', function () {
      assert.throws(() => session({ secret: 's', unset: 'drop' }), { name: 'TypeError', message: 'unset option must be "destroy" or "keep"' })
    })

    it('rejects an empty secret array', function () {
      assert.throws(() => session({ secret: [] }), { name: 'TypeError', message: 'secret option array must contain one or more strings' })
    })

    it('answers 500 when no secret is available', async function () {
      const app = createApp({ options: { secret: undefined } })
      await request(app).get('/').expect(500, 'error: secret option required for sessions')
    })
  })

  describe('cookie', function () {
    it('defaults to Path=/, HttpOnly and a browser-session cookie', async function () {
      const res = await request(createApp()).get('/').expect(200)
      const { attributes } = sessionCookie(res)
      assert.deepStrictEqual(attributes, { path: '/', httponly: true })
    })

    it('writes every attribute it is given', async function () {
      const options = { cookie: { domain: 'example.com', path: '/app', httpOnly: false, maxAge: 60000, partitioned: true, priority: 'high', sameSite: 'strict', secure: false } }
      const res = await request(createApp({ options })).get('/app/x').expect(200)
      const { attributes } = sessionCookie(res)
      assert.strictEqual(attributes.domain, 'example.com')
      assert.strictEqual(attributes.path, '/app')
      assert.strictEqual(attributes.httponly, undefined)
      assert.strictEqual(attributes.partitioned, true)
      assert.strictEqual(attributes.priority, 'High')
      assert.strictEqual(attributes.samesite, 'Strict')
      const lifetime = Date.parse(attributes.expires) - Date.now()
      assert.ok(lifetime > 55000 && lifetime <= 60000, 'Expires about a minute ahead: ' + attributes.expires)
    })

    it('accepts an absolute expires date', async function () {
      const expires = new Date(Date.UTC(2040, 0, 2, 3, 4, 5))
      const res = await request(createApp({ options: { cookie: { expires } } })).get('/').expect(200)
      assert.strictEqual(sessionCookie(res).attributes.expires, 'Mon, 02 Jan 2040 03:04:05 GMT')
    })

    for (const [sameSite, written] of [[true, 'Strict'], ['lax', 'Lax'], ['strict', 'Strict'], ['none', 'None'], [false, undefined]]) {
      it(`writes sameSite ${JSON.stringify(sameSite)} as ${written}`, async function () {
        const res = await request(createApp({ options: { cookie: { sameSite } } })).get('/').expect(200)
        assert.strictEqual(sessionCookie(res).attributes.samesite, written)
      })
    }

    it('sameSite auto is None over a secure connection and Lax otherwise', async function () {
      const app = createApp({ options: { proxy: true, cookie: { sameSite: 'auto' } } })
      const secure = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200)
      assert.strictEqual(sessionCookie(secure).attributes.samesite, 'None')
      const plain = await request(app).get('/').expect(200)
      assert.strictEqual(sessionCookie(plain).attributes.samesite, 'Lax')
    })

    it('secure true sends the cookie only over a secure connection', async function () {
      const app = createApp({ options: { proxy: true, cookie: { secure: true } } })
      const plain = await request(app).get('/').expect(200)
      assert.strictEqual(sessionCookie(plain), undefined)
      const secure = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200)
      assert.strictEqual(sessionCookie(secure).attributes.secure, true)
    })

    it('secure auto follows the connection', async function () {
      const app = createApp({ trustProxy: true, options: { cookie: { secure: 'auto' } } })
      const secure = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200)
      assert.strictEqual(sessionCookie(secure).attributes.secure, true)
      const plain = await request(app).get('/').expect(200)
      assert.strictEqual(sessionCookie(plain).attributes.secure, undefined)
    })

    it('may be a function of the request', async function () {
      const cookie = (req) => ({ path: '/' + req.url.split('/')[1], maxAge: 1000 })
      const res = await request(createApp({ options: { cookie } })).get('/tenant/page').expect(200)
      assert.strictEqual(sessionCookie(res).attributes.path, '/tenant')
      assert.ok(sessionCookie(res).attributes.expires)
    })

    it('gives no session to requests outside its path', async function () {
      const app = createApp({ options: { cookie: { path: '/app' } }, handler: (req, res) => res.end(String(Boolean(req.session))) })
      const outside = await request(app).get('/other').expect(200, 'false')
      assert.strictEqual(sessionCookie(outside), undefined)
      await request(app).get('/app').expect(200, 'true')
    })
  })

  describe('genid', function () {
    it('defaults to 32 base64url characters from a CSPRNG', async function () {
      const ids = new Set()
      for (let i = 0; i < 20; i++) {
        const res = await request(createApp()).get('/').expect(200)
        const id = sessionIdOf(res)
        assert.match(id, /^[A-Za-z0-9_-]{32}$/)
        ids.add(id)
      }
      assert.strictEqual(ids.size, 20)
    })

    it('uses a custom generator given the request', async function () {
      const res = await request(createApp({ options: { genid: (req) => 'id-for' + req.url } })).get('/x').expect(200)
      assert.strictEqual(sessionIdOf(res), 'id-for/x')
      assert.strictEqual(sessionCookie(res).value, encodeURIComponent('s:' + signature.sign('id-for/x', 'test secret')))
    })
  })

  describe('name and key', function () {
    it('defaults to connect.sid', async function () {
      const res = await request(createApp()).get('/').expect(200)
      assert.ok(sessionCookie(res, 'connect.sid'))
    })

    it('uses name, then the legacy key', async function () {
      assert.ok(sessionCookie(await request(createApp({ options: { name: 'app.sid' } })).get('/'), 'app.sid'))
      assert.ok(sessionCookie(await request(createApp({ options: { key: 'old.sid' } })).get('/'), 'old.sid'))
      assert.ok(sessionCookie(await request(createApp({ options: { name: 'new.sid', key: 'old.sid' } })).get('/'), 'new.sid'))
    })
  })

  describe('proxy', function () {
    const options = (proxy) => ({ proxy, cookie: { secure: true } })

    it('true trusts X-Forwarded-Proto, first value of a list', async function () {
      const app = createApp({ options: options(true) })
      assert.ok(sessionCookie(await request(app).get('/').set('X-Forwarded-Proto', 'https, http')))
      assert.strictEqual(sessionCookie(await request(app).get('/').set('X-Forwarded-Proto', 'http, https')), undefined)
    })

    it('false ignores X-Forwarded-Proto and req.secure', async function () {
      const app = createApp({ trustProxy: true, options: options(false) })
      assert.strictEqual(sessionCookie(await request(app).get('/').set('X-Forwarded-Proto', 'https')), undefined)
    })

    it('undefined defers to Express trust proxy', async function () {
      const trusting = createApp({ trustProxy: true, options: options(undefined) })
      assert.ok(sessionCookie(await request(trusting).get('/').set('X-Forwarded-Proto', 'https')))
      const distrusting = createApp({ options: options(undefined) })
      assert.strictEqual(sessionCookie(await request(distrusting).get('/').set('X-Forwarded-Proto', 'https')), undefined)
    })
  })

  describe('resave', function () {
    async function savesOfUnmodified (resave) {
      const store = new session.MemoryStore()
      let sets = 0
      const set = store.set
      store.set = function () { sets++; return set.apply(this, arguments) }
      const app = createApp({ options: { store, resave, saveUninitialized: true } })
      const first = await request(app).get('/').expect(200)
      await request(app).get('/').set('Cookie', cookiePair(first)).expect(200)
      return sets
    }

    it('false stores an unmodified session once', async function () {
      assert.strictEqual(await savesOfUnmodified(false), 1)
    })

    it('true stores it on every request', async function () {
      assert.strictEqual(await savesOfUnmodified(true), 2)
    })
  })

  describe('rolling', function () {
    it('false sends the cookie only when the session is new or changed', async function () {
      const app = createApp({ options: { cookie: { maxAge: 60000 } } })
      const first = await request(app).get('/').expect(200)
      const again = await request(app).get('/').set('Cookie', cookiePair(first)).expect(200)
      assert.strictEqual(sessionCookie(again), undefined)
    })

    it('true sends it on every response with a later expiry', async function () {
      const app = createApp({ options: { rolling: true, cookie: { maxAge: 60000 } } })
      const first = await request(app).get('/').expect(200)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const again = await request(app).get('/').set('Cookie', cookiePair(first)).expect(200)
      assert.ok(Date.parse(sessionCookie(again).attributes.expires) > Date.parse(sessionCookie(first).attributes.expires))
    })
  })

  describe('saveUninitialized', function () {
    it('true stores and cookies a new untouched session', async function () {
      const store = new session.MemoryStore()
      const res = await request(createApp({ options: { store, saveUninitialized: true } })).get('/').expect(200)
      assert.ok(await storedSession(store, sessionIdOf(res)))
    })

    it('false neither stores nor cookies it until data is written', async function () {
      const store = new session.MemoryStore()
      const idle = await request(createApp({ options: { store, saveUninitialized: false } })).get('/').expect(200)
      assert.strictEqual(sessionCookie(idle), undefined)
      assert.strictEqual(store.stats().sessions, 0)
      const used = await request(createApp({ options: { store, saveUninitialized: false }, handler: counter })).get('/').expect(200, '1')
      assert.strictEqual((await storedSession(store, sessionIdOf(used))).n, 1)
    })
  })

  describe('secret', function () {
    it('signs with a string', async function () {
      const res = await request(createApp({ options: { genid: () => 'fixed' } })).get('/')
      assert.strictEqual(decodeURIComponent(sessionCookie(res).value), 's:' + signature.sign('fixed', 'test secret'))
    })

    it('signs with a Buffer', async function () {
      const secret = Buffer.from([1, 2, 3, 250])
      const res = await request(createApp({ options: { secret, genid: () => 'fixed' } })).get('/')
      assert.strictEqual(decodeURIComponent(sessionCookie(res).value), 's:' + signature.sign('fixed', secret))
    })

    it('rotates: the first secret signs, every secret verifies', async function () {
      const store = new session.MemoryStore()
      const before = createApp({ options: { store, secret: 'old' }, handler: counter })
      const after = createApp({ options: { store, secret: ['new', 'old'] }, handler: counter })
      const first = await request(before).get('/').expect(200, '1')
      const second = await request(after).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
      // same ID and no expiry: no new cookie is needed, the one signed with the old secret stays valid
      assert.strictEqual(sessionCookie(second), undefined)
      const fresh = await request(after).get('/').expect(200, '1')
      assert.strictEqual(decodeURIComponent(sessionCookie(fresh).value), 's:' + signature.sign(sessionIdOf(fresh), 'new'))
      const retired = createApp({ options: { store, secret: 'new' }, handler: counter })
      await request(retired).get('/').set('Cookie', cookiePair(first)).expect(200, '1')
    })

    it('falls back to req.secret from cookie-parser', async function () {
      const app = express()
      app.use(cookieParser('parser secret'))
      app.use(session({ resave: false, saveUninitialized: true }))
      app.use(counter)
      const first = await request(app).get('/').expect(200, '1')
      assert.strictEqual(decodeURIComponent(sessionCookie(first).value), 's:' + signature.sign(sessionIdOf(first), 'parser secret'))
      await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
    })
  })

  describe('store', function () {
    it('uses the given store', async function () {
      const store = new session.MemoryStore()
      const res = await request(createApp({ options: { store }, handler: counter })).get('/').expect(200)
      assert.strictEqual((await storedSession(store, sessionIdOf(res))).n, 1)
    })
  })

  describe('unset', function () {
    function dropper (req, res) {
      if (req.query.drop) req.session = null
      else req.session.n = 1
      res.end('ok')
    }

    it('keep leaves the stored session when req.session is dropped', async function () {
      const store = new session.MemoryStore()
      const app = createApp({ options: { store, unset: 'keep' }, handler: dropper })
      const first = await request(app).get('/')
      await request(app).get('/?drop=1').set('Cookie', cookiePair(first)).expect(200)
      assert.ok(await storedSession(store, sessionIdOf(first)))
    })

    it('destroy deletes it', async function () {
      const store = new session.MemoryStore()
      const app = createApp({ options: { store, unset: 'destroy' }, handler: dropper })
      const first = await request(app).get('/')
      await request(app).get('/?drop=1').set('Cookie', cookiePair(first)).expect(200)
      assert.strictEqual(await storedSession(store, sessionIdOf(first)), undefined)
    })
  })
})
