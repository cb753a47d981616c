'use strict'

// How many times a response reaches the socket. The headers and body leave in one write: at once with
// a store that answers at once (the embedded MemoryStore), once the store has answered with an
// asynchronous one. express-session writes all but the last byte before its store answers.

const assert = require('assert')
const compression = require('compression')
const express = require('express')
const http = require('http')
const zlib = require('zlib')
const { createApp, ours, upstream } = require('./support/app')
const { MapStore } = require('./support/stores')

// Answers { writes, body, setCookie, headers, raw } for one GET with `cookie` (and `headers`),
// counting the socket's write batches; `raw` is the body as it came, `body` it read as UTF-8.
function countWrites (app, cookie, extraHeaders) {
  return new Promise((resolve, reject) => {
    let writes = 0
    const server = http.createServer(app)
    server.on('connection', (socket) => {
      const writeGeneric = socket._writeGeneric
      socket._writeGeneric = function () {
        writes++
        return writeGeneric.apply(this, arguments)
      }
    })
    server.listen(0, '127.0.0.1', () => {
      const headers = { Connection: 'close', ...extraHeaders }
      if (cookie) headers.Cookie = cookie
      http.get({ host: '127.0.0.1', port: server.address().port, path: '/', headers }, (res) => {
        const chunks = []
        res.on('data', (chunk) => { chunks.push(chunk) })
        res.on('end', () => {
          server.close()
          const raw = Buffer.concat(chunks)
          resolve({ writes, body: raw.toString('utf8'), setCookie: res.headers['set-cookie'], headers: res.headers, raw })
        })
      }).on('error', reject)
    })
  })
}

// a store answering on a later turn of the event loop
class AsyncStore extends MapStore {
  constructor () {
    super({ deferred: true })
  }
}

const body = 'x'.repeat(100)
const write = (req, res) => { req.session.views = (req.session.views || 0) + 1; res.setHeader('Content-Length', body.length); res.end(body) }

describe('socket writes per response', function () {
  it('a new session with the MemoryStore goes out in one write', async function () {
    const result = await countWrites(createApp({ handler: write }))
    assert.strictEqual(result.writes, 1)
    assert.strictEqual(result.body, body)
    assert.ok(result.setCookie)
  })

  it('a returning, modified session with the MemoryStore goes out in one write', async function () {
    const app = createApp({ options: { store: new ours.MemoryStore() }, handler: write })
    const first = await countWrites(app)
    const again = await countWrites(app, first.setCookie[0].split(';')[0])
    assert.strictEqual(again.writes, 1)
  })

  it('express-session with its MemoryStore splits the response (what the count detects)', async function () {
    const result = await countWrites(createApp({ impl: upstream, handler: write }))
    assert.ok(result.writes >= 2, 'writes: ' + result.writes)
    assert.strictEqual(result.body, body)
  })

  it('with an asynchronous store the whole response waits for the store and goes out in one write', async function () {
    const store = new AsyncStore()
    const result = await countWrites(createApp({ options: { store }, handler: write }))
    assert.strictEqual(result.writes, 1)
    assert.strictEqual(result.body, body)
    assert.strictEqual(store.map.size, 1)
  })

  describe('a body ended without a Content-Length, with an asynchronous store', function () {
    // what Node sends for the same response without a session
    async function withoutSession (handler) {
      const app = express()
      app.get('/', handler)
      return (await countWrites(app)).headers
    }

    it('goes out with its length in one write, as it would without the session, not chunked', async function () {
      const handler = (req, res) => { if (req.session) req.session.views = 1; res.end('héllo') }
      const result = await countWrites(createApp({ options: { store: new AsyncStore() }, handler }))
      assert.strictEqual(result.body, 'héllo')
      assert.strictEqual(result.headers['content-length'], '6')
      assert.strictEqual(result.headers['transfer-encoding'], undefined)
      assert.strictEqual(result.writes, 1)
      assert.strictEqual((await withoutSession(handler))['content-length'], '6')
    })

    it('a Buffer, a body in another encoding and an empty end get the length Node gives them', async function () {
      const bodies = [
        (res) => res.end(Buffer.from('buffered')),
        (res) => res.end('68656c6c6f', 'hex'),
        (res) => res.end()
      ]
      for (const end of bodies) {
        const handler = (req, res) => { if (req.session) req.session.views = 1; end(res) }
        const result = await countWrites(createApp({ options: { store: new AsyncStore() }, handler }))
        const expected = await withoutSession(handler)
        assert.strictEqual(result.headers['content-length'], expected['content-length'])
        assert.strictEqual(result.headers['transfer-encoding'], undefined)
        assert.strictEqual(Number(result.headers['content-length']), result.raw.length)
      }
    })

    it('with compression before the session, the compressed body is not given the plain length', async function () {
      const text = 'compressible '.repeat(200)
      const app = express()
      app.use(compression({ threshold: 0 }))
      app.use(ours({ secret: 'keyboard cat', resave: false, saveUninitialized: true, store: new AsyncStore() }))
      app.get('/', (req, res) => { req.session.views = 1; res.setHeader('Content-Type', 'text/plain'); res.end(text) })
      const result = await countWrites(app, undefined, { 'Accept-Encoding': 'gzip' })
      assert.strictEqual(result.headers['content-encoding'], 'gzip')
      assert.notStrictEqual(result.headers['content-length'], String(text.length))
      assert.strictEqual(zlib.gunzipSync(result.raw).toString('utf8'), text)
    })

    it('with a middleware before the session that adds to the body in its end, the whole body arrives', async function () {
      const app = express()
      app.use((req, res, next) => {
        const end = res.end
        res.end = function (chunk, encoding) { return end.call(this, chunk + ' and a footer', encoding) }
        next()
      })
      app.use(ours({ secret: 'keyboard cat', resave: false, saveUninitialized: true, store: new AsyncStore() }))
      app.get('/', (req, res) => { req.session.views = 1; res.end('the body') })
      const result = await countWrites(app)
      assert.strictEqual(result.body, 'the body and a footer')
    })
  })
})
