'use strict'

// The MemoryStore where code written for express-session's MemoryStore pokes at it: session IDs
// that are not well-formed UTF-16, and the `sessions` object some apps and tests read and seed.
// Every check runs against both stores and compares.

const assert = require('assert')
const fc = require('fast-check')
const request = require('supertest')
const signature = require('cookie-signature')
const { createApp, ours, upstream } = require('./support/app')
const { isWellFormedByPattern } = require('../session/well-formed')

const SECRET = 'test secret'
const implementations = [['ours', ours], ['express-session', upstream]]

const call = (fn) => new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))))
// lets the deferred callbacks of both stores run
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

function plainSession (data) {
  return { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, ...data }
}

// Everything a store tells about its sessions, keys exactly as given back.
async function contentsOf (store) {
  const all = await call((cb) => store.all(cb))
  return {
    ids: Object.keys(all).sort(),
    all: JSON.parse(JSON.stringify(all)),
    length: await call((cb) => store.length(cb)),
    viewIds: Object.keys(store.sessions).sort()
  }
}

// Well-formedness spelled out code unit by code unit, to check the two quicker ways against.
function pairsEverySurrogate (string) {
  for (let i = 0; i < string.length; i++) {
    const unit = string.charCodeAt(i)
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      const next = string.charCodeAt(i + 1)
      if (!(next >= 0xDC00 && next <= 0xDFFF)) return false
      i++
    }
  }
  return true
}

function signedCookie (id) {
  return 'connect.sid=' + encodeURIComponent('s:' + signature.sign(id, SECRET))
}

describe('MemoryStore compatibility', function () {
  describe('session IDs with lone surrogates', function () {
    // two lone high surrogates, a lone low one, U+FFFD itself (what a lone surrogate becomes in UTF-8),
    // and an ID starting with U+FFFF
    const ids = ['\uD800a', '\uDBFFa', 'a\uDC00', '\uFFFDa', '\uFFFFa', 'plain']

    it('stay distinct records that round-trip exactly, as in express-session', async function () {
      const results = []
      for (const [, impl] of implementations) {
        const store = new impl.MemoryStore()
        ids.forEach((id, n) => store.set(id, plainSession({ n })))
        await settle()

        const read = []
        for (const id of ids) read.push(await call((cb) => store.get(id, cb)))
        const before = await contentsOf(store)

        store.touch('\uD800a', plainSession({ n: 'ignored' }))
        store.destroy('\uDBFFa')
        await settle()
        results.push({ read, before, after: await contentsOf(store), gone: await call((cb) => store.get('\uDBFFa', cb)) })
      }

      const [result, upstreamResult] = results
      assert.deepStrictEqual(result, upstreamResult)
      assert.deepStrictEqual(result.read.map((sess) => sess.n), [0, 1, 2, 3, 4, 5])
      assert.deepStrictEqual(result.before.ids, [...ids].sort())
      assert.strictEqual(result.after.length, ids.length - 1)
      assert.strictEqual(result.gone, undefined)
    })

    it('stay distinct when the middleware saves them, with the same error for their cookie', async function () {
      const results = []
      for (const [, impl] of implementations) {
        const store = new impl.MemoryStore()
        const generated = ['\uD800a', '\uDBFFa']
        const errors = []
        const app = createApp({
          impl,
          options: { store, genid: () => generated.shift() },
          handler: (req, res) => { req.session.first = req.sessionID.charCodeAt(0); res.end('ok') },
          onError: (err) => errors.push(err.constructor.name + ': ' + err.message)
        })
        const statuses = []
        for (let i = 0; i < 2; i++) {
          const res = await request(app).get('/')
          statuses.push([res.status, res.headers['set-cookie']])
        }
        await settle()
        results.push({ statuses, errors, contents: await contentsOf(store) })
      }

      assert.deepStrictEqual(results[0], results[1])
      assert.deepStrictEqual(results[0].contents.ids, ['\uD800a', '\uDBFFa'])
      assert.deepStrictEqual(results[0].errors, ['URIError: URI malformed', 'URIError: URI malformed'])
    })

    it('are recognised without String#isWellFormed (Node 18) as with it', function () {
      const codeUnit = fc.oneof(fc.integer({ min: 0xD7F0, max: 0xE00F }), fc.integer({ min: 0, max: 0xFFFF }))
      const text = fc.array(codeUnit, { maxLength: 12 }).map((units) => String.fromCharCode(...units))
      fc.assert(fc.property(text, function (string) {
        const expected = pairsEverySurrogate(string)
        assert.strictEqual(isWellFormedByPattern(string), expected)
        if (typeof string.isWellFormed === 'function') assert.strictEqual(string.isWellFormed(), expected)
      }), { seed: 7, numRuns: 5000 })
    })
  })

  describe('the sessions object', function () {
    it('seeds a session the middleware then serves, as express-session\'s did', async function () {
      const bodies = []
      for (const [, impl] of implementations) {
        const store = new impl.MemoryStore()
        store.sessions.seeded = JSON.stringify(plainSession({ user: 'ann' }))
        const app = createApp({ impl, options: { store }, handler: (req, res) => res.json({ id: req.sessionID, user: req.session.user }) })
        const res = await request(app).get('/').set('Cookie', signedCookie('seeded')).expect(200)
        bodies.push(res.body)
      }
      assert.deepStrictEqual(bodies[0], { id: 'seeded', user: 'ann' })
      assert.deepStrictEqual(bodies[0], bodies[1])
    })

    it('reads, lists, tests and deletes the stored JSON, as express-session\'s did', async function () {
      const results = []
      for (const [, impl] of implementations) {
        const store = new impl.MemoryStore()
        store.set('a', plainSession({ n: 1 }))
        store.set('\uD800b', plainSession({ n: 2 }))
        await settle()

        const view = store.sessions
        const seen = {
          a: JSON.parse(view.a),
          surrogate: JSON.parse(view['\uD800b']),
          missing: view.missing,
          has: ['a' in view, 'missing' in view],
          keys: Object.keys(view).sort(),
          entries: Object.entries(view).sort(),
          json: JSON.parse(JSON.stringify(view))
        }
        delete view.a
        seen.afterDelete = [view.a, await call((cb) => store.get('a', cb)), Object.keys(store.sessions)]
        results.push(seen)
      }
      assert.deepStrictEqual(results[0], results[1])
      assert.deepStrictEqual(results[0].keys, ['a', '\uD800b'])
      assert.deepStrictEqual(results[0].afterDelete, [undefined, undefined, ['\uD800b']])
    })

    it('replaces every session when the property itself is assigned', async function () {
      const results = []
      for (const [, impl] of implementations) {
        const store = new impl.MemoryStore()
        store.set('old', plainSession({ n: 1 }))
        await settle()
        store.sessions = { fresh: JSON.stringify(plainSession({ n: 2 })) }
        const afterReplace = await contentsOf(store)
        const view = store.sessions
        store.sessions = view // the store's own view: read before the store is emptied
        const afterSelf = await contentsOf(store)
        store.sessions = Object.create(null)
        results.push({ afterReplace, afterSelf, afterEmpty: await contentsOf(store) })
      }
      assert.deepStrictEqual(results[0], results[1])
      assert.deepStrictEqual(results[0].afterReplace.ids, ['fresh'])
      assert.deepStrictEqual(results[0].afterSelf, results[0].afterReplace)
      assert.strictEqual(results[0].afterEmpty.length, 0)
    })

    it('refuses at once what express-session\'s store would choke on later', function () {
      const store = new ours.MemoryStore()
      // express-session stores these too, and its get then throws parsing them
      assert.throws(() => { store.sessions.a = { cookie: {} } }, { name: 'TypeError', message: /JSON strings/ })
      assert.throws(() => { store.sessions.a = '{not json' }, SyntaxError)
      assert.throws(() => { store.sessions.a = '42' }, { name: 'TypeError', message: /must be an object/ })
      assert.deepStrictEqual(Object.keys(store.sessions), [])

      // a replacement with one bad entry leaves the sessions as they were
      store.sessions.kept = JSON.stringify(plainSession())
      assert.throws(() => { store.sessions = { good: JSON.stringify(plainSession()), bad: 1 } }, TypeError)
      assert.deepStrictEqual(Object.keys(store.sessions), ['kept'])
    })
  })
})
