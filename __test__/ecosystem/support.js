'use strict'

// Shared by the ecosystem specs: servers found through the environment, request helpers, and a way
// to load a store package against express-session itself instead of this package.

const request = require('supertest')

const session = require('../..')
const upstream = require('express-session-upstream')
const { storeCall } = require('../support/stores')
const { requireWithExpressSession } = require('../support/with-express-session')

const SERVERS = { REDIS_URL: 'a Redis server', DATABASE_URL: 'a PostgreSQL server' }
const skipsTold = new Set()

// The URL of a server a spec needs. Without it the spec fails in CI (where .ci/run starts the
// servers with scripts/services.sh) and is skipped elsewhere, saying why once per server (mocha
// shows each skipped spec as a comma in the dot reporter's line, and counts them as pending).
function requireServer (context, variable) {
  const url = process.env[variable]
  if (url) return url
  if (process.env.CI) {
    throw new Error(variable + ' is not set: CI must start the servers (eval "$(bash scripts/services.sh start)")')
  }
  if (!skipsTold.has(variable)) {
    skipsTold.add(variable)
    console.log(`\n      (expected: the specs that need ${SERVERS[variable] || variable} are skipped, as ${variable} is not set; ` +
      'CI runs them, and so does this run after eval "$(bash scripts/services.sh start)")')
  }
  context.skip()
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// What `store` answers for `sid` through its own get; null when it has nothing (session-file-store
// answers an ENOENT error for a missing file, which express-session also reads as "no session").
function storedSession (store, sid) {
  return storeCall(store, 'get', sid).then((sess) => sess || null, (err) => {
    if (err.code === 'ENOENT') return null
    throw err
  })
}

// Counts the calls the middleware makes to a store's get/set/touch/destroy, without changing them.
function countCalls (store) {
  const calls = { get: 0, set: 0, touch: 0, destroy: 0 }
  for (const method of Object.keys(calls)) {
    const original = store[method]
    store[method] = function counted (...args) {
      calls[method]++
      return original.apply(this, args)
    }
  }
  calls.reset = () => { for (const method of Object.keys(calls)) if (method !== 'reset') calls[method] = 0 }
  return calls
}

// The Set-Cookie line for `name` split into its pair and lower-cased attributes, or undefined.
function setCookie (res, name = 'connect.sid') {
  const line = (res.headers['set-cookie'] || []).find((l) => l.startsWith(name + '='))
  if (!line) return undefined
  const [pair, ...parts] = line.split(/; */)
  const attributes = {}
  for (const part of parts) {
    const eq = part.indexOf('=')
    attributes[(eq === -1 ? part : part.slice(0, eq)).toLowerCase()] = eq === -1 ? true : part.slice(eq + 1)
  }
  return { pair, value: pair.slice(name.length + 1), attributes }
}

// The session ID inside a signed cookie value (s:<id>.<signature>, URI-encoded).
function idOfCookie (value) {
  const decoded = decodeURIComponent(value)
  return decoded.slice(2, decoded.lastIndexOf('.'))
}

// A cookie-holding client of one app: remembers the session cookie each response sets (like a
// browser would) and sends it back. `last` is the last response.
class Client {
  constructor (app, name = 'connect.sid') {
    this.app = app
    this.name = name
    this.cookie = undefined
    this.last = undefined
  }

  get sid () {
    return this.cookie === undefined ? undefined : idOfCookie(this.cookie.slice(this.name.length + 1))
  }

  // The client that talks to `app` with this client's cookie (the same browser, another server).
  on (app) {
    const other = new Client(app, this.name)
    other.cookie = this.cookie
    return other
  }

  async send (method, path, form) {
    let req = request(this.app)[method](path)
    if (this.cookie) req = req.set('Cookie', this.cookie)
    if (form) req = req.type('form').send(form)
    const res = await req
    const cookie = setCookie(res, this.name)
    if (cookie) this.cookie = cookie.pair
    this.last = res
    return res
  }

  get (path) { return this.send('get', path) }
  post (path, form) { return this.send('post', path, form) }
}

module.exports = {
  Client,
  countCalls,
  idOfCookie,
  requireServer,
  requireWithExpressSession,
  session,
  setCookie,
  sleep,
  storedSession,
  upstream
}
