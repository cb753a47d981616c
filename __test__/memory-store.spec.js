'use strict'

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')
const { Worker } = require('worker_threads')
const { ours: session } = require('./support/app')

const { MemoryStore } = session
const { storeCall: call } = require('./support/stores')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const sessionData = (extra = {}, expires = null) => ({ cookie: { originalMaxAge: null, expires, httpOnly: true, path: '/' }, ...extra })
const inMs = (ms) => new Date(Date.now() + ms).toISOString()

describe('MemoryStore', function () {
  describe('callback API', function () {
    it('sets, gets, touches, destroys, lists, counts and clears', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'a', sessionData({ user: 'ann' }))
      await call(store, 'set', 'b', sessionData({ user: 'bob' }))
      assert.deepStrictEqual(await call(store, 'get', 'a'), sessionData({ user: 'ann' }))
      assert.strictEqual(await call(store, 'get', 'missing'), undefined)
      assert.strictEqual(await call(store, 'length'), 2)
      assert.deepStrictEqual(Object.keys(await call(store, 'all')).sort(), ['a', 'b'])

      const later = inMs(60000)
      await call(store, 'touch', 'a', sessionData({ ignored: true }, later))
      assert.deepStrictEqual(await call(store, 'get', 'a'), sessionData({ user: 'ann' }, later))

      await call(store, 'destroy', 'a')
      assert.strictEqual(await call(store, 'get', 'a'), undefined)
      await call(store, 'clear')
      assert.strictEqual(await call(store, 'length'), 0)
    })

    it('calls back asynchronously, like express-session', function (done) {
      const store = new MemoryStore()
      let returned = false
      store.get('x', () => {
        assert.strictEqual(returned, true)
        done()
      })
      returned = true
    })

    it('keeps the JSON shape: cookie.expires as an ISO string', async function () {
      const store = new MemoryStore()
      const expires = new Date(Date.now() + 5000)
      await call(store, 'set', 'a', { cookie: { originalMaxAge: 5000, expires, httpOnly: true, path: '/' }, n: 1 })
      assert.strictEqual((await call(store, 'get', 'a')).cookie.expires, expires.toISOString())
    })

    it('never returns an expired session, and all/length skip them', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'old', sessionData({}, inMs(-1)))
      await call(store, 'set', 'new', sessionData({}, inMs(60000)))
      assert.strictEqual(await call(store, 'get', 'old'), undefined)
      assert.deepStrictEqual(Object.keys(await call(store, 'all')), ['new'])
      assert.strictEqual(await call(store, 'length'), 1)
    })

    it('exposes its sessions as JSON by ID, as the sessions object of the old store did', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'a', sessionData({ n: 1 }))
      assert.deepStrictEqual(JSON.parse(store.sessions.a), sessionData({ n: 1 }))
    })
  })

  describe('options', function () {
    it('rejects invalid numbers', function () {
      for (const name of ['checkPeriod', 'max', 'ttl']) {
        assert.throws(() => new MemoryStore({ [name]: -1 }), { name: 'TypeError', message: `MemoryStore ${name} option must be a positive number` })
        assert.throws(() => new MemoryStore({ [name]: 'x' }), TypeError)
      }
    })

    it('checkPeriod sweeps expired sessions without any store call', async function () {
      const store = new MemoryStore({ checkPeriod: 20 })
      try {
        await call(store, 'set', 'short', sessionData({}, inMs(30)))
        await call(store, 'set', 'long', sessionData({}, inMs(60000)))
        assert.strictEqual(store.stats().sessions, 2)
        await sleep(120)
        const stats = store.stats()
        assert.strictEqual(stats.sessions, 1)
        assert.strictEqual(stats.expirations, 1)
      } finally {
        store.stopInterval()
      }
    })

    it('max evicts the least recently used session', async function () {
      const store = new MemoryStore({ max: 3 })
      for (const id of ['a', 'b', 'c']) await call(store, 'set', id, sessionData())
      await call(store, 'get', 'a')
      await call(store, 'set', 'd', sessionData())
      assert.strictEqual(await call(store, 'get', 'b'), undefined)
      await call(store, 'touch', 'c', sessionData())
      await call(store, 'set', 'e', sessionData())
      assert.strictEqual(await call(store, 'get', 'a'), undefined)
      assert.deepStrictEqual(Object.keys(await call(store, 'all')), ['d', 'c', 'e'])
      assert.strictEqual(store.stats().evictions, 2)
    })

    it('ttl expires sessions whose cookie has no expiry, and touch extends it', async function () {
      const store = new MemoryStore({ ttl: 80 })
      await call(store, 'set', 'a', sessionData())
      await call(store, 'set', 'b', sessionData())
      await sleep(50)
      await call(store, 'touch', 'b', sessionData())
      await sleep(50)
      assert.strictEqual(await call(store, 'get', 'a'), undefined)
      assert.ok(await call(store, 'get', 'b'))
    })

    it('touch extends a cookie expiry', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'a', sessionData({}, inMs(40)))
      await call(store, 'touch', 'a', sessionData({}, inMs(60000)))
      await sleep(60)
      assert.ok(await call(store, 'get', 'a'))
    })
  })

  it('stats counts sessions, bytes, hits, misses, expirations and evictions', async function () {
    const store = new MemoryStore({ max: 1 })
    await call(store, 'set', 'a', sessionData({ user: 'ann' }))
    await call(store, 'get', 'a')
    await call(store, 'get', 'zzz')
    await call(store, 'set', 'b', sessionData({}, inMs(-1)))
    await call(store, 'get', 'b')
    const stats = store.stats()
    assert.deepStrictEqual({ ...stats, bytes: stats.bytes > 0 }, { sessions: 0, bytes: false, hits: 1, misses: 2, expirations: 1, evictions: 1 })
    await call(store, 'set', 'c', sessionData({ user: 'x'.repeat(1000) }))
    assert.ok(store.stats().bytes > 1000)
  })

  it('stores with the same name share sessions across worker threads', async function () {
    const name = 'shared-' + process.pid + '-' + Date.now()
    if (!session.native) {
      // the JavaScript fallback keeps sessions on one thread's heap and says so instead of sharing
      assert.throws(() => new MemoryStore({ name }), { code: 'ERR_NAMED_STORE_NEEDS_NATIVE' })
      return
    }
    const store = new MemoryStore({ name })
    await call(store, 'set', 'from-main', sessionData({ who: 'main' }))
    const worker = new Worker(`
      const { parentPort, workerData } = require('worker_threads')
      const session = require(workerData.pkg)
      const store = new session.MemoryStore({ name: workerData.name })
      store.get('from-main', (err, sess) => {
        store.set('from-worker', { cookie: { originalMaxAge: null, expires: null, path: '/' }, who: 'worker' }, () => {
          parentPort.postMessage(sess && sess.who)
        })
      })
    `, { eval: true, workerData: { pkg: path.resolve(__dirname, '..'), name } })
    const seenByWorker = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
    await worker.terminate()
    assert.strictEqual(seenByWorker, 'main')
    assert.strictEqual((await call(store, 'get', 'from-worker')).who, 'worker')
    const unnamed = new MemoryStore()
    assert.strictEqual(await call(unnamed, 'get', 'from-worker'), undefined)
  })

  it('does not keep the process alive', function () {
    const script = `const s = require(${JSON.stringify(path.resolve(__dirname, '..'))}); new s.MemoryStore({ checkPeriod: 10 }); s({ secret: 'x', resave: false, saveUninitialized: false })`
    const started = Date.now()
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 5000 })
    assert.strictEqual(child.status, 0, String(child.stderr))
    assert.ok(Date.now() - started < 5000)
  })
})
