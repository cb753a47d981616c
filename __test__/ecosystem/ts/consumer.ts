// Code written for express-session, compiled against this package installed under that name.
import express from 'express'
import session, { Cookie, MemoryStore, SessionData, SessionOptions, Store } from 'express-session'

declare module 'express-session' {
  interface SessionData {
    user: { id: number, name: string }
    views: number
  }
}

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
}

const options: SessionOptions = {
  secret: ['new secret', Buffer.from('old secret')],
  resave: false,
  saveUninitialized: false,
  rolling: true,
  unset: 'destroy',
  cookie: (req) => ({ maxAge: 60_000, secure: 'auto', sameSite: req.headers.host ? 'auto' : 'lax', partitioned: false, priority: 'high' }),
  store: Math.random() > 0.5 ? new MapStore() : new MemoryStore({ checkPeriod: 60_000, max: 1000, ttl: 3_600_000 })
}

const app = express()
app.use(session(options))

app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1
  const name: string | undefined = req.session.user?.name
  const cookie: Cookie = req.session.cookie
  const left: number | undefined = cookie.maxAge
  req.session.regenerate((err) => {
    if (err) throw err
    req.session.user = { id: 1, name: 'ann' }
    req.session.save(() => res.send(`${name} ${left} ${req.sessionID} ${req.session.id}`))
  })
})

const stats = new MemoryStore().stats()
const total: number = stats.sessions + stats.evictions
export { app, total }
