'use strict'

// Small builders shared by the specs: an Express app around a session middleware, one listening on
// kept-alive connections, and readers of the Set-Cookie header a response carries.

const express = require('express')
const http = require('http')

const ours = require('../..')
const { storeCall } = require('./stores')
const upstream = require('express-session-upstream')

// An Express app with `impl`'s middleware (ours by default), `options` merged over a test secret,
// an optional `setup(req, res)` run before it, `handler` answering every request, and `onError`
// told of every error that reaches the error handler.
function createApp ({ impl = ours, options = {}, setup, handler, trustProxy, onError } = {}) {
  const app = express()
  if (trustProxy) app.set('trust proxy', true)
  if (setup) {
    app.use(function (req, res, next) {
      setup(req, res)
      next()
    })
  }
  app.use(impl({ secret: 'test secret', resave: false, saveUninitialized: true, ...options }))
  app.use(handler || function (req, res) { res.end('ok') })
  app.use(function (err, req, res, next) {
    if (onError) onError(err)
    if (res.headersSent) return
    res.statusCode = err.status || 500
    res.end('error: ' + err.message)
  })
  return app
}

// The Set-Cookie line for `name`, parsed into { name, value, attributes } (attribute names lower-cased),
// or undefined when the response sets no such cookie.
function sessionCookie (res, name = 'connect.sid') {
  const lines = res.headers['set-cookie'] || []
  const line = lines.find((l) => l.startsWith(name + '='))
  if (!line) return undefined

  const [pair, ...attributeParts] = line.split(/; */)
  const attributes = {}
  for (const part of attributeParts) {
    const eq = part.indexOf('=')
    if (eq === -1) attributes[part.toLowerCase()] = true
    else attributes[part.slice(0, eq).toLowerCase()] = part.slice(eq + 1)
  }
  return { name, value: pair.slice(name.length + 1), attributes, pair }
}

// The `name=value` pair to send back in a Cookie header.
function cookiePair (res, name = 'connect.sid') {
  const cookie = sessionCookie(res, name)
  if (!cookie) throw new Error('response set no ' + name + ' cookie')
  return cookie.pair
}

// The session ID inside a signed cookie value.
function sessionIdOf (res, name = 'connect.sid') {
  const value = decodeURIComponent(sessionCookie(res, name).value)
  return value.slice(2, value.lastIndexOf('.'))
}

// A store's get, as a promise.
function storedSession (store, sid) {
  return storeCall(store, 'get', sid)
}

// An app over `store` whose requests set the session's `n` from the query and end the response,
// which saves the session, then call `afterSave(req)` in the same turn; `last()` is what the last
// such call returned.
function appSavingThen (store, afterSave) {
  let last
  const app = createApp({
    options: { store },
    handler (req, res) {
      req.session.n = Number(req.query.n)
      res.end('saved')
      last = afterSave(req)
    }
  })
  return { app, last: () => last }
}

// `app` listening on kept-alive connections, so that a round's requests, sent at once, are read in
// one turn; `round(paths, cookie)` answers their responses, each with its body as `text`.
async function listenKeptAlive (app) {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 })
  const get = (path, cookie) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.address().port, path, agent, headers: cookie ? { cookie } : {} }, (res) => {
      res.setEncoding('utf8')
      res.text = ''
      res.on('data', (chunk) => { res.text += chunk })
      res.on('end', () => resolve(res))
    }).on('error', reject)
  })
  return {
    round: (paths, cookie) => Promise.all(paths.map((path) => get(path, cookie))),
    close () {
      agent.destroy()
      server.close()
    }
  }
}

// An app on `store` whose requests save the number in their path as the session's n (GET /7: n = 7),
// and the numbers saved, in the order the requests were handled; errors go to `onError`.
function appSavingPathNumbers (store, onError) {
  const saved = []
  const app = createApp({
    options: { store },
    handler (req, res) {
      req.session.n = Number(req.url.slice(1))
      saved.push(req.session.n)
      res.end('saved')
    },
    onError
  })
  return { app, saved }
}

module.exports = { appSavingPathNumbers, appSavingThen, createApp, cookiePair, listenKeptAlive, ours, sessionCookie, sessionIdOf, storedSession, upstream }
