'use strict'

const assert = require('assert')
const fc = require('fast-check')
const request = require('supertest')
const util = require('util')
const { createApp, ours: session, sessionCookie, upstream } = require('./support/app')
const DeepCookie = require('../session/cookie')

const { Cookie } = session
const UpstreamCookie = upstream.Cookie

// What `fn` returns, or the class and message of what it throws.
function outcome (fn) {
  try {
    return fn()
  } catch (err) {
    return { thrown: err.constructor.name, message: err.message }
  }
}

function keysInOrder (object) {
  const keys = []
  for (const key in object) keys.push(key)
  return keys
}

describe('Cookie', function () {
  it('is what session/cookie exports', function () {
    assert.strictEqual(DeepCookie, Cookie)
  })

  it('defaults to path /, httpOnly, no expiry', function () {
    const c = new Cookie()
    assert.deepStrictEqual(JSON.parse(JSON.stringify(c)), { originalMaxAge: null, expires: null, httpOnly: true, path: '/' })
    assert.strictEqual(c.maxAge, null)
  })

  it('rejects options that are not an object, and ignores a data option', function () {
    assert.throws(() => new Cookie('x'), { name: 'TypeError', message: 'argument options must be a object' })
    assert.strictEqual(new Cookie({ data: { path: '/x' } }).path, '/')
  })

  it('maxAge sets expires and originalMaxAge', function () {
    const c = new Cookie({ maxAge: 10000 })
    // originalMaxAge is read back from the new expiry, so a millisecond may pass in between (as upstream)
    assert.ok(c.originalMaxAge > 9950 && c.originalMaxAge <= 10000, String(c.originalMaxAge))
    assert.ok(c.expires instanceof Date)
    assert.ok(c.maxAge > 9000 && c.maxAge <= 10000)
    c.maxAge = 500
    assert.ok(c.maxAge <= 500 && c.maxAge > 400)
  })

  it('accepts a Date for maxAge and rejects other types', function () {
    const when = new Date(Date.now() + 3000)
    assert.strictEqual(new Cookie({ maxAge: when }).expires, when)
    assert.throws(() => new Cookie({ maxAge: '1000' }), { name: 'TypeError', message: 'maxAge must be a number or Date' })
  })

  it('expires sets an absolute date', function () {
    const when = new Date(Date.now() + 60000)
    const c = new Cookie({ expires: when })
    assert.strictEqual(c.expires, when)
    assert.strictEqual(JSON.parse(JSON.stringify(c)).expires, when.toISOString())
  })

  it('keeps a given originalMaxAge', function () {
    assert.strictEqual(new Cookie({ maxAge: 1000, originalMaxAge: 5000 }).originalMaxAge, 5000)
  })

  it('serializes with its attributes', function () {
    const c = new Cookie({ domain: 'example.com', path: '/p', secure: true, sameSite: true, priority: 'medium', partitioned: true, httpOnly: false })
    assert.strictEqual(c.serialize('n', 'v;'), 'n=v%3B; Domain=example.com; Path=/p; Secure; Partitioned; Priority=Medium; SameSite=Strict')
    assert.throws(() => new Cookie({ expires: new Date(NaN) }).serialize('n', 'v'), { message: 'option expires is invalid' })
    assert.throws(() => new Cookie({ sameSite: 'sometimes' }).serialize('n', 'v'), { message: 'option sameSite is invalid' })
  })

  describe('as express-session\'s', function () {
    it('is a plain constructor function that util.inherits subclasses can call', function () {
      for (const Base of [Cookie, UpstreamCookie]) {
        function SubCookie (options) {
          Base.call(this, options)
          this.kind = 'sub'
        }
        util.inherits(SubCookie, Base)

        const sub = new SubCookie({ maxAge: 60000, domain: 'example.com' })
        assert.ok(sub instanceof Base)
        assert.strictEqual(sub.kind, 'sub')
        assert.strictEqual(sub.domain, 'example.com')
        assert.ok(sub.maxAge > 59000 && sub.maxAge <= 60000)
        assert.match(sub.serialize('n', 'v'), /^n=v; Domain=example\.com; Path=\/; Expires=.+; HttpOnly$/)
      }
    })

    it('lists the same keys, in the same order, with for...in', function () {
      const optionSets = [
        undefined,
        { maxAge: 1000 },
        { expires: new Date(Date.now() + 5000), secure: true, sameSite: 'lax' },
        { path: '/p', domain: 'example.com', httpOnly: false, partitioned: true, priority: 'low', unknown: 1, originalMaxAge: 7 },
        JSON.parse('{"originalMaxAge":null,"expires":"2030-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}')
      ]
      for (const options of optionSets) {
        assert.deepStrictEqual(keysInOrder(new Cookie(options)), keysInOrder(new UpstreamCookie(options)), JSON.stringify(options))
      }
      assert.deepStrictEqual(Object.keys(Cookie.prototype), Object.keys(UpstreamCookie.prototype))
      assert.strictEqual(new Cookie().constructor, new UpstreamCookie().constructor)
    })

    it('throws the same errors from serialize, first problem first', function () {
      const attribute = fc.oneof(
        fc.constantFrom(undefined, null, true, false, '', 0, 1, 'lax', 'Strict', 'NONE', 'low', 'HIGH', 'medium',
          'example.com', '.example.com', 'a b', '/p', '/a;b', '/é', ['lax'], ['high'], { toString: () => 'lax' },
          new Date(0), new Date(NaN), new Date(9e15)),
        fc.string({ maxLength: 3 })
      )
      const options = fc.record({
        domain: attribute,
        path: attribute,
        expires: attribute,
        httpOnly: attribute,
        secure: attribute,
        partitioned: attribute,
        priority: attribute,
        sameSite: attribute
      }, { requiredKeys: [] })
      const name = fc.constantFrom('n', 'connect.sid', 'a b', '', 'é', '\uD800')
      const value = fc.constantFrom('v', 's:id.sig', 'a;b é', '', '\uD800', 'x\uDC00', '\uD83D\uDE00')

      fc.assert(fc.property(options, name, value, function (attributes, n, v) {
        const serialize = (CookieClass) => outcome(() => {
          const cookie = new CookieClass()
          Object.assign(cookie, attributes)
          return cookie.serialize(n, v)
        })
        assert.deepStrictEqual(serialize(Cookie), serialize(UpstreamCookie))
      }), { seed: 20251122, numRuns: 3000 })
    })

    it('rejects sameSite and priority given as anything but a string, as the cookie package does', function () {
      for (const attributes of [{ sameSite: ['lax'] }, { priority: ['high'] }, { sameSite: 1 }, { priority: ['high'], sameSite: ['lax'] }]) {
        const ours = outcome(() => new Cookie(attributes).serialize('n', 'v'))
        assert.strictEqual(ours.thrown, 'TypeError', JSON.stringify(attributes))
        assert.deepStrictEqual(ours, outcome(() => new UpstreamCookie(attributes).serialize('n', 'v')))
      }
    })

    it('throws a URIError for a value with a lone surrogate, unless the name is invalid', function () {
      for (const value of ['\uD800', 'a\uDBFFb', '\uDC00']) {
        assert.deepStrictEqual(outcome(() => new Cookie().serialize('n', value)), { thrown: 'URIError', message: 'URI malformed' })
        assert.deepStrictEqual(outcome(() => new Cookie({ domain: 'a b' }).serialize('n', value)), { thrown: 'URIError', message: 'URI malformed' })
        assert.deepStrictEqual(outcome(() => new Cookie().serialize('a b', value)), { thrown: 'TypeError', message: 'argument name is invalid' })
      }
    })

    it('sends a Set-Cookie validation error to the error handler as a TypeError, like express-session', async function () {
      for (const cookie of [{ sameSite: ['lax'] }, { domain: 'a b', priority: ['x'], sameSite: 'sometimes' }, { domain: 'a b', expires: new Date(NaN) }]) {
        const reported = []
        for (const impl of [session, upstream]) {
          const errors = []
          const app = createApp({ impl, options: { cookie }, onError: (err) => errors.push(err) })
          const res = await request(app).get('/')
          assert.strictEqual(sessionCookie(res), undefined)
          reported.push(errors.map((err) => ({ thrown: err.constructor.name, message: err.message })))
        }
        assert.strictEqual(reported[0].length, 1, JSON.stringify(reported))
        assert.strictEqual(reported[0][0].thrown, 'TypeError')
        assert.deepStrictEqual(reported[0], reported[1])
      }
    })
  })

  describe('built from stored data with a __proto__ key', function () {
    const tampered = '{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/","__proto__":{"domain":"evil.example"}}'

    it('keeps its prototype and takes none of that key\'s attributes', function () {
      const cookie = new Cookie(JSON.parse(tampered.replace('"evil.example"', '"evil.example","secure":true')))
      assert.strictEqual(Object.getPrototypeOf(cookie), Cookie.prototype)
      assert.strictEqual(cookie.domain, undefined)
      assert.strictEqual(cookie.secure, undefined)
      assert.strictEqual(cookie.serialize('n', 'v'), 'n=v; Path=/; HttpOnly')
      assert.deepStrictEqual(JSON.parse(JSON.stringify(cookie)), { originalMaxAge: null, expires: null, httpOnly: true, path: '/' })

      // Accepted difference: express-session's Cookie lets the key replace its prototype, losing
      // serialize, toJSON and data, and inherits the key's attributes.
      const theirs = new UpstreamCookie(JSON.parse(tampered))
      assert.strictEqual(theirs.serialize, undefined)
      assert.strictEqual(theirs.domain, 'evil.example')
    })

    it('never reaches the Set-Cookie header through the middleware', async function () {
      const headers = []
      for (const impl of [session, upstream]) {
        class TamperedStore extends impl.Store {
          get (sid, callback) { callback(null, JSON.parse('{"cookie":' + tampered + ',"n":1}')) }
          set (sid, sess, callback) { callback() }
          destroy (sid, callback) { callback() }
        }
        const app = createApp({
          impl,
          options: { store: new TamperedStore(), rolling: true, genid: () => 'fixed-id' },
          handler: (req, res) => res.end(String(req.session.n))
        })
        const first = await request(app).get('/')
        const res = await request(app).get('/').set('Cookie', sessionCookie(first).pair).expect(200, '1')
        headers.push(sessionCookie(res))
      }
      const [ours, theirs] = headers
      assert.deepStrictEqual(ours.attributes, { path: '/', httponly: true })
      // express-session's cookie, without its prototype, goes out with no attributes at all
      assert.deepStrictEqual(theirs.attributes, {})
      assert.strictEqual(ours.value, theirs.value)
    })
  })
})
