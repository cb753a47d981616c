'use strict'

// How many times a response reaches the socket. The headers and body leave in one write: at once with
// a store that answers at once (the embedded MemoryStore), once the store has answered with an
// asynchronous one. express-session writes all but the last byte before its store answers.

const assert = require('assert')
const http = require('http')
const { createApp, ours, upstream } = require('./support/app')
const { MapStore } = require('./support/stores')

// Answers { writes, body, setCookie } for one GET with `cookie`, counting the socket's write batches.
function countWrites (app, cookie) {
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
      const headers = { Connection: 'close' }
      if (cookie) headers.Cookie = cookie
      http.get({ host: '127.0.0.1', port: server.address().port, path: '/', headers }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => { body += chunk })
        res.on('end', () => {
          server.close()
          resolve({ writes, body, setCookie: res.headers['set-cookie'] })
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
})
