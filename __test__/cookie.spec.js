'use strict'

const assert = require('assert')
const { ours: session } = require('./support/app')
const DeepCookie = require('../session/cookie')

const { Cookie } = session

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
})
