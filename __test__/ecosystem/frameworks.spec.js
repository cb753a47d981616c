'use strict'

// The middleware under Express 4, Express 5, connect and a bare http server, and passport's
// login/logout flow on top of it.

const assert = require('assert')
const connect = require('connect')
const express4 = require('express')
const express5 = require('express5')
const http = require('http')
const passport = require('passport')
const LocalStrategy = require('passport-local').Strategy
const request = require('supertest')
const { cookiePair, sessionIdOf, storedSession } = require('../support/app')
const { session } = require('./support')

const options = () => ({ secret: 'framework secret', resave: false, saveUninitialized: false, store: new session.MemoryStore() })
const count = (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end('n=' + req.session.n) }

const frameworks = {
  'Express 4': () => express4().use(session(options())).use(count),
  'Express 5': () => express5().use(session(options())).get('/', count),
  connect: () => connect().use(session(options())).use(count),
  'http.createServer': () => {
    const middleware = session(options())
    return http.createServer((req, res) => middleware(req, res, (err) => {
      if (err) { res.statusCode = 500; return res.end(err.message) }
      count(req, res)
    }))
  }
}

describe('frameworks', function () {
  for (const [name, make] of Object.entries(frameworks)) {
    it(name + ' keeps a session across requests', async function () {
      const app = make()
      const first = await request(app).get('/').expect(200, 'n=1')
      await request(app).get('/').set('Cookie', cookiePair(first)).expect(200, 'n=2')
    })
  }
})

describe('passport 0.7 with passport-local', function () {
  function makeApp (store) {
    const app = express4()
    const auth = new passport.Passport()
    auth.use(new LocalStrategy((username, password, done) => done(null, password === 'secret' ? { id: 7, username } : false)))
    auth.serializeUser((user, done) => done(null, JSON.stringify(user)))
    auth.deserializeUser((json, done) => done(null, JSON.parse(json)))
    app.use(express4.urlencoded({ extended: false }))
    app.use(session({ secret: 'passport secret', resave: false, saveUninitialized: true, store }))
    app.use(auth.session())
    app.post('/login', auth.authenticate('local', { failureMessage: false }), (req, res) => res.end('welcome ' + req.user.username))
    app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.end('bye'))))
    app.get('/me', (req, res) => res.end(req.user ? req.user.username : 'nobody'))
    return app
  }

  it('changes the session ID on login and logout and removes the old sessions', async function () {
    const store = new session.MemoryStore()
    const app = makeApp(store)
    const get = (sid) => storedSession(store, sid)

    const anonymous = await request(app).get('/me').expect(200, 'nobody')
    const loggedIn = await request(app).post('/login').set('Cookie', cookiePair(anonymous)).type('form').send({ username: 'ann', password: 'secret' }).expect(200, 'welcome ann')
    assert.notStrictEqual(sessionIdOf(loggedIn), sessionIdOf(anonymous), 'session fixation: the ID must change on login')
    assert.strictEqual(await get(sessionIdOf(anonymous)), undefined)
    assert.ok((await get(sessionIdOf(loggedIn))).passport.user)

    await request(app).get('/me').set('Cookie', cookiePair(loggedIn)).expect(200, 'ann')

    const loggedOut = await request(app).post('/logout').set('Cookie', cookiePair(loggedIn)).expect(200, 'bye')
    assert.notStrictEqual(sessionIdOf(loggedOut), sessionIdOf(loggedIn))
    assert.strictEqual(await get(sessionIdOf(loggedIn)), undefined)
    await request(app).get('/me').set('Cookie', cookiePair(loggedIn)).expect(200, 'nobody')
    await request(app).get('/me').set('Cookie', cookiePair(loggedOut)).expect(200, 'nobody')
  })

  it('refuses a wrong password without creating a login', async function () {
    const app = makeApp(new session.MemoryStore())
    await request(app).post('/login').type('form').send({ username: 'ann', password: 'wrong' }).expect(401)
  })
})
