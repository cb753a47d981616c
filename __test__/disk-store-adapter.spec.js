'use strict'

// How the middleware talks to the DiskStore (session/disk-adapter.js, session/disk-writes.js): the
// writes of one turn of the event loop committed together, each request answered once its write is
// committed, and a touch that would change nothing not written.

const assert = require('assert')
const request = require('supertest')
const { appSavingPathNumbers, appSavingThen, createApp, cookiePair, listenKeptAlive, ours: session, sessionIdOf } = require('./support/app')
const { readsNow, storeCall: call } = require('./support/stores')
const { requireDiskStore, tempDir } = require('./support/disk-processes')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The DiskStore's native storage.
function storageOf (store) {
  return Object.getOwnPropertySymbols(store).map((symbol) => store[symbol])
    .find((value) => value && typeof value.touch === 'function' && typeof value.get === 'function')
}

// The DiskStore's storage with its calls of `methods` counted, under the first one's name.
function countCalls (store, ...methods) {
  const storage = storageOf(store)
  const counter = { calls: 0 }
  for (const method of methods) {
    const original = storage[method]
    storage[method] = function counted (...args) {
      counter.calls++
      return original.apply(this, args)
    }
  }
  return counter
}

// A DiskStore in a new directory with its commits counted, under an app of `handler` listening on
// kept-alive connections (see listenKeptAlive).
async function appCountingCommits (name, handler) {
  const store = new session.DiskStore({ path: tempDir(name), checkPeriod: false })
  const commits = countCalls(store, 'commitQueued')
  const server = await listenKeptAlive(createApp({ options: { store }, handler }))
  return { store, commits, server }
}

// touches written at once or queued for the next commit
const countTouches = (store) => countCalls(store, 'touch', 'queueTouch')

function appOn (store, cookie) {
  return createApp({
    options: { store, cookie },
    handler (req, res) {
      if (req.path === '/set') req.session.n = 1
      res.end(String(req.session.n))
    }
  })
}

describe('DiskStore: the middleware adapter', function () {
  before(function () {
    requireDiskStore(this)
  })

  it('does not write a touch back for a cookie that never expires, unchanged since it was loaded', async function () {
    const store = new session.DiskStore({ path: tempDir('touch-never'), checkPeriod: false })
    const counter = countTouches(store)
    const app = appOn(store)
    const cookie = cookiePair(await request(app).get('/set').expect(200))
    const [id] = Object.keys(await call(store, 'all'))
    const before = await call(store, 'get', id)
    for (let i = 0; i < 3; i++) {
      assert.strictEqual((await request(app).get('/').set('Cookie', cookie).expect(200)).text, '1')
    }
    assert.strictEqual(counter.calls, 0)
    assert.deepStrictEqual(await call(store, 'get', id), before)
  })

  it('writes every touch that moves an expiry: a maxAge cookie, or a store with ttl', async function () {
    for (const [options, cookieOptions] of [[{}, { maxAge: 60000 }], [{ ttl: 60000 }, undefined]]) {
      const store = new session.DiskStore({ path: tempDir('touch-moves'), checkPeriod: false, ...options })
      const counter = countTouches(store)
      const app = appOn(store, cookieOptions)
      const cookie = cookiePair(await request(app).get('/set').expect(200))
      for (let i = 0; i < 3; i++) {
        await sleep(5)
        await request(app).get('/').set('Cookie', cookie).expect(200)
      }
      assert.strictEqual(counter.calls, 3, JSON.stringify(options))
    }
  })

  it('keeps a session touched within its maxAge alive past the first expiry', async function () {
    const store = new session.DiskStore({ path: tempDir('touch-alive'), checkPeriod: false })
    const app = appOn(store, { maxAge: 150 })
    const cookie = cookiePair(await request(app).get('/set').expect(200))
    for (let i = 0; i < 4; i++) {
      await sleep(60)
      assert.strictEqual((await request(app).get('/').set('Cookie', cookie).expect(200)).text, '1', 'read ' + i)
    }
  })

  it('leaves a session it did not change to other writers, though a merge put its keys out of the order JSON.stringify writes', async function () {
    const store = new session.DiskStore({ path: tempDir('index-keys'), checkPeriod: false })
    const app = createApp({
      options: { store },
      handler (req, res) {
        if (req.path === '/setup') {
          req.session.b = 1
          res.end('set up')
          return
        }
        // another writer (another process, in an app) changes the session while this request runs
        store.merge(req.sessionID, { views: 5 }, [], req.session, () => res.end(String(req.session.b)))
      }
    })
    const setup = await request(app).get('/setup').expect(200)
    const id = sessionIdOf(setup)
    // stored now as {"b":1,"7":2}, where parsing and serializing again puts "7" first
    await call(store, 'merge', id, { 7: 2 }, [], await call(store, 'get', id))
    await request(app).get('/').set('Cookie', cookiePair(setup)).expect(200, '1')
    const kept = await call(store, 'get', id)
    assert.deepStrictEqual({ b: kept.b, 7: kept[7], views: kept.views }, { b: 1, 7: 2, views: 5 })
  })

  it('commits the saves of concurrent requests together, each answered once committed', async function () {
    const { store, commits, server } = await appCountingCommits('queued-saves', function handler (req, res) {
      req.session.n = Number(req.url.slice(1))
      res.end('saved')
    })
    const paths = (first) => Array.from({ length: 10 }, (_, i) => '/' + (first + i))
    try {
      await server.round(paths(0))
      commits.calls = 0
      const responses = await server.round(paths(10))
      assert.ok(commits.calls >= 1 && commits.calls < 10, `${commits.calls} commits for 10 saves`)
      assert.deepStrictEqual(responses.map((res) => [res.statusCode, Boolean(res.headers['set-cookie'])]), Array(10).fill([200, true]))
      const stored = Object.values(await call(store, 'all')).map((sess) => sess.n).sort((a, b) => a - b)
      assert.deepStrictEqual(stored, Array.from({ length: 20 }, (_, n) => n))
    } finally {
      server.close()
    }
  })

  it('commits the saves of one session\'s concurrent requests together, each request loading the save before it', async function () {
    const { store, commits, server } = await appCountingCommits('queued-one-session', function handler (req, res) {
      req.session.n = (req.session.n || 0) + 1
      res.end(String(req.session.n))
    })
    try {
      const [first] = await server.round(['/'])
      const cookie = first.headers['set-cookie'][0].split(';')[0]
      const tenTimes = Array(10).fill('/')
      await server.round(tenTimes, cookie)
      commits.calls = 0
      const responses = await server.round(tenTimes, cookie)
      // each request read the count its predecessor saved, still queued in the same turn
      assert.deepStrictEqual(responses.map((res) => Number(res.text)).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => 12 + i))
      assert.ok(commits.calls >= 1 && commits.calls < 10, `${commits.calls} commits for 10 saves of one session`)
      assert.strictEqual((await call(store, 'get', sessionIdOf(first))).n, 21)
      // the reads answered from the queue count as the storage's own reads do
      assert.strictEqual(store.stats().hits, 21)
    } finally {
      server.close()
    }
  })

  // A round of 10 concurrent requests of one session, each saving it, with `store`'s queueSet
  // calls counted; answers the calls, the session as stored and the errors the requests met.
  async function tenSavesOfOneSession (store, refuse) {
    const storage = storageOf(store)
    const queueSet = storage.queueSet
    const handed = { calls: 0 }
    storage.queueSet = function counted (id, cookieJson, dataJson, ...rest) {
      handed.calls++
      if (refuse && refuse(JSON.parse(dataJson))) throw new Error('[ERR_DISK_STORE_IO] DiskStore: cannot write (test)')
      return queueSet.call(this, id, cookieJson, dataJson, ...rest)
    }
    const errors = []
    const { app, saved } = appSavingPathNumbers(store, (err) => errors.push(err.code))
    const server = await listenKeptAlive(app)
    try {
      const [first] = await server.round(['/0'])
      const cookie = cookiePair(first)
      const paths = Array.from({ length: 10 }, (_, i) => '/' + (i + 1))
      // the connections of the counted round are open, so that its requests arrive together
      await server.round(paths.map(() => '/0'), cookie)
      handed.calls = 0
      const responses = await server.round(paths, cookie)
      assert.deepStrictEqual(responses.map((res) => res.statusCode), Array(10).fill(200))
      await sleep(20)
      return { calls: handed.calls, stored: await call(store, 'get', sessionIdOf(first)), lastSaved: saved[saved.length - 1], errors }
    } finally {
      server.close()
    }
  }

  it('hands the storage only the last of the saves of one session queued together', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-replaced'), checkPeriod: false })
    const { calls, stored, lastSaved, errors } = await tenSavesOfOneSession(store)
    assert.ok(calls < 10, calls + ' saves handed over for 10 saves of one session')
    assert.strictEqual(stored.n, lastSaved)
    assert.deepStrictEqual(errors, [])
  })

  it('answers a save replaced by one the storage refused with that error', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-replaced-refused'), checkPeriod: false })
    // every save of the round is refused once handed over; those replaced were never stored either
    const { stored, errors } = await tenSavesOfOneSession(store, (data) => data.n > 0)
    assert.strictEqual(stored.n, 0)
    assert.deepStrictEqual(errors, Array(10).fill('ERR_DISK_STORE_IO'))
  })

  it('hands the storage every save when the store has max, whose evictions depend on them', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-bounded'), checkPeriod: false, max: 100 })
    const { calls, stored, lastSaved, errors } = await tenSavesOfOneSession(store)
    assert.strictEqual(calls, 10)
    assert.strictEqual(stored.n, lastSaved)
    assert.deepStrictEqual(errors, [])
  })

  describe('sessions kept as read or committed', function () {
    // an app on `store` that shows the session's n, and sets it on /set?n= (with `cookie` options)
    function appOf (store, cookie) {
      return createApp({
        options: { store, cookie },
        handler (req, res) {
          if (req.path === '/set') req.session.n = Number(req.query.n)
          res.end(String(req.session.n))
        }
      })
    }

    it('are read again without a load while no other handle commits, and loaded again once one does', async function () {
      const dir = tempDir('kept-sessions')
      const store = new session.DiskStore({ path: dir, checkPeriod: false })
      const other = new session.DiskStore({ path: dir, checkPeriod: false })
      const loads = countCalls(store, 'load')
      const app = appOf(store)
      const first = await request(app).get('/set?n=1').expect(200)
      const cookie = cookiePair(first)
      const id = sessionIdOf(first)
      for (let i = 0; i < 3; i++) await request(app).get('/').set('Cookie', cookie).expect(200, '1')
      assert.ok(loads.calls <= 1, loads.calls + ' loads for 3 reads of one session nothing changed')

      // another handle on the store (another process's, or another thread's) saves it
      const stored = await call(store, 'get', id)
      await call(other, 'set', id, { ...stored, n: 2 })
      loads.calls = 0
      await request(app).get('/').set('Cookie', cookie).expect(200, '2')
      assert.strictEqual(loads.calls, 1)
      // this process's own save is kept as it committed it
      await request(app).get('/set?n=3').set('Cookie', cookie).expect(200, '3')
      loads.calls = 0
      await request(app).get('/').set('Cookie', cookie).expect(200, '3')
      assert.strictEqual(loads.calls, 0)

      await call(other, 'destroy', id)
      await request(app).get('/').set('Cookie', cookie).expect(200, 'undefined')
    })

    it('are all forgotten when this process commits after another handle did', async function () {
      const dir = tempDir('kept-interleaved')
      const store = new session.DiskStore({ path: dir, checkPeriod: false })
      const other = new session.DiskStore({ path: dir, checkPeriod: false })
      // run by the next request, after it loaded its session and before its save is committed
      let meanwhile = null
      const app = createApp({
        options: { store },
        handler (req, res) {
          if (req.path === '/set') req.session.n = Number(req.query.n)
          if (meanwhile !== null) meanwhile()
          meanwhile = null
          res.end(String(req.session.n))
        }
      })
      const one = await request(app).get('/set?n=1').expect(200)
      const two = await request(app).get('/set?n=2').expect(200)
      // both read, and kept
      await request(app).get('/').set('Cookie', cookiePair(one)).expect(200, '1')
      await request(app).get('/').set('Cookie', cookiePair(two)).expect(200, '2')
      // another handle saves the second while this process saves the first
      const stored = await call(store, 'get', sessionIdOf(two))
      meanwhile = () => other.set(sessionIdOf(two), { ...stored, n: 5 })
      await request(app).get('/set?n=9').set('Cookie', cookiePair(one)).expect(200, '9')
      await request(app).get('/').set('Cookie', cookiePair(two)).expect(200, '5')
    })

    it('follow the touches of a maxAge cookie, and are not read past their expiry', async function () {
      const dir = tempDir('kept-touched')
      const store = new session.DiskStore({ path: dir, checkPeriod: false })
      const loads = countCalls(store, 'load')
      const app = appOf(store, { maxAge: 300 })
      const first = await request(app).get('/set?n=1').expect(200)
      const cookie = cookiePair(first)
      for (let i = 0; i < 3; i++) {
        await sleep(100)
        // each read touches the session: it lives 300 ms from here
        await request(app).get('/').set('Cookie', cookie).expect(200, '1')
      }
      assert.ok(loads.calls <= 1, loads.calls + ' loads for 3 reads, each touching the session')
      const expiry = new Date((await call(store, 'get', sessionIdOf(first))).cookie.expires).getTime()
      await sleep(Math.max(0, expiry - Date.now()) + 50)
      await request(app).get('/').set('Cookie', cookie).expect(200, 'undefined')
    })

    it('count as hits in stats()', async function () {
      const store = new session.DiskStore({ path: tempDir('kept-hits'), checkPeriod: false })
      const app = appOf(store)
      const cookie = cookiePair(await request(app).get('/set?n=1').expect(200))
      const before = store.stats().hits
      for (let i = 0; i < 3; i++) await request(app).get('/').set('Cookie', cookie).expect(200, '1')
      assert.strictEqual(store.stats().hits - before, 3)
    })
  })

  it('keeps call order between the writes it queued and the store\'s own callback API', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-order'), checkPeriod: false })
    const app = createApp({
      options: { store },
      handler (req, res) {
        req.session.n = 1
        res.end('saved')
        // the save was queued by res.end; this destroy comes after it in the same turn
        if (req.url === '/then-destroy') store.destroy(req.sessionID)
      }
    })
    const kept = await request(app).get('/').expect(200)
    const destroyed = await request(app).get('/then-destroy').expect(200)
    await sleep(20)
    const stored = await call(store, 'all')
    assert.deepStrictEqual(Object.keys(stored), [sessionIdOf(kept)])
    assert.ok(sessionIdOf(destroyed))
  })

  it('lets a read made after a queued save, in the same turn, see that save', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-reads'), checkPeriod: false })
    // the save was queued by res.end; these reads come after it in the same turn
    const reads = appSavingThen(store, (req) => readsNow(store, req.sessionID))
    await request(reads.app).get('/?n=1').expect(200)
    assert.deepStrictEqual(await reads.last(), { sessions: 1, get: 1, length: 1, all: [1] })

    // Session#reload reads through the store's get too
    const reloading = appSavingThen(store, (req) => new Promise((resolve) => req.session.reload((err) => resolve(err || req.session.n))))
    await request(reloading.app).get('/?n=3').expect(200)
    assert.strictEqual(await reloading.last(), 3)
  })

  it('answers a read made after a queued destroy, or after a queued save that has expired, with no session', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-gone'), checkPeriod: false })
    let read
    const app = createApp({
      options: { store, unset: 'destroy' },
      handler (req, res) {
        const id = req.sessionID
        if (req.url === '/destroy') {
          req.session = null
        } else {
          req.session.n = 1
          if (req.url === '/expired') req.session.cookie.expires = new Date(Date.now() - 1000)
        }
        res.end('done')
        // in the same turn as the write the response's end queued
        read = call(store, 'get', id).then((sess) => sess && sess.n)
      }
    })
    const saved = await request(app).get('/').expect(200)
    assert.strictEqual(await read, 1)
    await request(app).get('/destroy').set('Cookie', cookiePair(saved)).expect(200)
    assert.strictEqual(await read, undefined)
    const expired = await request(app).get('/expired').expect(200)
    assert.strictEqual(await read, undefined)
    // as the storage answers once those writes are committed
    assert.strictEqual(await call(store, 'get', sessionIdOf(saved)), undefined)
    assert.strictEqual(await call(store, 'get', sessionIdOf(expired)), undefined)
    // hits: the first read, and the load of the session by the request that destroys it
    assert.deepStrictEqual([store.stats().hits, store.stats().misses], [2, 4])
  })

  it('hands a write the storage refused at the commit to its own request only', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-refused'), checkPeriod: false })
    const storage = storageOf(store)
    const queueSet = storage.queueSet
    let refusedId
    storage.queueSet = function refusing (id, ...args) {
      if (id === refusedId) throw new Error('[ERR_DISK_STORE_IO] DiskStore: cannot write (test)')
      return queueSet.call(this, id, ...args)
    }
    const errors = []
    const app = createApp({
      options: { store },
      handler (req, res) {
        req.session.n = 1
        if (req.url === '/refused') refusedId = req.sessionID
        res.end('saved')
      },
      onError (err) {
        errors.push(err.code)
      }
    })
    const [kept] = await Promise.all([request(app).get('/kept').expect(200), request(app).get('/refused').expect(200)])
    await sleep(20)
    // one error, for the one request whose write was refused; the other's save was committed
    assert.deepStrictEqual(errors, ['ERR_DISK_STORE_IO'])
    assert.deepStrictEqual(Object.keys(await call(store, 'all')), [sessionIdOf(kept)])
  })

  it('hands a failed commit to every request whose write it held, through next(err)', async function () {
    const store = new session.DiskStore({ path: tempDir('queued-failure'), checkPeriod: false })
    const storage = storageOf(store)
    storage.commitQueued = function failingCommit () {
      throw new Error('[ERR_DISK_STORE_IO] DiskStore: cannot write (test)')
    }
    const errors = []
    const app = createApp({
      options: { store },
      handler (req, res) {
        req.session.n = 1
        res.end('saved')
      },
      onError (err) {
        errors.push(err.code)
      }
    })
    // as with express-session, the response of a request whose save fails at its end still goes
    // out; the error goes to next(err)
    await Promise.all([1, 2, 3].map(() => request(app).get('/').expect(200)))
    await sleep(20)
    assert.deepStrictEqual(errors, ['ERR_DISK_STORE_IO', 'ERR_DISK_STORE_IO', 'ERR_DISK_STORE_IO'])
    assert.deepStrictEqual(Object.keys(await call(store, 'all')), [])
  })
})
