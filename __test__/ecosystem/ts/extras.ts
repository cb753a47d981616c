// What this package offers beyond express-session's types; compiled against this package only.
import express from 'express'
import session, { Cookie, DiskStore, MemoryStore, SessionData, SessionOptions, SessionStore } from 'express-session'

// sameSite 'auto' is an express-session option @types/express-session does not declare.
const options: SessionOptions = {
  secret: 'keyboard cat',
  key: 'legacy.sid',
  resave: false,
  saveUninitialized: false,
  cookie: (req) => ({ secure: 'auto', sameSite: req.secure ? 'auto' : 'lax' })
}
const middleware = session(options)

const store = new MemoryStore({ checkPeriod: 60_000, max: 1000, ttl: 3_600_000, name: 'shared' })
const stats = store.stats()
const total: number = stats.sessions + stats.bytes + stats.hits + stats.misses + stats.expirations + stats.evictions
store.sessions.seeded = JSON.stringify({ cookie: { originalMaxAge: null }, views: 1 })
const seeded: string | undefined = store.sessions.seeded
delete store.sessions.seeded
store.stopInterval()

// typed only: constructing it would open a store
const makeDiskStore = (): DiskStore => new DiskStore({ path: 'sessions', durability: 'fsync', max: 10_000, ttl: 60_000, mapSize: 1 << 30, checkPeriod: false })
const diskStats = (disk: DiskStore): number => disk.stats().sessions
const mergeInto = (disk: DiskStore, sess: SessionData): void => disk.merge('sid', { views: 2 }, ['gone'], sess, (err) => { if (err) throw err })

const cookie = new Cookie({ priority: 'low', partitioned: true })
const header: string | undefined = cookie.serialize?.('name', 'value')
const data = cookie.toJSON?.()
const originalMaxAge: number | null | undefined = data?.originalMaxAge

// The type of req.sessionStore by name (the global Express.SessionStore is @types/express-session's).
const app = express()
app.get('/fresh', (req, res) => {
  const sessionStore: SessionStore = req.sessionStore
  sessionStore.generate(req)
  res.end(req.sessionID)
})

export { app, middleware, total, seeded, header, originalMaxAge, makeDiskStore, diskStats, mergeInto }
