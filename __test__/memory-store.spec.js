'use strict'

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')
const { Worker } = require('worker_threads')
const { ours: session, upstream } = require('./support/app')
const native = require('../addon')
const { kNativeStore } = require('../session/internal')

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
      assert.throws(() => new MemoryStore({ max: 0.5 }), { name: 'TypeError', message: 'MemoryStore max option must be a whole number' })
      assert.throws(() => new MemoryStore({ max: 2.5 }), TypeError)
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

  // the native storage's record layout; the JavaScript fallback keeps each session as text
  ;(session.native ? describe : describe.skip)('compact records (native core only)', function () {
    const { Cookie } = session
    const inAnHour = () => new Date(Date.now() + 3600000)
    const cookies = () => [
      new Cookie(),
      new Cookie({ maxAge: 60000 }),
      new Cookie({ maxAge: 60000, secure: true, sameSite: 'lax', domain: 'example.com', path: '/app', partitioned: true, priority: 'high', httpOnly: false }),
      new Cookie({ maxAge: 1000, sameSite: true }),
      new Cookie({ maxAge: 1000, sameSite: false, secure: false }),
      new Cookie({ expires: new Date('9999-12-31T23:59:59.999Z') }),
      new Cookie({ expires: new Date(8.64e15) }),
      new Cookie({ maxAge: 1000, domain: 'bücher.example', path: '/"quoted"\\\u2028\u0001' }),
      // cookies Cookie#toJSON would not write
      { originalMaxAge: 1.5, expires: null },
      { originalMaxAge: 1e21, expires: inAnHour() },
      { originalMaxAge: '3600000', expires: inAnHour().toISOString() },
      { httpOnly: true, originalMaxAge: 5, expires: inAnHour() },
      { path: '/', extra: [1, 'two', { three: null }] },
      { expires: inAnHour().getTime() },
      { expires: inAnHour().toUTCString() },
      { expires: inAnHour(), secure: 'yes', domain: null },
      {}
    ]

    it('gives every cookie back as express-session\'s MemoryStore does', async function () {
      const ours = new MemoryStore()
      const theirs = new upstream.MemoryStore()
      const list = cookies()
      for (let i = 0; i < list.length; i++) {
        const sess = { cookie: list[i], n: i, user: { name: 'ann' } }
        await call(ours, 'set', 's' + i, sess)
        await call(theirs, 'set', 's' + i, sess)
      }
      for (let i = 0; i < list.length; i++) {
        const id = 's' + i
        assert.strictEqual(ours.sessions[id], theirs.sessions[id], JSON.stringify(list[i]))
        assert.deepStrictEqual(await call(ours, 'get', id), await call(theirs, 'get', id))
      }
    })

    it('keeps the cookie through touch and expires the session with it', async function () {
      const store = new MemoryStore()
      const cookie = new Cookie({ maxAge: 60000, sameSite: 'strict' })
      await call(store, 'set', 'a', { cookie, n: 1 })
      cookie.maxAge = 40
      await call(store, 'touch', 'a', { cookie })
      assert.strictEqual(store.sessions.a, JSON.stringify({ cookie, n: 1 }))
      await sleep(60)
      assert.strictEqual(await call(store, 'get', 'a'), undefined)
    })

    it('holds a typical session in fewer bytes than its ID and JSON take', async function () {
      const store = new MemoryStore()
      let text = 0
      for (let i = 0; i < 1000; i++) {
        const id = native.generateSessionId()
        const sess = { cookie: new Cookie({ maxAge: 3600000 }), user: { id: i, name: 'user' + i }, views: i % 17 }
        text += id.length + JSON.stringify(sess).length
        await call(store, 'set', id, sess)
      }
      const { sessions, bytes } = store.stats()
      assert.strictEqual(sessions, 1000)
      // a slot, the record of ID and data, and the hash table's share; the cookie is not text
      assert.ok(bytes < text * 0.7, `${bytes} bytes for ${text} bytes of ID and JSON`)
    })
  })

  // V8 keeps the pages its young generation grew to under a burst; when the native store hands a
  // peak's memory back, it asks V8 (as moderate memory pressure) to return those too
  ;(session.native ? describe : describe.skip)('handing a peak back to the system (native core only)', function () {
    const script = path.join(__dirname, 'fixtures', 'memory-peak.js')
    const run = (mode) => {
      const child = spawnSync(process.execPath, ['--trace-incremental-marking', script, mode], { encoding: 'utf8', timeout: 60000 })
      assert.strictEqual(child.status, 0, child.stderr)
      const lines = child.stdout.trim().split('\n')
      return {
        pressureCollections: lines.filter((line) => line.includes('[IncrementalMarking] Start (memory pressure)')).length,
        ...JSON.parse(lines.find((line) => line.startsWith('sizes ')).slice('sizes '.length))
      }
    }

    it('asks V8 to shrink its heap when the store compacts after a peak', function () {
      this.timeout(60000)
      const { pressureCollections, before, after } = run('emptied')
      assert.strictEqual(pressureCollections, 1)
      assert.ok(before >= 4 * 1024 * 1024, `the burst grew the new space to ${before} bytes only`)
      assert.ok(after <= before / 2, `new space ${before} bytes before, ${after} after`)
    })

    it('does not while the store keeps most of its peak', function () {
      this.timeout(60000)
      const { pressureCollections, before, after } = run('halved')
      assert.strictEqual(pressureCollections, 0)
      assert.ok(after > before / 2, `new space ${before} bytes before, ${after} after`)
    })
  })

  describe('native merge', function () {
    const cookie = sessionData().cookie
    const cookieJson = JSON.stringify(cookie)

    it('sets and removes top-level keys of a live session, keeping the others', async function () {
      const store = new MemoryStore()
      const storage = store[kNativeStore]
      await call(store, 'set', 'a', sessionData({ cart: [], visits: 5, old: true, 名前: 'x' }))
      const later = Date.now() + 60000
      const laterCookie = { ...cookie, expires: new Date(later).toISOString() }
      assert.strictEqual(storage.merge('a', '{"cart":["book"],"__proto__":{"p":1},"名前":"y"}', ['old'], JSON.stringify(laterCookie), later), true)
      const stored = await call(store, 'get', 'a')
      assert.deepStrictEqual(Object.keys(stored), ['cookie', 'cart', 'visits', '名前', '__proto__'])
      assert.deepStrictEqual(stored.cart, ['book'])
      assert.strictEqual(Object.getPrototypeOf(stored), Object.prototype)
      assert.deepStrictEqual(stored.cookie, laterCookie)
    })

    it('removes keys given as any JavaScript string', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'a', JSON.parse('{"cookie":null,"\\ud800":1,"q\\"k":2,"\\u0001":3,"keep":4}'))
      assert.strictEqual(store[kNativeStore].merge('a', '{}', ['\ud800', 'q"k', '\u0001'], cookieJson), true)
      assert.deepStrictEqual(Object.keys(await call(store, 'get', 'a')), ['cookie', 'keep'])
    })

    it('never brings back a missing, destroyed or expired session', async function () {
      const store = new MemoryStore()
      const storage = store[kNativeStore]
      assert.strictEqual(storage.merge('missing', '{"a":1}', [], cookieJson), false)
      await call(store, 'set', 'destroyed', sessionData())
      await call(store, 'destroy', 'destroyed')
      assert.strictEqual(storage.merge('destroyed', '{"a":1}', [], cookieJson), false)
      await call(store, 'set', 'expired', sessionData({}, inMs(10)))
      await sleep(20)
      assert.strictEqual(storage.merge('expired', '{"a":1}', [], cookieJson, Date.now() + 60000), false)
      assert.strictEqual(await call(store, 'length'), 0)
    })

    it('throws on changes that are not a JSON object, leaving the session as it was', async function () {
      const store = new MemoryStore()
      await call(store, 'set', 'a', sessionData({ n: 1 }))
      assert.throws(() => store[kNativeStore].merge('a', '["n"]', [], cookieJson), /JSON object/)
      assert.deepStrictEqual(await call(store, 'get', 'a'), sessionData({ n: 1 }))
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
