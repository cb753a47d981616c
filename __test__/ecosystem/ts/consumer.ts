// Code written for express-session and @types/express-session. The spec compiles this file, unchanged,
// against those types and against this package's; both compilations must succeed.
import express from 'express'
import session, { Cookie, CookieOptions, MemoryStore, Session, SessionData, SessionOptions, Store } from 'express-session'

declare module 'express-session' {
  interface SessionData {
    user: { id: number, name: string }
    views: number
  }
}

// A store written as a subclass, every callback typed as the store contract describes it.
class MapStore extends Store {
  private readonly sessions = new Map<string, string>()

  get (sid: string, callback: (err: any, session?: SessionData | null) => void): void {
    const json = this.sessions.get(sid)
    callback(null, json === undefined ? null : JSON.parse(json))
  }

  set (sid: string, sess: SessionData, callback?: (err?: any) => void): void {
    this.sessions.set(sid, JSON.stringify(sess))
    callback?.()
  }

  destroy (sid: string, callback?: (err?: any) => void): void {
    this.sessions.delete(sid)
    callback?.()
  }

  touch (sid: string, sess: SessionData, callback?: () => void): void {
    const expires: Date | null | undefined = sess.cookie.expires
    if (expires !== undefined && this.sessions.has(sid)) this.set(sid, sess)
    callback?.()
  }

  all (callback: (err: any, obj?: { [sid: string]: SessionData } | null) => void): void {
    const all: { [sid: string]: SessionData } = {}
    for (const [sid, json] of this.sessions) all[sid] = JSON.parse(json)
    callback(null, all)
  }

  length (callback: (err: any, length?: number) => void): void {
    callback(null, this.sessions.size)
  }

  clear (callback?: (err?: any) => void): void {
    this.sessions.clear()
    callback?.()
  }
}

// Session data as stores and their tests build it: the cookie is a plain literal, not a Cookie.
const stored: SessionData = { cookie: { originalMaxAge: null, expires: new Date() }, views: 1, user: { id: 7, name: 'bo' } }
const storedWithoutExpiry: Partial<SessionData> = { cookie: { originalMaxAge: 60_000 } }
const store = new MapStore()
store.set('sid', stored, (err) => { if (err) throw err })
store.set('sid2', { cookie: { originalMaxAge: null, expires: new Date() }, views: 0, user: { id: 2, name: 'cy' } })
store.touch('sid', stored)
store.load('sid', (err, sess) => { if (!err && sess) console.log(sess.views) })
store.on('disconnect', () => console.log('store down'))

// Every option, the cookie given as an object.
const cookieObject: CookieOptions = {
  maxAge: 60_000,
  expires: null,
  httpOnly: true,
  path: '/',
  domain: 'example.com',
  secure: 'auto',
  sameSite: 'lax',
  partitioned: true,
  priority: 'high',
  signed: true,
  encode: encodeURIComponent
}
const withObject: SessionOptions = {
  secret: ['new secret', Buffer.from('old secret')],
  genid: (req) => `${req.ip ?? 'unknown'}-${req.get('user-agent') ?? ''}-${Date.now()}`,
  name: 'app.sid',
  store,
  cookie: cookieObject,
  rolling: true,
  resave: false,
  proxy: true,
  saveUninitialized: false,
  unset: 'destroy'
}

// The cookie given as a function of the request (Express's, with its own properties).
const withFunction: SessionOptions = {
  secret: 'keyboard cat',
  resave: true,
  saveUninitialized: true,
  unset: 'keep',
  store: new MemoryStore(),
  cookie: (req) => ({
    secure: req.secure,
    sameSite: req.hostname === 'localhost' ? 'strict' : true,
    maxAge: req.path.startsWith('/admin') ? 5 * 60_000 : undefined,
    priority: 'medium',
    partitioned: false
  })
}

const app = express()
app.use(session(withObject))
app.use('/other', session(withFunction))

app.get('/', (req, res, next) => {
  req.session.views = (req.session.views ?? 0) + 1
  const name: string | undefined = req.session.user?.name
  const cookie: Cookie = req.session.cookie
  const left: number | undefined = cookie.maxAge
  const original: number | null = cookie.originalMaxAge
  cookie.expires = new Date(Date.now() + 1000)
  cookie.maxAge = 30_000
  const id: string = req.sessionID
  const sameId: string = req.session.id

  req.session.regenerate((err) => {
    if (err) return next(err)
    req.session.user = { id: 1, name: 'ann' }
    req.session.touch().resetMaxAge()
    req.session.save((err) => {
      if (err) return next(err)
      req.session.reload((err) => {
        if (err) return next(err)
        res.send(`${name} ${left} ${original} ${id} ${sameId} ${req.sessionID}`)
      })
    })
  })
})

app.post('/logout', (req, res, next) => {
  req.session.destroy((err) => {
    if (err) return next(err)
    res.end()
  })
})

app.get('/store', (req, res) => {
  const sessionStore = req.sessionStore
  sessionStore.generate(req)
  const current: Session = req.session
  sessionStore.regenerate(req, () => {
    sessionStore.createSession(req, { ...stored, cookie: current.cookie })
    sessionStore.get(req.sessionID, (err, sess) => res.json({ err, views: sess?.views }))
  })
})

const fresh = new Cookie()
fresh.maxAge = 1000
const storeOfDefaults: Store = new MemoryStore()
storeOfDefaults.all?.((err, all) => console.log(err, all))
storeOfDefaults.length?.((err, length) => console.log(err, length))
storeOfDefaults.clear?.()

export { app, fresh, storedWithoutExpiry }
