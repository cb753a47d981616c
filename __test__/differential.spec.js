'use strict'

// The same request sequences sent to express-session (the oracle) and to this package, comparing
// status, body, Set-Cookie attributes and what each store holds, with IDs and dates normalized.

const assert = require('assert')
const request = require('supertest')
const { createApp, cookiePair, ours, sessionCookie, sessionIdOf, upstream } = require('./support/app')
const { storeCall } = require('./support/stores')

const handlers = {
  '/': (req, res) => res.end('hello'),
  '/count': (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end('n=' + req.session.n) },
  '/read': (req, res) => res.end('n=' + req.session.n),
  '/regenerate': (req, res) => req.session.regenerate(() => { req.session.fresh = true; res.end('regenerated') }),
  '/destroy': (req, res) => req.session.destroy(() => res.end('destroyed')),
  '/unset': (req, res) => { req.session = null; res.end('unset') },
  '/reload': (req, res) => { req.session.n = 100; req.session.reload((err) => res.end(err ? 'error' : 'n=' + req.session.n)) },
  '/save': (req, res) => { req.session.saved = true; req.session.save(() => res.end('saved')) },
  '/maxage': (req, res) => { req.session.cookie.maxAge = 120000; res.end('long') },
  '/app/page': (req, res) => res.end('inside ' + Boolean(req.session))
}

// Each step: [path, { cookie: 'keep' (send the last session cookie) | 'bad' | 'none', headers }]
const scenarios = [
  ['new visit, saveUninitialized true', {}, [['/'], ['/']]],
  ['new visit, saveUninitialized false', { saveUninitialized: false }, [['/'], ['/count'], ['/count', { cookie: 'keep' }]]],
  ['resave true on an unmodified session', { resave: true }, [['/count'], ['/read', { cookie: 'keep' }]]],
  ['resave false on an unmodified session', { resave: false }, [['/count'], ['/read', { cookie: 'keep' }]]],
  ['returning visit, modified', {}, [['/count'], ['/count', { cookie: 'keep' }], ['/count', { cookie: 'keep' }]]],
  ['rolling with maxAge', { rolling: true, cookie: { maxAge: 60000 } }, [['/count'], ['/read', { cookie: 'keep' }]]],
  ['maxAge, unmodified and modified', { cookie: { maxAge: 60000 } }, [['/count'], ['/read', { cookie: 'keep' }], ['/count', { cookie: 'keep' }]]],
  ['maxAge changed by the handler', {}, [['/count'], ['/maxage', { cookie: 'keep' }]]],
  ['regenerate', {}, [['/count'], ['/regenerate', { cookie: 'keep' }], ['/read', { cookie: 'keep' }]]],
  ['destroy', {}, [['/count'], ['/destroy', { cookie: 'keep' }], ['/read', { cookie: 'keep' }]]],
  ['unset destroy', { unset: 'destroy' }, [['/count'], ['/unset', { cookie: 'keep' }]]],
  ['unset keep', { unset: 'keep' }, [['/count'], ['/unset', { cookie: 'keep' }]]],
  ['reload', {}, [['/count'], ['/reload', { cookie: 'keep' }]]],
  ['save then end', { saveUninitialized: false }, [['/save'], ['/save', { cookie: 'keep' }]]],
  ['bad signature', {}, [['/count'], ['/count', { cookie: 'bad' }]]],
  ['cookie for another path', { cookie: { path: '/app' } }, [['/'], ['/app/page'], ['/app/page', { cookie: 'keep' }]]],
  ['secure auto over plain http', { cookie: { secure: 'auto' } }, [['/count']]],
  ['secure auto behind a trusted proxy', { proxy: true, cookie: { secure: 'auto' } }, [['/count', { headers: { 'X-Forwarded-Proto': 'https' } }]]],
  ['secure true over plain http', { cookie: { secure: true } }, [['/count'], ['/count']]],
  ['sameSite auto', { proxy: true, cookie: { sameSite: 'auto' } }, [['/count'], ['/count', { headers: { 'X-Forwarded-Proto': 'https' } }]]],
  ['every cookie attribute', { cookie: { domain: 'example.com', httpOnly: false, partitioned: true, priority: 'low', sameSite: 'none', secure: false, maxAge: 60000 } }, [['/count']]],
  ['cookie as a function', { cookie: (req) => ({ path: '/', maxAge: req.url.length * 1000 }) }, [['/count'], ['/count', { cookie: 'keep' }]]],
  ['secret rotation', { secret: ['second', 'test secret'] }, [['/count'], ['/count', { cookie: 'keep' }]]],
  ['custom name', { name: 'my.sid' }, [['/count'], ['/count', { cookie: 'keep' }]]]
]

// Dates become a placeholder; originalMaxAge is read back from a fresh expiry in both packages and
// can come out a millisecond short, so it is compared in whole seconds.
function normalizeTimes (key, value) {
  if (key === 'expires' && value) return 'DATE'
  if (key === 'originalMaxAge' && typeof value === 'number') return Math.round(value / 1000) * 1000
  return value
}

async function run (impl, options, steps) {
  const store = new impl.MemoryStore()
  const name = options.name || 'connect.sid'
  const app = createApp({ impl, options: { store, ...options }, handler: (req, res) => (handlers[req.path] || handlers['/'])(req, res) })
  const ids = []
  const alias = (id) => { if (!ids.includes(id)) ids.push(id); return 'ID' + ids.indexOf(id) }
  const results = []
  let last

  for (const [path, { cookie = 'none', headers = {} } = {}] of steps) {
    let req = request(app).get(path)
    for (const [k, v] of Object.entries(headers)) req = req.set(k, v)
    if (cookie === 'keep' && last) req = req.set('Cookie', last)
    if (cookie === 'bad') req = req.set('Cookie', `${name}=s%3Aforged.AAAA`)
    const res = await req
    const set = sessionCookie(res, name)
    if (set) last = cookiePair(res, name)

    const all = await storeCall(store, 'all')
    const stored = {}
    for (const [id, sess] of Object.entries(all)) {
      stored[alias(id)] = JSON.parse(JSON.stringify(sess, normalizeTimes))
    }
    results.push({
      status: res.status,
      body: res.text,
      cookie: set && { id: alias(sessionIdOf(res, name)), ...set.attributes, expires: set.attributes.expires ? 'DATE' : undefined },
      stored
    })
  }
  return results
}

describe('differential: express-session-rs against express-session', function () {
  for (const [title, options, steps] of scenarios) {
    it(title, async function () {
      const expected = await run(upstream, options, steps)
      const actual = await run(ours, options, steps)
      assert.deepStrictEqual(actual, expected)
    })
  }

  it('wire compatible: cookies and stored sessions move between the packages both ways', async function () {
    const store = new ours.MemoryStore()
    const options = { store, cookie: { maxAge: 60000 } }
    const theirs = createApp({ impl: upstream, options, handler: handlers['/count'] })
    const mine = createApp({ impl: ours, options, handler: handlers['/count'] })
    const first = await request(theirs).get('/').expect(200, 'n=1')
    await request(mine).get('/').set('Cookie', cookiePair(first)).expect(200, 'n=2')
    await request(theirs).get('/').set('Cookie', cookiePair(first)).expect(200, 'n=3')
    const second = await request(mine).get('/').expect(200, 'n=1')
    await request(theirs).get('/').set('Cookie', cookiePair(second)).expect(200, 'n=2')
    for (const res of [first, second]) assert.match(sessionIdOf(res), /^[A-Za-z0-9_-]{32}$/)
  })
})
