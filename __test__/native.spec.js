'use strict'

// The primitives of both cores, the Rust addon and the JavaScript fallback, against the npm packages
// whose results they must reproduce, on fixed edge cases and on a few thousand generated inputs
// (seeded, so a failure repeats). The addon's specs need it built; the fallback's always run.

const assert = require('assert')
const cookie = require('cookie')
const signature = require('cookie-signature')
const { cores } = require('./support/cores')
const seededRandom = require('./support/seeded-random')

const alphabet = ['a', 'b', 'sid', '=', ';', ' ', '\t', '"', '%', '%2', '%41', '%E2%82%AC', '%zz', 's:', '.', 'é', '€', ',']
function randomText (random, parts) {
  let text = ''
  const count = Math.floor(random() * parts)
  for (let i = 0; i < count; i++) text += alphabet[Math.floor(random() * alphabet.length)]
  return text
}

for (const [label, load] of cores) {
  describe(`${label} primitives`, function () {
    const secrets = ['first secret', 'second secret']
    let core
    let codec

    before(function () {
      core = load(this)
      codec = new core.SessionCodec('sid', secrets.map((s) => Buffer.from(s)))
    })

    // what express-session computes with `cookie` and `cookie-signature`
    function expectedId (header) {
      const raw = cookie.parse(header).sid
      if (!raw || raw.slice(0, 2) !== 's:') return null
      for (const secret of secrets) {
        const id = signature.unsign(raw.slice(2), secret)
        if (id !== false) return id
      }
      return null
    }

    it('reads the session ID exactly as cookie.parse + cookie-signature do', function () {
      const random = seededRandom(42)
      for (let i = 0; i < 5000; i++) {
        let header = randomText(random, 12)
        if (random() < 0.3) header += '; sid=' + encodeURIComponent('s:' + signature.sign(randomText(random, 4), secrets[i % 2]))
        if (random() < 0.2) header = 'sid=s%3A' + randomText(random, 6) + ';' + header
        assert.strictEqual(codec.readSessionId(header), expectedId(header), JSON.stringify(header))
      }
    })

    it('parses edge cases like the cookie package', function () {
      const valid = encodeURIComponent('s:' + signature.sign('abc', secrets[1]))
      for (const header of ['', '=', 'sid', 'sid=', `sid=${valid}`, `sid="${valid}"`, ` sid = ${valid} `, `x; sid=${valid}`, `sid=bad; sid=${valid}`, `sid=${valid}; sid=bad`, `a=1;sid=${valid};b=2`, `sid=${valid}%`]) {
        assert.strictEqual(codec.readSessionId(header), expectedId(header), JSON.stringify(header))
      }
    })

    it('signs with the first secret and unsigns with any, like cookie-signature', function () {
      const random = seededRandom(7)
      for (let i = 0; i < 2000; i++) {
        const value = randomText(random, 8)
        const signed = signature.sign(value, secrets[0])
        assert.strictEqual(codec.setCookieHeader(value, null, null, null, false, false, false, null, null), cookie.serialize('sid', 's:' + signed))
        assert.strictEqual(codec.unsign(signed), value)
        assert.strictEqual(codec.unsign(signature.sign(value, secrets[1])), value)
        assert.strictEqual(codec.unsign(signature.sign(value, 'another secret')), null)
        assert.strictEqual(codec.unsign(signed.slice(0, -1)), null)
      }
    })

    it('serializes Set-Cookie values like cookie.serialize, errors included', function () {
      const random = seededRandom(99)
      const pick = (list) => list[Math.floor(random() * list.length)]
      for (let i = 0; i < 3000; i++) {
        const name = pick(['sid', 'connect.sid', 'a b', '', 'ok!#$'])
        const value = randomText(random, 6)
        const expires = pick([undefined, 0, 1795000000123, -62198755200000, NaN, 8.64e15 + 1])
        const options = {
          expires: expires === undefined ? undefined : new Date(expires),
          domain: pick([undefined, 'example.com', '.a.b', 'bad domain', '-x.com']),
          path: pick([undefined, '/', '/a/b', '/a;b']),
          httpOnly: random() < 0.5,
          secure: random() < 0.5,
          partitioned: random() < 0.5,
          priority: pick([undefined, 'low', 'MEDIUM', 'High', 'urgent']),
          sameSite: pick([undefined, 'lax', 'Strict', 'none', 'sometimes'])
        }
        let expected
        try { expected = cookie.serialize(name, value, options) } catch (err) { expected = err.message }
        let actual
        try {
          actual = core.serializeCookie(name, value, expires, options.domain, options.path, options.httpOnly, options.secure, options.partitioned, options.priority, options.sameSite)
        } catch (err) { actual = err.message }
        assert.strictEqual(actual, expected, JSON.stringify({ name, value, expires, options }))
      }
    })

    it('writes the cookie of a new ID from the codec like cookie.serialize of its signed value, errors included', function () {
      const random = seededRandom(1207)
      const pick = (list) => list[Math.floor(random() * list.length)]
      const ids = new Set()
      // a few attribute sets, drawn again and again so that a set recurs right after itself, and
      // expiries on both sides of a second's boundary
      const attributeSets = Array.from({ length: 6 }, () => ({
        domain: pick([undefined, 'example.com', 'bad domain']),
        path: pick([undefined, '/', '/a/b']),
        httpOnly: random() < 0.5,
        secure: random() < 0.5,
        partitioned: random() < 0.2,
        priority: pick([undefined, 'low', 'High']),
        sameSite: pick([undefined, 'lax', 'Strict', 'sometimes'])
      }))
      // and each attribute changed alone, between two cookies with the same others
      const base = { domain: undefined, path: '/', httpOnly: true, secure: false, partitioned: false, priority: undefined, sameSite: undefined }
      const oneChanged = [{ domain: 'example.com' }, { path: '/a' }, { httpOnly: false }, { secure: true }, { partitioned: true }, { priority: 'low' }, { sameSite: 'lax' }]
        .flatMap((change) => [base, { ...base, ...change }])
      for (let i = 0; i < 3000 + oneChanged.length; i++) {
        const id = random() < 0.9 || i >= 3000 ? codec.newSessionId() : core.generateSessionId()
        ids.add(id)
        const expires = i >= 3000 ? undefined : pick([undefined, null, 0, 999, 1795000000000, 1795000000999, 1795000001000, -1, NaN])
        const options = { ...(i >= 3000 ? oneChanged[i - 3000] : pick(attributeSets)), expires: expires == null ? undefined : new Date(expires) }
        let expected
        try { expected = cookie.serialize('sid', 's:' + signature.sign(id, secrets[0]), options) } catch (err) { expected = err.message }
        let actual
        try {
          actual = codec.setCookieHeader(id, expires, options.domain, options.path, options.httpOnly, options.secure, options.partitioned, options.priority, options.sameSite)
        } catch (err) { actual = err.message }
        assert.strictEqual(actual, expected, JSON.stringify({ id, expires, options }))
      }
      assert.strictEqual(ids.size, 3000 + oneChanged.length)
      for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{32}$/)
    })

    it('generates unique 32-character base64url IDs', function () {
      const ids = new Set()
      for (let i = 0; i < 10000; i++) ids.add(core.generateSessionId())
      assert.strictEqual(ids.size, 10000)
      for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{32}$/)
    })

    it('turns wrong argument types into exceptions, not crashes', function () {
      assert.throws(() => codec.readSessionId(42))
      assert.throws(() => new core.SessionCodec('sid', []))
      assert.throws(() => core.serializeCookie('a', 'b', 'not a number', null, null, false, false, false, null, null))
      assert.throws(() => core.changedKeys(null, undefined))
      assert.throws(() => new core.NativeMemoryStore().get(7))
    })
  })
}
