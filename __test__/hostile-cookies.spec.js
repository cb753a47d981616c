'use strict'

// Malformed and hostile Cookie headers: each must give a fresh session or the stored one, exactly as
// express-session decides, and never crash the server.

const assert = require('assert')
const signature = require('cookie-signature')
const { createApp, ours, sessionCookie, sessionIdOf, upstream } = require('./support/app')
const { rawGet } = require('./support/raw-request')

const SECRET = 'test secret'
const SID = 'known-session-id'
const signed = (id, secret = SECRET) => 's:' + signature.sign(id, secret)
const VALID = encodeURIComponent(signed(SID))
const MAC = signature.sign(SID, SECRET).slice(SID.length + 1)
const junkPairs = Array.from({ length: 300 }, (_, i) => `junk${i}=${'x'.repeat(20)}`).join('; ')

// [description, Cookie header, outcome] — 'stored' loads the known session, 'new' starts another.
const cases = [
  ['a valid cookie', `connect.sid=${VALID}`, 'stored'],
  ['a valid cookie, not percent-encoded', `connect.sid=${signed(SID)}`, 'stored'],
  ['a valid cookie in double quotes', `connect.sid="${VALID}"`, 'stored'],
  ['blanks and tabs around the pair', ` \t connect.sid \t= \t${VALID} \t`, 'stored'],
  ['no "=" anywhere', 'connect.sid', 'new'],
  ['only semicolons', ';;;;', 'new'],
  ['an empty header value', '', 'new'],
  ['an empty cookie value', 'connect.sid=', 'new'],
  ['a segment without "=" before the cookie', `garbage; connect.sid=${VALID}`, 'stored'],
  ['a bad escape %zz in the value', `connect.sid=${VALID}%zz`, 'new'],
  ['a truncated UTF-8 escape', 'connect.sid=s%3A%E0%A4%A', 'new'],
  ['an escape spelling invalid UTF-8', `connect.sid=s%3A%FF${SID}.${MAC}`, 'new'],
  ['bad escapes in another cookie', `other=%zz%; connect.sid=${VALID}`, 'stored'],
  ['a duplicate: bad first, good second', `connect.sid=s%3Abogus.sig; connect.sid=${VALID}`, 'new'],
  ['a duplicate: good first, bad second', `connect.sid=${VALID}; connect.sid=s%3Abogus.sig`, 'stored'],
  ['the name in another case', `CONNECT.SID=${VALID}`, 'new'],
  ['a wrong signature', `connect.sid=${encodeURIComponent(`s:${SID}.${'A'.repeat(43)}`)}`, 'new'],
  ['an empty signature', `connect.sid=${encodeURIComponent(`s:${SID}.`)}`, 'new'],
  ['a truncated signature', `connect.sid=${VALID.slice(0, -3)}`, 'new'],
  ['a signature with padding added', `connect.sid=${VALID}%3D`, 'new'],
  ['a signature made with another secret', `connect.sid=${encodeURIComponent(signed(SID, 'other secret'))}`, 'new'],
  ['the ID of another session with this signature', `connect.sid=${encodeURIComponent(`s:other-id.${MAC}`)}`, 'new'],
  ['"s:" alone', 'connect.sid=s%3A', 'new'],
  ['no "s:" prefix', `connect.sid=${encodeURIComponent(signature.sign(SID, SECRET))}`, 'new'],
  ['an unsigned bare ID', `connect.sid=${SID}`, 'new'],
  ['no dot in the signed value', `connect.sid=s%3A${SID}`, 'new'],
  ['an 8 KB value', `connect.sid=s%3A${'a'.repeat(8192)}.${MAC}`, 'new'],
  ['8 KB of junk pairs before the cookie', `${junkPairs}; connect.sid=${VALID}`, 'stored'],
  ['a thousand tiny cookies', Array.from({ length: 1000 }, (_, i) => `c${i}=${i}`).join(';'), 'new'],
  ['unicode in names and values', `имя=значение; 名前=値; connect.sid=${VALID}`, 'stored'],
  ['unicode in the session cookie', `connect.sid=${encodeURIComponent('s:ключ.подпись')}`, 'new'],
  ['percent-encoded unicode signed correctly', `connect.sid=${encodeURIComponent(signed('ключ'))}`, 'new'],
  ['tabs inside another cookie\'s value', `a=x\ty\tz; connect.sid=${VALID}`, 'stored'],
  ['latin-1 bytes in another cookie', `a=\u00e9\u00ff; connect.sid=${VALID}`, 'stored'],
  ['an encoded NUL in the value', `connect.sid=${VALID}%00`, 'new'],
  ['a lone double quote', 'connect.sid="', 'new'],
  ['many equals signs', `connect.sid===${VALID}`, 'new'],
  ['the cookie in a later "Cookie" line joined by node', `a=1; connect.sid=${VALID}; b=2`, 'stored']
]

for (const [label, impl] of [['express-session-rs', ours], ['express-session (oracle)', upstream]]) {
  describe(`hostile Cookie headers against ${label}`, function () {
    let app

    before(function (done) {
      const store = new impl.MemoryStore()
      app = createApp({ impl, options: { store }, handler: (req, res) => res.end(req.session.user || 'anonymous') })
      store.set(SID, { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: 'ann' }, done)
    })

    for (const [description, header, outcome] of cases) {
      it(`${description}: ${outcome === 'stored' ? 'loads the stored session' : 'starts a new session'}`, async function () {
        const res = await rawGet(app, header)
        assert.strictEqual(res.status, 200)
        if (outcome === 'stored') {
          assert.strictEqual(res.text, 'ann')
          assert.strictEqual(sessionCookie(res), undefined)
        } else {
          assert.strictEqual(res.text, 'anonymous')
          assert.notStrictEqual(sessionIdOf(res), SID)
        }
      })
    }

    it('still serves an ordinary request afterwards', async function () {
      const res = await rawGet(app, `connect.sid=${VALID}`)
      assert.deepStrictEqual([res.status, res.text], [200, 'ann'])
    })
  })
}
