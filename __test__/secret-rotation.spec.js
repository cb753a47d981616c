'use strict'

// Secrets rotated by changing, in place, the array given as the `secret` option. express-session
// reads that array on every request: new cookies are signed with its first secret from then on,
// and cookies signed with any secret still in it are accepted. Each rotation goes to both packages.

const assert = require('assert')
const request = require('supertest')
const signature = require('cookie-signature')
const { createApp, cookiePair, ours, sessionCookie, upstream } = require('./support/app')

const SECRETS = ['first', 'second', 'third', 'fourth']

// Each rotation changes `secrets` (which starts as ['first']) in place.
const rotations = {
  'unshift (rotate in, keep the old one)': (secrets) => secrets.unshift('second'),
  'push (a second accepted secret)': (secrets) => secrets.push('second'),
  'index assignment (replace the only one)': (secrets) => { secrets[0] = 'second' },
  'splice (replace the first, keep it second)': (secrets) => secrets.splice(0, 1, 'second', 'first'),
  'length = 0, then push (start over)': (secrets) => { secrets.length = 0; secrets.push('third', 'fourth') },
  'unshift, then retire the old one with pop': (secrets) => { secrets.unshift('second'); secrets.pop() }
}

// Which of SECRETS signed the session cookie a response set, or null.
function signedWith (res) {
  const cookie = sessionCookie(res)
  if (!cookie) return null
  const value = decodeURIComponent(cookie.value).slice(2)
  return SECRETS.find((secret) => signature.unsign(value, secret) !== false) || null
}

async function run (impl, rotate) {
  const secrets = ['first']
  const app = createApp({
    impl,
    options: { secret: secrets },
    handler (req, res) {
      req.session.n = (req.session.n || 0) + 1
      res.end(String(req.session.n))
    }
  })
  const before = await request(app).get('/').expect(200)
  const oldCookie = cookiePair(before)
  rotate(secrets)
  const old = await request(app).get('/').set('Cookie', oldCookie).expect(200)
  const fresh = await request(app).get('/').expect(200)
  const again = await request(app).get('/').set('Cookie', cookiePair(fresh)).expect(200)
  return {
    signedBefore: signedWith(before),
    // the old cookie's session continues (2) or a new one starts (1), signed with
    oldCookie: [old.text, signedWith(old)],
    newCookie: [fresh.text, signedWith(fresh)],
    newCookieAgain: again.text
  }
}

describe('secrets rotated in the secret array in place, as express-session reads them', function () {
  for (const [title, rotate] of Object.entries(rotations)) {
    it(title, async function () {
      const expected = await run(upstream, rotate)
      const actual = await run(ours, rotate)
      assert.deepStrictEqual(actual, expected)
    })
  }

  it('after unshift, new cookies are signed with the new first secret and old ones still load', async function () {
    const actual = await run(ours, rotations['unshift (rotate in, keep the old one)'])
    assert.deepStrictEqual(actual, { signedBefore: 'first', oldCookie: ['2', null], newCookie: ['1', 'second'], newCookieAgain: '2' })
  })

  it('after the old secret is retired, its cookies start a new session', async function () {
    const actual = await run(ours, rotations['index assignment (replace the only one)'])
    assert.deepStrictEqual(actual.oldCookie, ['1', 'second'])
  })

  it('an array emptied in place reaches the error handler, as the option itself would be refused', async function () {
    const secrets = ['first']
    const errors = []
    const app = createApp({ options: { secret: secrets }, onError: (err) => errors.push(err) })
    await request(app).get('/').expect(200)
    secrets.length = 0
    await request(app).get('/').expect(500)
    assert.strictEqual(errors.length, 1)
    assert.ok(errors[0] instanceof TypeError)
    assert.match(errors[0].message, /secret option array must contain one or more strings/)
  })
})
