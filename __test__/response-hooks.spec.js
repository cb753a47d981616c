'use strict'

// The session's response hooks in real applications: their order among other middleware's hooks,
// the first requests after a process starts, and responses that are not what Express makes. Each
// case runs against express-session too, and the two must agree.

const assert = require('assert')
const { execFile } = require('child_process')
const express = require('express')
const http = require('http')
const http2 = require('http2')
const onHeaders = require('on-headers')
const path = require('path')
const request = require('supertest')
const { createApp, cookiePair, ours, sessionCookie, sessionIdOf, storedSession, upstream } = require('./support/app')
const { MapStore } = require('./support/stores')

const both = [['express-session-rs', ours], ['express-session', upstream]]

function firstRequests (which, middleware, count) {
  const script = path.join(__dirname, 'fixtures', 'first-requests.js')
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, which, middleware, String(count)], (err, stdout, stderr) => {
      if (err) return reject(new Error(stderr || err.message))
      resolve(JSON.parse(stdout))
    })
  })
}

describe('response hooks', function () {
  describe('the first requests after the process starts', function () {
    this.timeout(20000)

    for (const middleware of ['none', 'morgan', 'compression', 'response-time', 'on-headers', 'async']) {
      it(`get their cookie and stored session with ${middleware} before the session`, async function () {
        const [mine, theirs] = await Promise.all([firstRequests('ours', middleware, 1), firstRequests('upstream', middleware, 1)])
        assert.deepStrictEqual(mine, theirs)
        assert.strictEqual(mine[0].status, 200)
        assert.strictEqual(mine[0].cookie, true, 'the first response sets the session cookie')
        assert.strictEqual(mine[0].storedVisits, 1, 'the store holds the session the cookie names')
      })

      it(`a burst of 20 concurrent first requests with ${middleware} before the session all get sessions`, async function () {
        const [mine, theirs] = await Promise.all([firstRequests('ours', middleware, 20), firstRequests('upstream', middleware, 20)])
        assert.deepStrictEqual(mine, theirs)
        assert.strictEqual(mine.filter((r) => r.cookie && r.storedVisits === 1).length, 20)
      })
    }

    it('an on-headers hook mounted before the session sees its cookie (as with express-session)', async function () {
      const [mine] = await firstRequests('ours', 'on-headers', 1)
      assert.strictEqual(mine.cookieSeenByEarlierHook, 'true')
    })
  })

  for (const [label, impl] of both) {
    describe(label, function () {
      it('an earlier on-headers hook can strip the cookie from a cacheable response', async function () {
        const app = express()
        app.use((req, res, next) => {
          onHeaders(res, function () {
            if (/public/.test(String(this.getHeader('Cache-Control')))) this.removeHeader('Set-Cookie')
          })
          next()
        })
        app.use(impl({ secret: 's', resave: false, saveUninitialized: true }))
        app.get('/public', (req, res) => { res.set('Cache-Control', 'public, max-age=60'); res.send('cached') })
        app.get('/private', (req, res) => res.send('private'))

        const cached = await request(app).get('/public').expect(200, 'cached')
        assert.strictEqual(cached.headers['set-cookie'], undefined)
        const normal = await request(app).get('/private').expect(200, 'private')
        assert.ok(sessionCookie(normal))
      })

      it('keeps working after a spy on ServerResponse.prototype.end is installed and restored', async function () {
        const proto = http.ServerResponse.prototype
        const original = proto.end
        let spied = 0
        proto.end = function spy () { spied++; return original.apply(this, arguments) }
        try {
          const app = createApp({ impl, handler: (req, res) => { req.session.n = 1; res.end('ok') } })
          assert.ok(sessionCookie(await request(app).get('/')))
        } finally {
          proto.end = original
        }
        assert.ok(spied > 0)

        const store = new impl.MemoryStore()
        const app = createApp({ impl, options: { store }, handler: (req, res) => { req.session.n = 2; res.end('ok') } })
        const res = await request(app).get('/').expect(200, 'ok')
        assert.strictEqual((await storedSession(store, sessionIdOf(res))).n, 2)
      })

      it('serves a request object that is not res.req, with writeHead headers', async function () {
        const store = new impl.MemoryStore()
        const middleware = impl({ secret: 's', resave: false, saveUninitialized: false, store })
        const server = http.createServer((req, res) => {
          const other = Object.create(req)
          other.headers = req.headers
          other.url = req.url
          middleware(other, res, () => {
            other.session.n = 7
            res.writeHead(201, { 'X-Extra': 'yes' })
            res.end('done')
          })
        })
        const res = await request(server).get('/').expect(201, 'done')
        assert.strictEqual(res.headers['x-extra'], 'yes')
        assert.strictEqual((await storedSession(store, sessionIdOf(res))).n, 7)
      })

      it('a second ServerResponse made for the same request does not end the real one', async function () {
        const store = new impl.MemoryStore()
        const middleware = impl({ secret: 's', resave: false, saveUninitialized: false, store })
        const server = http.createServer((req, res) => {
          middleware(req, res, () => {
            req.session.n = 3
            const shadow = new http.ServerResponse(req)
            shadow.end('shadow')
            assert.strictEqual(res.writableEnded, false)
            res.end('real')
          })
        })
        const res = await request(server).get('/').expect(200, 'real')
        assert.strictEqual((await storedSession(store, sessionIdOf(res))).n, 3)
      })

      it('saves a session loaded with store.load and assigned to req.session under its own ID', async function () {
        const store = new impl.MemoryStore()
        const app = createApp({
          impl,
          options: { store },
          handler (req, res, next) {
            if (req.path === '/adopt') {
              return store.load(req.query.id, (err, other) => {
                if (err) return next(err)
                req.session = other
                req.session.adopted = true
                res.end('adopted')
              })
            }
            req.session.owner = req.path.slice(1)
            res.end('ok')
          }
        })
        const a = await request(app).get('/a')
        const b = await request(app).get('/b')
        await request(app).get('/adopt?id=' + encodeURIComponent(sessionIdOf(b))).set('Cookie', cookiePair(a)).expect(200, 'adopted')

        const storedA = await storedSession(store, sessionIdOf(a))
        const storedB = await storedSession(store, sessionIdOf(b))
        assert.strictEqual(storedA.owner, 'a')
        assert.strictEqual(storedA.adopted, undefined, "the cookie's own session is left alone")
        assert.strictEqual(storedB.owner, 'b')
        assert.strictEqual(storedB.adopted, true, 'the loaded session gets the change')
      })

      it('reassigning req.sessionID does not overwrite the session it names', async function () {
        const store = new impl.MemoryStore()
        const app = createApp({
          impl,
          options: { store },
          handler (req, res) {
            if (req.query.victim) req.sessionID = req.query.victim
            req.session.writer = req.query.name
            res.end('ok')
          }
        })
        const victim = await request(app).get('/?name=victim')
        const attacker = await request(app).get('/?name=first')
        await request(app).get('/?name=attacker&victim=' + encodeURIComponent(sessionIdOf(victim))).set('Cookie', cookiePair(attacker))
        assert.strictEqual((await storedSession(store, sessionIdOf(victim))).writer, 'victim')
        assert.strictEqual((await storedSession(store, sessionIdOf(attacker))).writer, 'attacker')
      })
    })
  }

  // express-session itself throws from res.end here with a store that answers later (it calls
  // res._implicitHeader, which HTTP/2 responses lack); this package writes their headers through
  // writeHead instead.
  describe('HTTP/2 compatibility responses', function () {
    const stores = { MemoryStore: () => new ours.MemoryStore(), 'an asynchronous store': () => new MapStore({ deferred: true }) }
    for (const [storeName, makeStore] of Object.entries(stores)) {
      it(`works with HTTP/2 compatibility responses (${storeName})`, async function () {
        const store = makeStore()
        const middleware = ours({ secret: 's', resave: false, saveUninitialized: false, store })
        const server = http2.createServer((req, res) => {
          middleware(req, res, () => {
            req.session.n = (req.session.n || 0) + 1
            res.setHeader('Content-Type', 'text/plain')
            res.end('n=' + req.session.n)
          })
        })
        await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
        const client = http2.connect('http://127.0.0.1:' + server.address().port)
        const get = (cookie) => new Promise((resolve, reject) => {
          const stream = client.request({ ':path': '/', ...(cookie ? { cookie } : {}) })
          let headers
          let body = ''
          stream.on('response', (h) => { headers = h })
          stream.setEncoding('utf8')
          stream.on('data', (chunk) => { body += chunk })
          stream.on('end', () => resolve({ headers, body }))
          stream.on('error', reject)
          stream.end()
        })
        try {
          const first = await get()
          assert.strictEqual(first.body, 'n=1')
          const pair = first.headers['set-cookie'][0].split(';')[0]
          const second = await get(pair)
          assert.strictEqual(second.body, 'n=2')
          const value = decodeURIComponent(pair.slice('connect.sid='.length))
          assert.strictEqual((await storedSession(store, value.slice(2, value.lastIndexOf('.')))).n, 2)
        } finally {
          client.close()
          server.close()
        }
      })
    }
  })

  it('two copies of the package in one process each set their cookie from the first request on', async function () {
    const root = path.resolve(__dirname, '..')
    const own = Object.keys(require.cache).filter((file) => file.startsWith(root + path.sep) &&
      !file.includes(path.sep + 'node_modules' + path.sep) && !file.includes(path.sep + '__test__' + path.sep) &&
      !file.endsWith('native.js'))
    const saved = own.map((file) => [file, require.cache[file]])
    for (const file of own) delete require.cache[file]
    let copy
    try {
      copy = require('..')
    } finally {
      for (const [file, entry] of saved) require.cache[file] = entry
    }
    assert.notStrictEqual(copy, ours)

    const app = express()
    app.use(copy({ name: 'first', secret: 's', resave: false, saveUninitialized: true }))
    app.use(ours({ name: 'second', secret: 's', resave: false, saveUninitialized: true }))
    app.get('/', (req, res) => res.send('ok'))
    const res = await request(app).get('/').expect(200)
    // the second middleware sees req.session from the first and stands aside, as express-session does
    assert.ok(sessionCookie(res, 'first'))

    const separate = express()
    separate.use('/a', copy({ name: 'first', secret: 's', resave: false, saveUninitialized: true }))
    separate.use('/b', ours({ name: 'second', secret: 's', resave: false, saveUninitialized: true }))
    separate.get('*', (req, res) => res.send('ok'))
    assert.ok(sessionCookie(await request(separate).get('/a/x'), 'first'))
    assert.ok(sessionCookie(await request(separate).get('/b/x'), 'second'))
  })
})
