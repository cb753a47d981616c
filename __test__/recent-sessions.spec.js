'use strict'

// The MemoryStore remembers the sessions it recently handed over or stored, so that the middleware's
// next read of one does not call into the addon (session/recent-sessions.js). These specs hold that
// to a store that remembers nothing: whatever changes a session by any route, the next request
// sees exactly what it would have seen.

const assert = require('assert')
const request = require('supertest')
const { createApp, cookiePair, ours: session, sessionIdOf } = require('./support/app')
const { storeCall: call } = require('./support/stores')
const { kAdapter, kNativeStore } = require('../session/internal')
const RecentSessions = require('../session/recent-sessions')

const { MemoryStore } = session
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// An app whose /set?n= stores n in the session and whose other paths answer with the session's
// ID and data (its cookie left out).
function appOn (store, cookie) {
  return createApp({
    options: { store, cookie },
    handler (req, res) {
      if (req.path === '/set') req.session.n = Number(req.query.n)
      const { cookie: sessionCookie, ...data } = req.session
      res.end(JSON.stringify({ id: req.sessionID, data, maxAge: sessionCookie.originalMaxAge }))
    }
  })
}

// Counts the calls into the addon's storage that read a session.
function countNativeLoads (store) {
  const storage = store[kNativeStore].storage
  const original = storage.load
  const counter = { loads: 0 }
  storage.load = function load (...args) {
    counter.loads++
    return original.apply(this, args)
  }
  return counter
}

// Changes a stored session (its ID `id`) by one route other than the middleware.
const changes = [
  ['set through the callback API', (store, id) => call(store, 'set', id, { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, n: 7 })],
  ['touch with another cookie', (store, id) => call(store, 'touch', id, { cookie: { originalMaxAge: 5000, expires: new Date(Date.now() + 5000), httpOnly: true, path: '/' }, n: 1 })],
  ['merge', (store, id) => call(store, 'merge', id, { n: 9, added: true }, [], { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' } })],
  ['destroy', (store, id) => call(store, 'destroy', id)],
  ['clear', (store) => call(store, 'clear')],
  ['an entry of the sessions view assigned', (store, id) => { store.sessions[id] = JSON.stringify({ cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, n: 8 }) }],
  ['an entry of the sessions view deleted', (store, id) => { delete store.sessions[id] }],
  ['the sessions view replaced', (store, id) => { store.sessions = { [id]: JSON.stringify({ cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, n: 6 }) } }]
]

describe('MemoryStore: recently used sessions remembered', function () {
  before(function () {
    if (!session.native) {
      console.log('      (pending: only the native core remembers sessions; the fallback keeps them in JavaScript already)')
      this.skip()
    }
  })

  it('serves a session it just stored or read again without calling into the addon', async function () {
    const store = new MemoryStore()
    const counter = countNativeLoads(store)
    const app = appOn(store)
    const first = await request(app).get('/set?n=1').expect(200)
    const cookie = cookiePair(first)
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/').set('Cookie', cookie).expect(200)
      assert.deepStrictEqual(JSON.parse(res.text).data, { n: 1 })
      assert.strictEqual(res.headers['set-cookie'], undefined)
    }
    assert.strictEqual(counter.loads, 0)
    // the reads still count as hits
    assert.strictEqual(store.stats().hits, 3)
    // a saved change is what the next read sees
    await request(app).get('/set?n=2').set('Cookie', cookie).expect(200)
    const res = await request(app).get('/').set('Cookie', cookie).expect(200)
    assert.deepStrictEqual(JSON.parse(res.text).data, { n: 2 })
    assert.strictEqual(counter.loads, 0)
  })

  for (const [title, change] of changes) {
    it('sees a session changed by ' + title + ' as a store that remembers nothing does', async function () {
      const answers = []
      // `max` keeps a store from remembering sessions (its bound is enforced in the addon)
      for (const store of [new MemoryStore(), new MemoryStore({ max: 1000000 })]) {
        const app = appOn(store)
        const first = await request(app).get('/set?n=1').expect(200)
        const cookie = cookiePair(first)
        await request(app).get('/').set('Cookie', cookie).expect(200)
        await change(store, sessionIdOf(first))
        const res = await request(app).get('/').set('Cookie', cookie).expect(200)
        const answer = JSON.parse(res.text)
        answers.push({ sameId: answer.id === sessionIdOf(first), data: answer.data, maxAge: answer.maxAge, newCookie: res.headers['set-cookie'] !== undefined })
      }
      assert.deepStrictEqual(answers[0], answers[1])
    })
  }

  it('never serves a remembered session once its cookie has expired', async function () {
    const store = new MemoryStore()
    const app = appOn(store, { maxAge: 60 })
    const first = await request(app).get('/set?n=1').expect(200)
    const cookie = cookiePair(first)
    await request(app).get('/').set('Cookie', cookie).expect(200)
    await sleep(120)
    const res = await request(app).get('/').set('Cookie', cookie).expect(200)
    assert.notStrictEqual(JSON.parse(res.text).id, sessionIdOf(first))
    assert.deepStrictEqual(JSON.parse(res.text).data, {})
    assert.strictEqual(store.stats().expirations, 1)
  })

  it('keeps a touched expiry: a session read within its maxAge stays alive past the first expiry', async function () {
    const store = new MemoryStore()
    const app = appOn(store, { maxAge: 150 })
    const first = await request(app).get('/set?n=1').expect(200)
    const cookie = cookiePair(first)
    for (let i = 0; i < 4; i++) {
      await sleep(60)
      const res = await request(app).get('/').set('Cookie', cookie).expect(200)
      assert.strictEqual(JSON.parse(res.text).id, sessionIdOf(first), 'read ' + i)
    }
  })

  it('is used only where nothing outside this thread changes the sessions, and stays bounded', async function () {
    assert.ok(new MemoryStore()[kNativeStore] instanceof RecentSessions)
    assert.ok(!(new MemoryStore({ max: 10 })[kNativeStore] instanceof RecentSessions))
    assert.ok(!(new MemoryStore({ name: 'recent-sessions-spec' })[kNativeStore] instanceof RecentSessions))

    const store = new MemoryStore()
    const adapter = store[kAdapter]()
    for (let i = 0; i < 3000; i++) {
      await call(store, 'set', 'id-' + i, { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, i })
    }
    // sessions set through the callback API are not remembered; those the middleware reads are
    assert.strictEqual(store[kNativeStore].sessions.size, 0)
    for (let i = 0; i < 3000; i++) {
      const loaded = await new Promise((resolve, reject) => adapter.load('id-' + i, (err, stored) => (err ? reject(err) : resolve(stored))))
      assert.strictEqual(loaded.data.i, i)
    }
    assert.strictEqual(store[kNativeStore].sessions.size, 1024)
    assert.strictEqual(await call(store, 'length'), 3000)
  })
})
