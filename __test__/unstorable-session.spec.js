'use strict'

// A session whose JSON is undefined (the application gave it a toJSON that returns nothing) cannot
// be stored. express-session finds out when it hashes the session at the end of the request: the
// hash throws and the error reaches the error handler (whose answer then never goes out, as the
// session's end hook has already run once). This package must not lose such a session quietly
// either: the error reaches the error handler, nothing is stored, and the response still ends.

const assert = require('assert')
const express = require('express')
const request = require('supertest')
const { cookiePair, ours, upstream } = require('./support/app')
const { MapStore, storeCall } = require('./support/stores')
const { tempDir } = require('./support/disk-processes')
const { isNative } = require('../core')

const unstorable = () => undefined

const routes = {
  '/init': (req, res) => { req.session.n = 1; res.end('init') },
  '/new': (req, res) => { req.session.n = 1; req.session.toJSON = unstorable; res.end('new') },
  '/loaded': (req, res) => { req.session.n = 2; req.session.toJSON = unstorable; res.end('loaded') },
  '/loaded-unchanged': (req, res) => { req.session.toJSON = unstorable; res.end('unchanged') }
}

// An app whose error handler records the error and answers 500; when the response cannot end any
// more (express-session's case) the socket is closed so that the request finishes.
function app (impl, options, errors) {
  const server = express()
  server.use(impl({ secret: 'test secret', resave: false, saveUninitialized: true, ...options }))
  server.use((req, res) => routes[req.path](req, res))
  server.use((err, req, res, next) => {
    errors.push(err)
    if (res.headersSent) return
    res.statusCode = 500
    res.end('error')
    if (!res.writableEnded) res.destroy()
  })
  return server
}

async function send (server, path, cookie) {
  let req = request(server).get(path)
  if (cookie) req = req.set('Cookie', cookie)
  try {
    const res = await req
    return { ended: true, status: res.status }
  } catch (err) {
    return { ended: false, status: null }
  }
}

const stores = {
  'the MemoryStore': (impl) => new impl.MemoryStore(),
  'a callback store': () => new MapStore({ deferred: true })
}
// this package's DiskStore, under both packages (it is a store like any other to express-session);
// it exists on the native core only (its own specs say so on the fallback)
if (isNative) stores['the DiskStore'] = () => new ours.DiskStore({ path: tempDir('unstorable'), checkPeriod: false })

// Everything `store` holds, as text
async function snapshot (store) {
  return JSON.stringify(store instanceof MapStore ? [...store.map] : await storeCall(store, 'all'))
}

// What the application hears and the store holds after `path`, on a session started by /init
// when `loaded` is true. `response` is kept apart: it is where the packages differ.
async function run (impl, makeStore, path, { loaded = false, options = {} } = {}) {
  const store = makeStore(impl)
  const errors = []
  const server = app(impl, { store, ...options }, errors)
  let cookie
  if (loaded) cookie = cookiePair(await request(server).get('/init').expect(200))
  const before = await snapshot(store)
  const response = await send(server, path, cookie)
  await new Promise((resolve) => setImmediate(resolve))
  const after = await snapshot(store)
  return {
    heard: errors.map((err) => err instanceof TypeError),
    storeUnchanged: after === before,
    response
  }
}

describe('a session that serializes to undefined', function () {
  for (const [storeLabel, makeStore] of Object.entries(stores)) {
    describe('with ' + storeLabel, function () {
      const cases = [
        ['a new session', '/new', {}],
        ['a loaded session, changed', '/loaded', { loaded: true }],
        ['a loaded session, unchanged', '/loaded-unchanged', { loaded: true }],
        ['a loaded session with resave', '/loaded-unchanged', { loaded: true, options: { resave: true } }]
      ]
      for (const [title, path, setup] of cases) {
        it(`${title}: the error handler hears a TypeError and nothing is stored, as with express-session`, async function () {
          const expected = await run(upstream, makeStore, path, setup)
          const { response, ...actual } = await run(ours, makeStore, path, setup)
          delete expected.response
          assert.deepStrictEqual(actual, expected)
          assert.deepStrictEqual(actual.heard, [true])
          assert.strictEqual(actual.storeUnchanged, true)
          // unlike express-session's, the response is not left hanging
          assert.deepStrictEqual(response, { ended: true, status: 200 })
        })
      }

      it('with merge, a loaded session: the error handler hears it, nothing is stored', async function () {
        const { heard, storeUnchanged, response } = await run(ours, makeStore, '/loaded', { loaded: true, options: { merge: true } })
        assert.deepStrictEqual([heard, storeUnchanged, response.ended], [[true], true, true])
      })
    })
  }

  it('the error names the session and says why', async function () {
    const errors = []
    const store = new ours.MemoryStore()
    await send(app(ours, { store }, errors), '/new')
    assert.strictEqual(errors.length, 1)
    assert.match(errors[0].message, /^session [\w-]{32} cannot be saved: it serializes to undefined/)
  })

  describe('saved by the application with req.session.save()', function () {
    for (const [label, options] of [['', {}], [' with merge', { merge: true }]]) {
      it('the MemoryStore answers the save with the error' + label, async function () {
        const store = new ours.MemoryStore()
        let saveError
        const server = express()
        server.use(ours({ secret: 's', resave: false, saveUninitialized: false, store, ...options }))
        server.get('/init', (req, res) => { req.session.n = 1; res.end() })
        server.get('/save', (req, res) => {
          req.session.toJSON = unstorable
          req.session.save((err) => { saveError = err; res.end() })
        })
        server.use((err, req, res, next) => res.end(err.message))
        const cookie = cookiePair(await request(server).get('/init').expect(200))
        await request(server).get('/save').set('Cookie', cookie)
        assert.ok(saveError instanceof TypeError, String(saveError))
        assert.match(saveError.message, /serializes to undefined/)
      })
    }

    for (const [label, makeStore] of Object.entries(stores).filter(([label]) => label !== 'a callback store')) {
      it(`${label}'s set called directly calls back with the error, or throws it without a callback`, async function () {
        const store = makeStore(ours)
        const sess = { cookie: { path: '/' }, toJSON: unstorable }
        await assert.rejects(storeCall(store, 'set', 'sid', sess), /cannot be saved/)
        assert.throws(() => store.set('sid', sess), /cannot be saved/)
        assert.strictEqual(await storeCall(store, 'get', 'sid'), undefined)
      })
    }
  })
})
