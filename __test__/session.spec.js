'use strict'

const assert = require('assert')
const request = require('supertest')
const cookieParser = require('cookie-parser')
const express = require('express')
const http = require('http')
const util = require('util')
const { createApp, cookiePair, ours: session, sessionCookie, sessionIdOf, storedSession, upstream } = require('./support/app')

// An app whose handler is picked by path, sharing one MemoryStore the test can inspect.
function appWith (routes, options = {}) {
  const store = options.store || new session.MemoryStore()
  const app = createApp({
    options: { store, ...options },
    handler: (req, res, next) => (routes[req.path] || ((rq, rs) => rs.end('none')))(req, res, next)
  })
  return { app, store }
}

const login = (req, res) => { req.session.user = 'ann'; res.end('in') }

describe('req.session', function () {
  it('persists data across requests', async function () {
    const { app } = appWith({ '/': (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end(String(req.session.n)) } })
    const first = await request(app).get('/').expect(200, '1')
    await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
  })

  it('exposes id, sessionID and sessionStore', async function () {
    const { app, store } = appWith({
      '/': (req, res) => res.json({ id: req.session.id, sid: req.sessionID, store: req.sessionStore === store })
    })
    const res = await request(app).get('/').expect(200)
    assert.strictEqual(res.body.id, res.body.sid)
    assert.strictEqual(res.body.id, sessionIdOf(res))
    assert.strictEqual(res.body.store, true)
  })

  it('has only data and cookie enumerable', async function () {
    const { app } = appWith({
      '/': (req, res) => {
        req.session.a = 1
        req.session.b = 'x'
        res.json({ keys: Object.keys(req.session), forIn: Object.keys(Object.assign({}, req.session)), json: JSON.parse(JSON.stringify(req.session)) })
      }
    })
    const { body } = await request(app).get('/').expect(200)
    assert.deepStrictEqual(body.keys, ['cookie', 'a', 'b'])
    assert.deepStrictEqual(Object.keys(body.json), ['cookie', 'a', 'b'])
    assert.deepStrictEqual(body.json.cookie, { originalMaxAge: null, expires: null, httpOnly: true, path: '/' })
  })

  it('does not let stored data shadow session methods', async function () {
    const { app, store } = appWith({
      '/': (req, res) => res.json({ save: typeof req.session.save, id: req.session.id === req.sessionID, extra: req.session.extra })
    })
    const first = await request(app).get('/')
    const sid = sessionIdOf(first)
    const stored = await storedSession(store, sid)
    await new Promise((resolve) => store.set(sid, { ...stored, save: 'nope', id: 'other', regenerate: 1, extra: 'kept' }, resolve))
    const { body } = await request(app).get('/').set('Cookie', cookiePair(first)).expect(200)
    assert.deepStrictEqual(body, { save: 'function', id: true, extra: 'kept' })
  })

  it('regenerate replaces the session and deletes the old one', async function () {
    const { app, store } = appWith({
      '/': login,
      '/regen': (req, res) => req.session.regenerate((err) => res.end(err ? 'fail' : String(req.session.user)))
    })
    const first = await request(app).get('/')
    const second = await request(app).get('/regen').set('Cookie', cookiePair(first)).expect(200, 'undefined')
    assert.notStrictEqual(sessionIdOf(second), sessionIdOf(first))
    assert.strictEqual(await storedSession(store, sessionIdOf(first)), undefined)
    assert.ok(await storedSession(store, sessionIdOf(second)))
  })

  it('destroy removes it from the store and the request', async function () {
    const { app, store } = appWith({
      '/': login,
      '/out': (req, res) => req.session.destroy((err) => res.end(String(!err && req.session === undefined)))
    })
    const first = await request(app).get('/')
    const out = await request(app).get('/out').set('Cookie', cookiePair(first)).expect(200, 'true')
    assert.strictEqual(sessionCookie(out), undefined)
    assert.strictEqual(await storedSession(store, sessionIdOf(first)), undefined)
  })

  it('reload reads the stored copy again', async function () {
    const { app, store } = appWith({
      '/': login,
      '/reload': (req, res) => {
        req.session.user = 'changed in memory'
        store.get(req.sessionID, (err, stored) => {
          if (err) throw err
          stored.user = 'changed in store'
          store.set(req.sessionID, stored, () => req.session.reload((err) => res.end(err ? err.message : req.session.user)))
        })
      },
      '/gone': (req, res) => store.clear(() => req.session.reload((err) => res.end(err ? err.message : 'no error')))
    })
    const first = await request(app).get('/')
    await request(app).get('/reload').set('Cookie', cookiePair(first)).expect(200, 'changed in store')
    await request(app).get('/gone').set('Cookie', cookiePair(first)).expect(200, 'failed to load session')
  })

  it('save stores at once and is not repeated at the end', async function () {
    const store = new session.MemoryStore()
    let sets = 0
    const set = store.set
    store.set = function () { sets++; return set.apply(this, arguments) }
    const { app } = appWith({
      '/': (req, res) => {
        req.session.user = 'ann'
        req.session.save((err) => {
          if (err) return res.end(err.message)
          store.get(req.sessionID, (err, sess) => res.end(err ? err.message : sess.user))
        })
      }
    }, { store })
    await request(app).get('/').expect(200, 'ann')
    assert.strictEqual(sets, 1)
  })

  it('touch and resetMaxAge restart the cookie maxAge', async function () {
    const { app } = appWith({
      '/': (req, res) => {
        req.session.cookie.maxAge = 1000
        const shortened = req.session.cookie.maxAge
        req.session.cookie.originalMaxAge = 50000
        req.session.touch()
        const touched = req.session.cookie.maxAge
        req.session.cookie.originalMaxAge = 40000
        req.session.resetMaxAge()
        res.json({ shortened, touched, reset: req.session.cookie.maxAge })
      }
    }, { cookie: { maxAge: 60000 } })
    const { body } = await request(app).get('/').expect(200)
    assert.ok(body.shortened <= 1000 && body.shortened > 900)
    assert.ok(body.touched <= 50000 && body.touched > 49000)
    assert.ok(body.reset <= 40000 && body.reset > 39000)
  })

  it('cookie exposes maxAge, originalMaxAge, expires, data, serialize and toJSON', async function () {
    const { app } = appWith({
      '/': (req, res) => {
        const c = req.session.cookie
        res.json({
          maxAge: c.maxAge,
          originalMaxAge: c.originalMaxAge,
          expiresIsDate: c.expires instanceof Date,
          dataKeys: Object.keys(c.data),
          serialized: c.serialize('x', 'y z'),
          json: c.toJSON()
        })
      }
    }, { cookie: { maxAge: 5000, sameSite: 'lax' } })
    const { body } = await request(app).get('/').expect(200)
    assert.ok(body.maxAge > 4000 && body.maxAge <= 5000)
    // originalMaxAge is read back from the new expiry, so a millisecond may pass in between (as upstream)
    assert.ok(body.originalMaxAge > 4950 && body.originalMaxAge <= 5000, String(body.originalMaxAge))
    assert.strictEqual(body.expiresIsDate, true)
    assert.deepStrictEqual(body.dataKeys, ['originalMaxAge', 'partitioned', 'priority', 'expires', 'secure', 'httpOnly', 'domain', 'path', 'sameSite'])
    assert.match(body.serialized, /^x=y%20z; Path=\/; Expires=[^;]+ GMT; HttpOnly; SameSite=Lax$/)
    assert.strictEqual(body.json.originalMaxAge, body.originalMaxAge)
    assert.strictEqual(body.json.sameSite, 'lax')
  })

  it('is not created while the store is disconnected, and is again after it reconnects', async function () {
    const { app, store } = appWith({ '/': (req, res) => res.end(String(Boolean(req.session))) })
    store.emit('disconnect')
    await request(app).get('/').expect(200, 'false')
    store.emit('connect')
    await request(app).get('/').expect(200, 'true')
  })

  it('is left alone when an earlier middleware set req.session', async function () {
    const app = express()
    app.use((req, res, next) => { req.session = { mine: true }; next() })
    app.use(session({ secret: 's', resave: false, saveUninitialized: true }))
    app.use((req, res) => res.json(req.session))
    const res = await request(app).get('/').expect(200, { mine: true })
    assert.strictEqual(sessionCookie(res), undefined)
  })

  it('reads the session ID from cookie-parser when the header was consumed', async function () {
    const store = new session.MemoryStore()
    const app = express()
    app.use(cookieParser('test secret'))
    app.use((req, res, next) => { delete req.headers.cookie; next() })
    app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: true }))
    app.use((req, res) => { req.session.n = (req.session.n || 0) + 1; res.end(String(req.session.n)) })
    const first = await request(app).get('/').expect(200, '1')
    await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
    // an unsigned value in req.cookies is ignored
    await request(app).get('/').set('Cookie', 'connect.sid=' + sessionIdOf(first)).expect(200, '1')
  })

  it('ends a response once when res.end is called twice', async function () {
    const { app } = appWith({ '/': (req, res) => { req.session.x = 1; res.end('one'); assert.strictEqual(res.end('two'), false) } })
    await request(app).get('/').expect(200, 'one')
  })

  it('handles res.end(null)', async function () {
    const { app } = appWith({ '/': (req, res) => { req.session.x = 1; res.end(null) } })
    const res = await request(app).get('/').expect(200, '')
    assert.ok(sessionCookie(res))
  })

  it('keeps headers passed to writeHead beside its Set-Cookie', async function () {
    const { app } = appWith({ '/': (req, res) => { res.writeHead(201, { 'Set-Cookie': 'other=1', 'X-Test': 'yes' }); res.end() } })
    const res = await request(app).get('/').expect(201)
    assert.strictEqual(res.headers['x-test'], 'yes')
    assert.ok(res.headers['set-cookie'].includes('other=1'))
    assert.ok(sessionCookie(res))
  })

  it('works on a plain http server', async function () {
    const middleware = session({ secret: 's', resave: false, saveUninitialized: true })
    const server = http.createServer((req, res) => middleware(req, res, (err) => {
      if (err) { res.statusCode = 500; return res.end() }
      req.session.n = (req.session.n || 0) + 1
      res.end(String(req.session.n))
    }))
    const first = await request(server).get('/').expect(200, '1')
    await request(server).get('/').set('Cookie', cookiePair(first)).expect(200, '2')
  })

  describe('Session, as express-session\'s', function () {
    const storedJson = '{"cookie":{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/","sameSite":"lax"},"user":"ann","views":3}'

    // A session subclass made the pre-ES2015 way, and what it looks like once built and saved.
    function inspectSubclass (impl) {
      function AuditedSession (req, data) {
        impl.Session.call(this, req, data)
        this.audited = true
      }
      util.inherits(AuditedSession, impl.Session)
      AuditedSession.prototype.describe = function () { return this.id + ':' + this.user }

      const saved = []
      const store = new impl.MemoryStore()
      store.set = function (sid, sess, callback) { saved.push([sid, JSON.stringify(sess)]); callback() }
      const req = { sessionID: 'sid-1', sessionStore: store }
      const data = JSON.parse(storedJson)
      data.cookie = new impl.Cookie(data.cookie)

      const sess = new AuditedSession(req, data)
      let calledBack = false
      assert.strictEqual(sess.save(() => { calledBack = true }), sess)
      return {
        isSession: sess instanceof impl.Session,
        id: sess.id,
        sameReq: sess.req === req,
        described: sess.describe(),
        keys: Object.keys(sess),
        forIn: (() => { const keys = []; for (const key in sess) keys.push(key); return keys })(),
        json: JSON.stringify(sess),
        saved,
        calledBack,
        touched: sess.touch() === sess && sess.resetMaxAge() === sess
      }
    }

    it('is a plain constructor function that util.inherits subclasses can call', function () {
      const ours = inspectSubclass(session)
      assert.deepStrictEqual(ours, inspectSubclass(upstream))
      assert.strictEqual(ours.isSession, true)
      assert.strictEqual(ours.described, 'sid-1:ann')
      assert.deepStrictEqual(ours.saved.map(([sid]) => sid), ['sid-1'])
    })

    it('keeps its methods off for...in, Object.keys and JSON, as express-session does', function () {
      assert.deepStrictEqual(Object.keys(session.Session.prototype), Object.keys(upstream.Session.prototype))
      for (const name of ['touch', 'resetMaxAge', 'save', 'reload', 'destroy', 'regenerate']) {
        const descriptor = Object.getOwnPropertyDescriptor(session.Session.prototype, name)
        assert.deepStrictEqual({ ...descriptor, value: typeof descriptor.value }, { value: 'function', writable: true, enumerable: false, configurable: true })
      }
    })
  })
})
