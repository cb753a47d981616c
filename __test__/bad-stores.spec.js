'use strict'

// Stores that misbehave: they throw, answer with garbage, or call back twice. Each gives the error
// handler a clear error, one response, and no crash; what was saved earlier stays saved.

const assert = require('assert')
const request = require('supertest')
const { createApp, cookiePair } = require('./support/app')
const { MapStore } = require('./support/stores')

function counter (req, res) {
  req.session.n = (req.session.n || 0) + 1
  res.end('n=' + req.session.n)
}

// An app counting responses and the errors that reached its error handler.
function setup (store, options = {}, handler = counter) {
  const seen = { errors: [] }
  const app = createApp({ options: { store, ...options }, handler, onError: (err) => seen.errors.push(err.message) })
  const wrapped = (req, res) => {
    const end = res.end
    let ends = 0
    res.end = function () { ends++; if (ends > 1) seen.doubleEnd = true; return end.apply(this, arguments) }
    app(req, res)
  }
  return { app: wrapped, seen, store }
}

async function withSavedSession (store) {
  const { app } = setup(store)
  const res = await request(app).get('/').expect(200, 'n=1')
  return cookiePair(res)
}

describe('misbehaving stores', function () {
  it('get throwing synchronously gives a 500 with its message', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.get = () => { throw new Error('get exploded') }
    await request(setup(store).app).get('/').set('Cookie', cookie).expect(500, 'error: get exploded')
  })

  it('get answering with a string gives a clear error', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.get = (sid, cb) => cb(null, 'not a session')
    const res = await request(setup(store).app).get('/').set('Cookie', cookie).expect(500)
    assert.match(res.text, /session store returned a string/)
  })

  it('get answering with a number gives a clear error', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.get = (sid, cb) => cb(null, 42)
    await request(setup(store).app).get('/').set('Cookie', cookie).expect(500, /session store returned a number/)
  })

  it('get answering with an object without cookie gives the inflate error', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.get = (sid, cb) => cb(null, { foo: 'bar' })
    await request(setup(store).app).get('/').set('Cookie', cookie).expect(500, /Cannot read prop/)
  })

  it('get calling back twice answers once', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    const get = store.get
    store.get = function (sid, cb) { get.call(this, sid, cb); get.call(this, sid, cb) }
    const { app, seen } = setup(store)
    await request(app).get('/').set('Cookie', cookie).expect(200, 'n=2')
    assert.strictEqual(seen.doubleEnd, undefined)
    assert.deepStrictEqual(seen.errors, [])
  })

  it('get failing with ENOENT means "no session"', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.get = (sid, cb) => cb(Object.assign(new Error('gone'), { code: 'ENOENT' }))
    await request(setup(store).app).get('/').set('Cookie', cookie).expect(200, 'n=1')
  })

  it('set throwing synchronously reaches next(err) after one response, and the earlier save stays', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    const before = [...store.map.values()]
    store.set = () => { throw new Error('set exploded') }
    const { app, seen } = setup(store)
    await request(app).get('/').set('Cookie', cookie).expect(200, 'n=2')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(seen.errors, ['set exploded'])
    assert.strictEqual(seen.doubleEnd, undefined)
    assert.deepStrictEqual([...store.map.values()], before)
  })

  it('set calling back with an error reaches next(err)', async function () {
    const store = new MapStore()
    store.set = (sid, sess, cb) => setImmediate(cb, new Error('disk full'))
    const { app, seen } = setup(store)
    await request(app).get('/').expect(200, 'n=1')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(seen.errors, ['disk full'])
  })

  it('set calling back twice ends the response once', async function () {
    const store = new MapStore()
    const set = store.set
    store.set = function (sid, sess, cb) { set.call(this, sid, sess, cb); setImmediate(cb) }
    const { app, seen } = setup(store)
    await request(app).get('/').expect(200, 'n=1')
    await new Promise((resolve) => setTimeout(resolve, 10))
    assert.strictEqual(seen.doubleEnd, undefined)
    assert.deepStrictEqual(seen.errors, [])
  })

  it('a slow set delays the end of the response until it is done', async function () {
    const store = new MapStore()
    const set = store.set
    let stored = false
    store.set = function (sid, sess, cb) { setTimeout(() => { stored = true; set.call(this, sid, sess, cb) }, 50) }
    const res = await request(setup(store).app).get('/').expect(200, 'n=1')
    assert.strictEqual(stored, true)
    assert.ok(res.headers['set-cookie'])
  })

  it('touch throwing reaches next(err)', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.touch = () => { throw new Error('touch exploded') }
    const { app, seen } = setup(store, {}, (req, res) => res.end('read only'))
    await request(app).get('/').set('Cookie', cookie).expect(200, 'read only')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(seen.errors, ['touch exploded'])
  })

  it('destroy failing reaches next(err) and the response still ends', async function () {
    const store = new MapStore()
    const cookie = await withSavedSession(store)
    store.destroy = (sid, cb) => setImmediate(cb, new Error('cannot destroy'))
    const { app, seen } = setup(store, { unset: 'destroy' }, (req, res) => { req.session = null; res.end('dropped') })
    await request(app).get('/').set('Cookie', cookie).expect(200, 'dropped')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(seen.errors, ['cannot destroy'])
  })
})
