'use strict'

// Building blocks of the property-based differential spec: generators of middleware options and of
// request sequences, an app that is the same for both packages, and a runner that sends each
// request to the express-session app and then to ours and records what each answered and stored.

const express = require('express')
const fc = require('fast-check')
const http = require('http')
const signature = require('cookie-signature')

const SECRET = 'property secret'
// the session ID a `reassign` step gives req.sessionID
const REASSIGNED_ID = 'reassigned'
// a signed cookie for an ID neither store ever held
const UNKNOWN_ID = 'never-issued'

// ---- generators -------------------------------------------------------------------------------

const maybe = (arbitrary) => fc.option(arbitrary, { nil: undefined })

const cookieOptionsArbitrary = fc.record({
  maxAge: maybe(fc.constantFrom(60000, 3600000, -60000)),
  expires: maybe(fc.constantFrom('in a day', 'in the past')),
  secure: maybe(fc.constantFrom(true, false, 'auto')),
  sameSite: maybe(fc.constantFrom(true, false, 'lax', 'strict', 'none', 'auto')),
  path: maybe(fc.constantFrom('/', '/app')),
  httpOnly: maybe(fc.boolean()),
  domain: maybe(fc.constantFrom('example.com', '.example.com')),
  priority: maybe(fc.constantFrom('low', 'high')),
  partitioned: maybe(fc.boolean())
}, { requiredKeys: [] })

const optionsArbitrary = fc.record({
  resave: maybe(fc.boolean()),
  saveUninitialized: maybe(fc.boolean()),
  rolling: maybe(fc.boolean()),
  unset: maybe(fc.constantFrom('keep', 'destroy')),
  proxy: maybe(fc.boolean()),
  trustProxy: fc.boolean(),
  name: maybe(fc.constantFrom('connect.sid', 'app.sid')),
  // the IDs genid hands out, in order, before falling back to numbered ones; repeats are allowed,
  // and so are IDs with a lone surrogate (stored under their own key, their cookie a URIError)
  genidSequence: fc.array(fc.constantFrom('id-a', 'id-b', 'id-c', 'id-\uD800', 'id-\uDBFF'), { maxLength: 4 }),
  cookie: cookieOptionsArbitrary,
  // the cookie options given as they are, or by a function of the request, which may also look at
  // req.session (it answers a longer maxAge when there is one)
  cookieForm: fc.constantFrom('object', 'function', 'function reading req.session'),
  // the package's MemoryStore, or a store written in JS calling back later or at once
  store: fc.constantFrom('memory', 'async', 'sync')
})

const actionArbitrary = fc.oneof(
  fc.constantFrom('view', 'modify', 'regenerate', 'destroy', 'unset', 'save', 'reload', 'reassign').map((name) => ({ name })),
  fc.record({ name: fc.constant('maxAge'), value: fc.constantFrom(null, 60000, 7200000, -60000) }),
  fc.record({ name: fc.constant('expires'), value: fc.constantFrom(null, 60000, 7200000, -60000) })
)

const stepArbitrary = fc.record({
  action: actionArbitrary,
  under: fc.constantFrom('/', '/app/'),
  forwardedHttps: fc.boolean(),
  // which cookie the request carries: none, the latest one set, an earlier one, or a forged one
  cookie: fc.oneof(
    { weight: 4, arbitrary: fc.constant({ from: 'latest' }) },
    { weight: 1, arbitrary: fc.constant({ from: 'none' }) },
    { weight: 1, arbitrary: fc.nat(5).map((back) => ({ from: 'earlier', back })) },
    { weight: 1, arbitrary: fc.constant({ from: 'tampered' }) },
    { weight: 1, arbitrary: fc.constant({ from: 'unknown' }) }
  )
})

const scenarioArbitrary = fc.record({
  options: optionsArbitrary,
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 7 })
})

// ---- stores -----------------------------------------------------------------------------------

// A store kept in a Map of JSON strings, built on `impl`'s Store so each package gets its own, that
// calls back on a later turn (`async`) or before returning (`sync`). Like the MemoryStores, it never
// answers an expired session and its touch replaces only the cookie.
function createMapStore (impl, timing) {
  const callBack = timing === 'async' ? (fn, ...args) => setImmediate(fn, ...args) : (fn, ...args) => fn(...args)
  const isLive = (sess) => !(sess.cookie && sess.cookie.expires && new Date(sess.cookie.expires) <= Date.now())

  class MapStore extends impl.Store {
    constructor () {
      super()
      this.map = new Map()
    }

    get (sid, callback) {
      const json = this.map.get(sid)
      const sess = json === undefined ? undefined : JSON.parse(json)
      callBack(callback, null, sess !== undefined && isLive(sess) ? sess : undefined)
    }

    set (sid, sess, callback) {
      this.map.set(sid, JSON.stringify(sess))
      callBack(callback || noop, null)
    }

    touch (sid, sess, callback) {
      const json = this.map.get(sid)
      if (json !== undefined) this.map.set(sid, JSON.stringify({ ...JSON.parse(json), cookie: sess.cookie }))
      callBack(callback || noop, null)
    }

    destroy (sid, callback) {
      this.map.delete(sid)
      callBack(callback || noop, null)
    }

    all (callback) {
      const all = {}
      for (const [sid, json] of this.map) {
        const sess = JSON.parse(json)
        if (isLive(sess)) all[sid] = sess
      }
      callBack(callback, null, all)
    }
  }

  return new MapStore()
}

function createStore (impl, kind) {
  return kind === 'memory' ? new impl.MemoryStore() : createMapStore(impl, kind)
}

function noop () {}

// ---- the app ----------------------------------------------------------------------------------

// The cookie options of a scenario, with its expires made a Date, and a longer maxAge for a cookie
// function that found a session on the request.
function cookieOptions (generated, sawSession) {
  const cookie = { ...generated }
  if (sawSession) cookie.maxAge = 7200000
  if (cookie.expires === 'in a day') cookie.expires = new Date(Date.now() + 86400000)
  if (cookie.expires === 'in the past') cookie.expires = new Date(Date.now() - 86400000)
  if (cookie.expires === undefined) delete cookie.expires
  return cookie
}

// The middleware options of a scenario; every call gives fresh objects and a fresh genid sequence.
function middlewareOptions (options, store) {
  const sequence = options.genidSequence.slice()
  let generated = 0
  const result = {
    secret: SECRET,
    store,
    cookie: options.cookieForm === 'object'
      ? cookieOptions(options.cookie, false)
      : (req) => cookieOptions(options.cookie, options.cookieForm === 'function reading req.session' && Boolean(req.session)),
    genid: () => (sequence.length !== 0 ? sequence.shift() : 'gen-' + ++generated)
  }
  for (const key of ['resave', 'saveUninitialized', 'rolling', 'unset', 'proxy', 'name']) {
    if (options[key] !== undefined) result[key] = options[key]
  }
  return result
}

// The session as the handlers report it: no times, which differ between two runs by a few ms.
function view (req) {
  const sess = req.session
  return {
    sessionID: req.sessionID,
    id: sess ? sess.id : null,
    data: sess ? Object.keys(sess).filter((key) => key !== 'cookie').map((key) => [key, sess[key]]) : null
  }
}

function handle (req, res, next) {
  const [name, value] = decodeURIComponent(req.path.slice(req.path.lastIndexOf('/') + 1)).split(':')
  const sess = req.session
  const reply = () => res.json(view(req))
  if (!sess) return res.json({ noSession: true, ...view(req) })

  switch (name) {
    case 'view':
      return reply()
    case 'modify':
      sess.n = (sess.n || 0) + 1
      return reply()
    case 'regenerate':
      return sess.regenerate((err) => {
        if (err) return next(err)
        req.session.fresh = true
        reply()
      })
    case 'destroy':
      return sess.destroy((err) => (err ? next(err) : res.json({ destroyed: true, ...view(req) })))
    case 'unset':
      req.session = null
      return reply()
    case 'save':
      sess.saved = (sess.saved || 0) + 1
      return sess.save((err) => (err ? next(err) : reply()))
    case 'reload':
      sess.n = 999
      return sess.reload((err) => res.json({ reloadError: err ? err.message : null, ...view(req) }))
    case 'reassign':
      req.sessionID = REASSIGNED_ID
      sess.n = (sess.n || 0) + 1
      return reply()
    case 'maxAge':
      sess.cookie.maxAge = value === 'null' ? null : Number(value)
      return reply()
    case 'expires':
      sess.cookie.expires = value === 'null' ? null : new Date(Date.now() + Number(value))
      return reply()
    default:
      return next(new Error('unknown action ' + name))
  }
}

function createApp (impl, options, store) {
  const app = express()
  if (options.trustProxy) app.set('trust proxy', true)
  app.use(impl(middlewareOptions(options, store)))
  app.use(handle)
  app.use(function onError (err, req, res, next) {
    if (res.headersSent) return
    res.statusCode = 500
    res.end('error: ' + err.message)
  })
  return app
}

// ---- comparing --------------------------------------------------------------------------------

// Two runs read the clock milliseconds apart, and Expires has whole seconds.
const TIME_TOLERANCE_MS = 2000
const TIMED_KEYS = new Set(['expires', 'originalMaxAge'])

// A Set-Cookie line as { name, value, attributes }, attribute names lower-cased, Expires in ms.
function parseSetCookie (line) {
  const [pair, ...parts] = line.split(/; */)
  const eq = pair.indexOf('=')
  const attributes = {}
  for (const part of parts) {
    const at = part.indexOf('=')
    const key = (at === -1 ? part : part.slice(0, at)).toLowerCase()
    attributes[key] = at === -1 ? true : part.slice(at + 1)
  }
  if (typeof attributes.expires === 'string') attributes.expires = Date.parse(attributes.expires)
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes }
}

function asTime (value) {
  if (typeof value === 'number') return value
  if (typeof value === 'string') return Date.parse(value)
  return NaN
}

// Where `actual` first differs from `expected` (a path and both values), or null. Times under
// the keys expires and originalMaxAge may differ by TIME_TOLERANCE_MS.
function firstDifference (actual, expected, path) {
  if (TIMED_KEYS.has(path.slice(path.lastIndexOf('.') + 1))) {
    const a = asTime(actual)
    const b = asTime(expected)
    if (Number.isFinite(a) && Number.isFinite(b) && (typeof actual === typeof expected)) {
      return Math.abs(a - b) <= TIME_TOLERANCE_MS ? null : { path, actual, expected }
    }
  }

  if (actual === null || expected === null || typeof actual !== 'object' || typeof expected !== 'object') {
    return Object.is(actual, expected) ? null : { path, actual, expected }
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) return { path, actual, expected }

  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)])
  for (const key of keys) {
    if (!(key in actual) || !(key in expected)) {
      return { path: path + '.' + key, actual: actual[key], expected: expected[key] }
    }
    const difference = firstDifference(actual[key], expected[key], path + '.' + key)
    if (difference !== null) return difference
  }
  return null
}

// Status, body, every Set-Cookie line and the store's contents, compared.
function compareOutcomes (actual, expected) {
  const shape = (outcome) => ({
    status: outcome.status,
    body: outcome.body,
    setCookie: outcome.setCookie.map(parseSetCookie),
    stored: outcome.stored
  })
  return firstDifference(shape(actual), shape(expected), 'outcome')
}

// ---- running ----------------------------------------------------------------------------------

// One server per package for the whole spec; each run points it at that run's app.
function startServer () {
  const server = http.createServer((req, res) => server.app(req, res))
  server.agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

function stopServer (server) {
  server.agent.destroy()
  return new Promise((resolve) => server.close(resolve))
}

function send (server, path, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.address().port, path, headers, agent: server.agent }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, setCookie: res.headers['set-cookie'] || [], body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

function allSessions (store) {
  return new Promise((resolve, reject) => store.all((err, all) => (err ? reject(err) : resolve(JSON.parse(JSON.stringify(all))))))
}

function pathOf (step) {
  const { name, value } = step.action
  return step.under + encodeURIComponent(value === undefined ? name : name + ':' + value)
}

// The `name=value` pair of the session cookie among Set-Cookie lines, if one was set.
function sessionPair (setCookie, name) {
  const line = setCookie.find((l) => l.startsWith(name + '='))
  return line && line.split(';')[0]
}

function signedPair (name, id) {
  return name + '=' + encodeURIComponent('s:' + signature.sign(id, SECRET))
}

// The Cookie header a step sends, picked from the pairs this run was given so far.
function cookieHeader (step, given, name) {
  const latest = given[given.length - 1]
  switch (step.cookie.from) {
    case 'latest':
      return latest
    case 'earlier':
      return given[Math.max(0, given.length - 1 - step.cookie.back)]
    case 'tampered':
      // the signature of the latest cookie with its last character changed
      return latest && latest.slice(0, -1) + (latest.endsWith('A') ? 'B' : 'A')
    case 'unknown':
      return signedPair(name, UNKNOWN_ID)
    default:
      return undefined
  }
}

// One package's side of a run.
class Side {
  constructor (impl, server, options) {
    this.store = createStore(impl, options.store)
    this.name = options.name || 'connect.sid'
    this.given = []
    this.server = server
    server.app = createApp(impl, options, this.store)
  }

  async request (step) {
    const headers = {}
    const cookie = cookieHeader(step, this.given, this.name)
    if (cookie) headers.cookie = cookie
    if (step.forwardedHttps) headers['x-forwarded-proto'] = 'https'

    const res = await send(this.server, pathOf(step), headers)
    const pair = sessionPair(res.setCookie, this.name)
    if (pair) this.given.push(pair)
    return { status: res.status, body: res.body, setCookie: res.setCookie, stored: await allSessions(this.store) }
  }
}

// Sends the scenario's requests to both packages, one step at a time, express-session first, so
// that clock readings on the two sides stay milliseconds apart. Answers the first step whose
// outcomes differ, or null.
async function runScenario (scenario, servers, ours, upstream) {
  const theirs = new Side(upstream, servers.upstream, scenario.options)
  const mine = new Side(ours, servers.ours, scenario.options)
  for (let i = 0; i < scenario.steps.length; i++) {
    const expected = await theirs.request(scenario.steps[i])
    const actual = await mine.request(scenario.steps[i])
    const difference = compareOutcomes(actual, expected)
    if (difference !== null) return { step: i, difference, actual, expected }
  }
  return null
}

module.exports = {
  REASSIGNED_ID,
  compareOutcomes,
  createMapStore,
  runScenario,
  scenarioArbitrary,
  startServer,
  stopServer,
  pathOf
}
