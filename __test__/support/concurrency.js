'use strict'

// Concurrent requests on one session: every request loads the session before any of them saves,
// then each changes it and ends after its own delay, so the saves land one after another in a known
// order. This is the lost-update pattern of pages that fire several requests at once.

const express = require('express')
const request = require('supertest')
const { cookiePair } = require('./app')

// Routes of the concurrency apps:
//   /init            sets `base` (and `doomed`) and answers once saved
//   /set?key=&delay= loads, waits until every request has loaded (the `gate`), waits `delay` ms,
//                    sets `key` to its own name (or `value` when given), ends
//   /delete?key=&delay= likewise, deletes `key`
//   /destroy         destroys the session
//   /read            answers the session's data as JSON
function concurrencyRoutes (app, gate) {
  app.get('/init', (req, res, next) => {
    req.session.base = 'kept'
    req.session.doomed = 'here'
    req.session.save((err) => (err ? next(err) : res.end('ok')))
  })
  app.get('/set', (req, res) => gate.then(() => setTimeout(() => {
    req.session[req.query.key] = req.query.value === undefined ? req.query.key : JSON.parse(req.query.value)
    res.end('set')
  }, Number(req.query.delay) || 0)))
  app.get('/delete', (req, res) => gate.then(() => setTimeout(() => {
    delete req.session[req.query.key]
    res.end('deleted')
  }, Number(req.query.delay) || 0)))
  app.get('/destroy', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.end('destroyed'))))
  app.get('/read', (req, res) => {
    const data = { ...req.session }
    delete data.cookie
    res.json(data)
  })
  return app
}

// A promise released once `count` requests have reached their route, and the middleware that counts them.
function loadGate (count) {
  let arrived = 0
  let open
  const gate = new Promise((resolve) => { open = resolve })
  const counter = (req, res, next) => {
    if (req.path === '/set' || req.path === '/delete') {
      if (++arrived === count) open()
    }
    next()
  }
  return { gate, counter }
}

// An app with `impl`'s middleware (options merged over the defaults) whose /set and /delete
// requests wait until `expected` of them have loaded the session.
function concurrencyApp (impl, options, expected = 0) {
  const { gate, counter } = loadGate(expected)
  const app = express()
  app.use(impl({ secret: 'concurrency secret', resave: false, saveUninitialized: false, ...options }))
  app.use(counter)
  return concurrencyRoutes(app, gate)
}

// Sends `paths` at once with `cookie`, resolves with the responses.
function fireTogether (app, cookie, paths) {
  return Promise.all(paths.map((path) => request(app).get(path).set('Cookie', cookie)))
}

async function initSession (app) {
  const res = await request(app).get('/init').expect(200)
  return cookiePair(res)
}

module.exports = { concurrencyApp, fireTogether, initSession }
