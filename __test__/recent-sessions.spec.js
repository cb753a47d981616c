'use strict'

// The MemoryStore remembers the sessions it recently handed over or stored, so that the middleware's
// next read of one does not call into the addon (session/recent-sessions.js). These specs hold that
// to a store that remembers nothing: whatever changes a session by any route, the next request
// sees exactly what it would have seen.

const assert = require('assert')
const request = require('supertest')
const { appSavingPathNumbers, appSavingThen, createApp, cookiePair, listenKeptAlive, ours: session, sessionIdOf } = require('./support/app')
const { readsNow, storeCall: call } = require('./support/stores')
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

  describe('the middleware\'s saves, handed to the addon once per turn', function () {
    // Counts the addon storage's calls of `method`, and when each came.
    function countNativeCalls (store, method) {
      const storage = addonStorage(store)
      const original = storage[method]
      const counter = { calls: 0 }
      storage[method] = function counted (...args) {
        counter.calls++
        return original.apply(this, args)
      }
      return counter
    }

    // The addon's storage, behind the remembered sessions where the store has them.
    const addonStorage = (store) => store[kNativeStore].storage || store[kNativeStore]
    // The session under `id` as the addon's storage holds it, parsed (null when it has none).
    const heldByAddon = (store, id) => JSON.parse(addonStorage(store).get(id))

    it('holds a save back until its turn ends, then stores it', async function () {
      const store = new MemoryStore()
      const setFields = countNativeCalls(store, 'setFields')
      let duringTurn
      const app = createApp({
        options: { store },
        handler (req, res) {
          req.session.n = 1
          res.end('saved')
          duringTurn = { calls: setFields.calls, held: heldByAddon(store, req.sessionID) }
        }
      })
      // the first save tells the store its cookie's shape; saves of that shape wait
      await request(app).get('/').expect(200)
      setFields.calls = 0
      const res = await request(app).get('/').expect(200)
      assert.deepStrictEqual(duringTurn, { calls: 0, held: null })
      assert.strictEqual(setFields.calls, 1)
      assert.strictEqual(heldByAddon(store, sessionIdOf(res)).n, 1)
    })

    it('hands over only the last of the saves of one session that wait together', async function () {
      const store = new MemoryStore()
      const setFields = countNativeCalls(store, 'setFields')
      const { app, saved } = appSavingPathNumbers(store)
      const server = await listenKeptAlive(app)
      try {
        const [first] = await server.round(['/0'])
        const cookie = cookiePair(first)
        // the session's cookie shape is known from here on, and its saves wait; the connections of
        // the next round are open, so that its requests arrive together
        const paths = Array.from({ length: 10 }, (_, i) => '/' + (i + 1))
        await server.round(paths, cookie)
        setFields.calls = 0
        await server.round(paths, cookie)
        assert.ok(setFields.calls < 10, setFields.calls + ' saves handed over for 10 saves of one session')
        assert.strictEqual(heldByAddon(store, sessionIdOf(first)).n, saved[saved.length - 1])
      } finally {
        server.close()
      }
    })

    it('hands over a save that touches of the same session follow in its turn', async function () {
      const store = new MemoryStore()
      const server = await listenKeptAlive(createApp({
        options: { store, cookie: { maxAge: 60000 } },
        handler (req, res) {
          if (req.path === '/set') req.session.n = Number(req.query.n)
          res.end(String(req.session.n))
        }
      }))
      try {
        const [first] = await server.round(['/set?n=1'])
        const cookie = cookiePair(first)
        await server.round(['/', '/', '/', '/'], cookie)
        // a save then touches of the session, read together
        await server.round(['/set?n=2', '/', '/', '/'], cookie)
        assert.strictEqual(heldByAddon(store, sessionIdOf(first)).n, 2)
        const [after] = await server.round(['/'], cookie)
        assert.strictEqual(after.text, '2')
      } finally {
        server.close()
      }
    })

    it('lets every read made while a save waits see it', async function () {
      const store = new MemoryStore()
      // the save waits; these reads come after it in the same turn
      const { app, last } = appSavingThen(store, (req) => {
        const view = JSON.parse(store.sessions[req.sessionID] || 'null')?.n
        return readsNow(store, req.sessionID).then((reads) => ({ ...reads, view }))
      })
      await request(app).get('/?n=1').expect(200)
      await last()
      await request(app).get('/?n=2').expect(200)
      assert.deepStrictEqual(await last(), { sessions: 2, view: 2, get: 2, length: 2, all: [1, 2] })
    })

    it('stores a save whose cookie shape went with an expired session before its turn ended', async function () {
      const answers = []
      for (const store of [new MemoryStore(), new MemoryStore({ max: 1000000 })]) {
        const set = countNativeCalls(store, 'set')
        const adapter = store[kAdapter]()
        // the first session's ID, once it is made
        const first = {}
        // each session's JSON when it was first saved
        const savedJson = new Map()
        const app = createApp({
          options: { store, cookie: { maxAge: 300 } },
          handler (req, res) {
            req.session.n = 1
            res.end(req.sessionID)
            if (!savedJson.has(req.sessionID)) savedJson.set(req.sessionID, JSON.stringify(req.session))
            // the only other session of this cookie's shape has expired: loading it removes it,
            // and the shape with it, while this request's save waits
            if (first.id !== undefined) adapter.load(first.id, () => {})
          }
        })
        first.id = sessionIdOf(await request(app).get('/').expect(200))
        await sleep(350)
        set.calls = 0
        const res = await request(app).get('/').expect(200)
        const id = sessionIdOf(res)
        const held = await call(store, 'get', id)
        const next = await request(app).get('/').set('Cookie', cookiePair(res)).expect(200)
        answers.push({
          n: held.n,
          cookieKeys: Object.keys(held.cookie),
          asSaved: JSON.stringify(held) === savedJson.get(id),
          sameSession: next.text === id,
          setCalls: set.calls
        })
      }
      assert.deepStrictEqual(answers[0], { n: 1, cookieKeys: answers[1].cookieKeys, asSaved: true, sameSession: true, setCalls: 1 })
      // the store that remembers nothing found the shape still there when it saved
      assert.deepStrictEqual(answers[1], { ...answers[0], setCalls: 0 })
    })

    it('holds a touch of a remembered session back until its turn ends, then stores its expiry', async function () {
      const store = new MemoryStore()
      const touchFields = countNativeCalls(store, 'touchFields')
      let duringTurn
      const app = createApp({
        options: { store, cookie: { maxAge: 60000 } },
        handler (req, res) {
          if (req.path === '/set') req.session.n = 1
          res.end('ok')
          duringTurn = { calls: touchFields.calls, expires: heldByAddon(store, req.sessionID).cookie.expires }
        }
      })
      const cookie = cookiePair(await request(app).get('/set').expect(200))
      const savedExpires = duringTurn.expires
      await sleep(20)
      touchFields.calls = 0
      await request(app).get('/').set('Cookie', cookie).expect(200)
      assert.deepStrictEqual(duringTurn, { calls: 0, expires: savedExpires })
      assert.strictEqual(touchFields.calls, 1)
      const [id] = Object.keys(await call(store, 'all'))
      assert.ok(Date.parse(heldByAddon(store, id).cookie.expires) > Date.parse(savedExpires))
    })

    it('hands a waiting save over before forgetting its session for newer ones', function () {
      const recent = new MemoryStore()[kNativeStore]
      const storage = recent.storage
      const parts = new Float64Array(4)
      const cookieJson = JSON.stringify({ originalMaxAge: null, expires: null, httpOnly: true, path: '/' })
      for (let i = 0; i < 1024; i++) storage.set('other-' + i, cookieJson, '{}', undefined, parts)
      recent.set('saved', cookieJson, '{"v":1}', undefined, parts)
      const fields = JSON.parse(storage.cookieFieldsJson(parts[0], parts[1]))
      assert.strictEqual(recent.setFields('saved', parts[0], parts[1], '{"v":2}', undefined, new Float64Array(4), fields), true)
      // in the same turn, 1,024 other sessions read push it out of the remembered ones
      for (let i = 0; i < 1024; i++) recent.load('other-' + i, parts)
      assert.strictEqual(recent.sessions.has('saved'), false)
      assert.strictEqual(recent.load('saved', parts), '{"v":2}')
    })

    it('never brings back a session that expired before its touch, or before the touch was handed over', async function () {
      const recent = new MemoryStore()[kNativeStore]
      const storage = recent.storage
      const parts = new Float64Array(4)
      const remembered = (key, lifetime) => {
        const expires = Date.now() + lifetime
        const cookie = { originalMaxAge: lifetime, expires: new Date(expires).toISOString(), httpOnly: true, path: '/' }
        recent.set(key, JSON.stringify(cookie), '{"n":1}', expires, parts)
        return JSON.parse(storage.cookieFieldsJson(parts[0], parts[1]))
      }
      // expired before the touch: not touched, forgotten
      const fields = remembered('early', 20)
      const [shape, serial] = parts
      await sleep(40)
      assert.strictEqual(recent.touchFields('early', shape, serial, Date.now() + 60000, fields), -1)
      assert.strictEqual(recent.sessions.has('early'), false)
      assert.strictEqual(recent.load('early', parts), null)
      // expired while its touch waited: the storage leaves it gone, and it is forgotten
      const lateFields = remembered('late', 100)
      const lateExpiry = parts[2]
      assert.strictEqual(recent.touchFields('late', parts[0], parts[1], Date.now() + 60000, lateFields), 1)
      while (Date.now() <= lateExpiry + 5) ; // the turn goes on past the session's first expiry
      recent.handOver()
      assert.strictEqual(recent.sessions.has('late'), false)
      assert.strictEqual(recent.load('late', parts), null)
      assert.strictEqual(storage.get('late'), null)
    })
  })
})
