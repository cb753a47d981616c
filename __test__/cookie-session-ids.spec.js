'use strict'

// Session IDs at the edges of what a signed cookie can carry, sent to both packages: which key the
// store is asked for, which session the request gets, and whether a new one is started.
//
// - The empty ID: a correctly signed `s:.<signature>` names no session in express-session, which
//   starts a new one, rather than the session stored under '' (that one would be shared by every
//   holder of such a cookie).
// - An ID holding a lone UTF-16 surrogate: it cannot come off the wire (headers are Latin-1), but
//   reaches the middleware in-process through req.headers, cookie-parser's req.signedCookies or
//   req.cookies. Its signature is made over UTF-8, where the surrogate reads as U+FFFD, so it
//   verifies; the store must then be asked for the ID as it is, not with U+FFFD in its place.

const assert = require('assert')
const request = require('supertest')
const signature = require('cookie-signature')
const { createApp, ours, upstream } = require('./support/app')
const { MapStore, storeCall } = require('./support/stores')

const SECRET = 'test secret'
const LONE = 'ab\uD800cd'
const REPLACED = 'ab\uFFFDcd'
const signed = (id) => 's:' + signature.sign(id, SECRET)

// The signed value as a Cookie header carries what Set-Cookie sent: percent-encoded, but for a
// lone surrogate, which encodeURIComponent rejects and which is left as it is
function percentEncoded (id) {
  const value = signed(id)
  const dot = value.lastIndexOf('.')
  let encodedId
  try {
    encodedId = encodeURIComponent(id)
  } catch {
    encodedId = id
  }
  return 's%3A' + encodedId + '.' + encodeURIComponent(value.slice(dot + 1))
}

// A session as a store holds it
const stored = (owner) => ({ cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, owner })

// Ways a request carries a session ID, each `(id) => setup(req)`.
const carriers = {
  'the Cookie header': (id) => (req) => { req.headers.cookie = 'connect.sid=' + percentEncoded(id) },
  'an unencoded Cookie header set in-process': (id) => (req) => { req.headers.cookie = 'connect.sid=' + signed(id) },
  'req.signedCookies': (id) => (req) => { req.signedCookies = { 'connect.sid': id } },
  'req.cookies': (id) => (req) => { req.cookies = { 'connect.sid': signed(id) } }
}

// One request with `impl` whose session ID comes from `setup`, over `store` seeded with `seed`:
// the keys the store was asked for, the session the request got, whether it was new.
async function run (impl, makeStore, setup, seed) {
  const store = makeStore(impl)
  for (const [id, sess] of Object.entries(seed)) await storeCall(store, 'set', id, sess)
  const asked = []
  const get = store.get
  store.get = function (sid, callback) {
    asked.push(sid)
    return get.call(this, sid, callback)
  }
  const app = createApp({
    impl,
    options: { store },
    setup,
    handler (req, res) {
      res.json({ owner: req.session.owner || null, sameId: seed[req.sessionID] !== undefined, idLength: req.sessionID.length })
    }
  })
  const res = await request(app).get('/').expect(200)
  return { asked, ...res.body, setCookie: Boolean(res.headers['set-cookie']) }
}

const stores = {
  'the MemoryStore': (impl) => new impl.MemoryStore(),
  'a callback store': () => new MapStore()
}

async function compare (makeStore, setup, seed) {
  const expected = await run(upstream, makeStore, setup, seed)
  const actual = await run(ours, makeStore, setup, seed)
  assert.deepStrictEqual(actual, expected)
  return actual
}

describe('session IDs at the edges of a signed cookie, as express-session reads them', function () {
  for (const [storeLabel, makeStore] of Object.entries(stores)) {
    describe('with ' + storeLabel, function () {
      for (const [carrier, carry] of Object.entries(carriers)) {
        it(`an empty ID in ${carrier} starts a new session instead of loading the one stored under ''`, async function () {
          const actual = await compare(makeStore, carry(''), { '': stored('everyone') })
          assert.deepStrictEqual([actual.owner, actual.setCookie, actual.idLength], [null, true, 32])
        })

        it(`an ID with a lone surrogate in ${carrier} loads the session stored under exactly that ID`, async function () {
          const actual = await compare(makeStore, carry(LONE), { [LONE]: stored('lone'), [REPLACED]: stored('replaced') })
          assert.deepStrictEqual([actual.owner, actual.sameId], ['lone', true])
        })

        it(`an ID with a lone surrogate in ${carrier} is not taken for the ID with U+FFFD in its place`, async function () {
          const actual = await compare(makeStore, carry(LONE), { [REPLACED]: stored('replaced') })
          assert.strictEqual(actual.owner, null)
        })
      }
    })
  }

  it('the store is asked for the ID with its lone surrogate (not a comparison of two wrong answers)', async function () {
    const actual = await run(ours, stores['a callback store'], carriers['the Cookie header'](LONE), {})
    assert.deepStrictEqual(actual.asked, [LONE])
  })
})
