'use strict'

// A small Express app on the embedded MemoryStore: a visit counter, a sign-in that regenerates
// the session (against session fixation) and a sign-out. Start it with `npm start` and open
// http://127.0.0.1:3000/ (PORT and HOST change where it listens).

const express = require('express')
const session = require('..')

const app = express()

app.use(session({
  name: 'example.sid',
  secret: process.env.SESSION_SECRET || 'change me: any long random string',
  resave: false,
  saveUninitialized: false,
  cookie: { maxAge: 30 * 60 * 1000, sameSite: 'lax', secure: 'auto' },
  store: new session.MemoryStore({ checkPeriod: 60 * 1000, max: 100000 })
}))

app.use(express.urlencoded({ extended: false }))

app.get('/', function (req, res) {
  req.session.views = (req.session.views || 0) + 1
  const who = req.session.user
    ? 'Signed in as ' + escapeHtml(req.session.user) + '. <form method="post" action="/logout"><button>Sign out</button></form>'
    : '<form method="post" action="/login"><input name="user" placeholder="name"> <button>Sign in</button></form>'

  res.send('<p>Views in this session: ' + req.session.views + '</p>' + who)
})

app.post('/login', function (req, res, next) {
  const user = String(req.body.user || '').trim() || 'guest'

  // a new session ID on sign-in, so an ID planted before it is worthless afterwards
  req.session.regenerate(function (err) {
    if (err) return next(err)
    req.session.user = user
    req.session.save(function (err) {
      if (err) return next(err)
      res.redirect('/')
    })
  })
})

app.post('/logout', function (req, res, next) {
  req.session.destroy(function (err) {
    if (err) return next(err)
    res.redirect('/')
  })
})

function escapeHtml (text) {
  return text.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';')
}

if (require.main === module) {
  const port = Number(process.env.PORT) || 3000
  const host = process.env.HOST || '127.0.0.1'
  const server = app.listen(port, host, function () {
    console.log('example app listening on http://' + host + ':' + port + '/')
  })

  function stop (why) {
    console.log('example app stopping (' + why + ')')
    server.close()
    server.closeAllConnections()
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))

  // `npm start` runs this under a shell; when npm is stopped with a signal it passes the signal
  // to that shell, which exits without passing it on. A new parent process means ours is gone.
  const parent = process.ppid
  setInterval(function watchParent () {
    if (process.ppid !== parent) stop('parent process exited')
  }, 500).unref()
}

module.exports = app
