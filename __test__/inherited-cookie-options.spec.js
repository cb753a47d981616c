'use strict'

// Cookie options whose attributes are not the object's own properties: express-session copies
// every enumerable key of the cookie options, inherited ones included, so options built from a
// prototype, or a config object whose attributes are enumerable getters on its prototype, set the
// cookie they describe. Each case goes to both packages, and the Set-Cookie attributes and the
// stored cookie must be the same.

const assert = require('assert')
const request = require('supertest')
const { createApp, ours, sessionCookie, upstream } = require('./support/app')
const { storeCall } = require('./support/stores')

const attributes = { secure: true, sameSite: 'strict', maxAge: 60000, httpOnly: false, domain: 'example.com', path: '/', priority: 'high', partitioned: true }

// Each builder returns a fresh options object holding `attributes` some other way than as own properties.
const builders = {
  'inheriting them from a prototype (Object.create)': () => Object.create({ ...attributes }),
  'with getters on an object-literal prototype': () => {
    const proto = {}
    for (const key of Object.keys(attributes)) {
      Object.defineProperty(proto, key, { enumerable: true, get: () => attributes[key] })
    }
    return Object.create(proto)
  },
  'as an instance of a function whose prototype holds some of them': () => {
    function CookieConfig () { this.maxAge = attributes.maxAge }
    CookieConfig.prototype.secure = true
    CookieConfig.prototype.sameSite = 'strict'
    CookieConfig.prototype.httpOnly = false
    return new CookieConfig()
  },
  // class accessors are not enumerable: neither package sees them
  'as an instance of a class with accessors': () => {
    class CookieConfig {
      get secure () { return true }
      get maxAge () { return 60000 }
    }
    return new CookieConfig()
  },
  'two prototypes deep, own keys overriding inherited ones': () => {
    const base = Object.create({ secure: true, sameSite: 'lax', maxAge: 1000 })
    const options = Object.create(base)
    options.sameSite = 'strict'
    options.maxAge = 60000
    return options
  }
}

function normalized (res) {
  const cookie = sessionCookie(res)
  if (cookie === undefined) return undefined
  const { expires, ...rest } = cookie.attributes
  return { ...rest, expires: expires === undefined ? undefined : 'DATE' }
}

function storedCookie (sess) {
  if (!sess) return sess
  const { expires, originalMaxAge, ...rest } = sess.cookie
  return { ...rest, expires: expires ? 'DATE' : expires, originalMaxAge: typeof originalMaxAge === 'number' ? Math.round(originalMaxAge / 1000) : originalMaxAge }
}

// One request over a trusted HTTPS proxy with `impl`: its Set-Cookie attributes and what the store holds.
async function run (impl, options, handler) {
  const store = new impl.MemoryStore()
  let sid
  const app = createApp({
    impl,
    options: { store, proxy: true, ...options },
    handler (req, res) {
      sid = req.sessionID
      if (handler) handler(req, impl)
      req.session.n = 1
      res.end('ok')
    }
  })
  const res = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200)
  return { setCookie: normalized(res), stored: storedCookie(await storeCall(store, 'get', sid)) }
}

async function compare (makeOptions, handler) {
  const expected = await run(upstream, makeOptions(), handler)
  const actual = await run(ours, makeOptions(), handler)
  assert.deepStrictEqual(actual, expected)
  return actual
}

describe('cookie options that are not own properties, as express-session reads them', function () {
  for (const [title, build] of Object.entries(builders)) {
    describe(title, function () {
      it('given as the cookie option', async function () {
        await compare(() => ({ cookie: build() }))
      })

      it('returned by a cookie function', async function () {
        // express-session takes no function: it gives the function object itself to Cookie, and
        // the function's own keys are none of the attributes. A function's result is compared with
        // express-session given that result as the options object.
        const expected = await run(upstream, { cookie: build() })
        const actual = await run(ours, { cookie: () => build() })
        assert.deepStrictEqual(actual, expected)
      })

      it('given to new Cookie() for req.session.cookie', async function () {
        await compare(() => ({}), (req, impl) => { req.session.cookie = new impl.Cookie(build()) })
      })
    })
  }

  it('an inherited secure: true keeps the cookie off a plain-HTTP response, as a Secure cookie must', async function () {
    for (const impl of [upstream, ours]) {
      const app = createApp({ impl, options: { cookie: Object.create({ secure: true }) } })
      const res = await request(app).get('/').expect(200)
      assert.strictEqual(sessionCookie(res), undefined)
    }
  })

  it('the inherited attributes reach the cookie (the comparison is not between two empty results)', async function () {
    const { setCookie } = await compare(() => ({ cookie: Object.create({ ...attributes }) }))
    assert.deepStrictEqual(setCookie, { secure: true, samesite: 'Strict', domain: 'example.com', path: '/', priority: 'High', partitioned: true, expires: 'DATE' })
  })

  it('new Cookie() lists, serializes and prints the same as express-session\'s for inherited options', function () {
    for (const build of Object.values(builders)) {
      const theirs = new upstream.Cookie(build())
      const mine = new ours.Cookie(build())
      assert.deepStrictEqual(Object.keys(mine), Object.keys(theirs))
      assert.deepStrictEqual(Object.keys(JSON.parse(JSON.stringify(mine))), Object.keys(JSON.parse(JSON.stringify(theirs))))
      assert.strictEqual(mine.serialize('n', 'v').replace(/Expires=[^;]+/, 'E'), theirs.serialize('n', 'v').replace(/Expires=[^;]+/, 'E'))
    }
  })
})
