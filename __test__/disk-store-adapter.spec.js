'use strict'

// How the middleware talks to the DiskStore (session/disk.js, DiskStoreAdapter): answered at once,
// and a touch that would change nothing not written.

const assert = require('assert')
const request = require('supertest')
const { createApp, cookiePair, ours: session } = require('./support/app')
const { storeCall: call } = require('./support/stores')
const { requireDiskStore, tempDir } = require('./support/disk-processes')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The DiskStore's storage with its touches counted.
function countTouches (store) {
  const storage = Object.getOwnPropertySymbols(store).map((symbol) => store[symbol])
    .find((value) => value && typeof value.touch === 'function' && typeof value.get === 'function')
  const original = storage.touch
  const counter = { touches: 0 }
  storage.touch = function touch (...args) {
    counter.touches++
    return original.apply(this, args)
  }
  return counter
}

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
    assert.strictEqual(counter.touches, 0)
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
      assert.strictEqual(counter.touches, 3, JSON.stringify(options))
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
})
