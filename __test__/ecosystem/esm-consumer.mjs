// An ES module consumer: default and named imports, then one request through the middleware.
import http from 'node:http'
import session, { MemoryStore, DiskStore, Store, Cookie, Session } from 'express-session-rs'

const store = new MemoryStore()
if (!(store instanceof Store) || typeof Cookie !== 'function' || typeof Session !== 'function' || DiskStore !== session.DiskStore) {
  throw new Error('named exports missing')
}

const middleware = session({ secret: 'esm', resave: false, saveUninitialized: true, store })
const server = http.createServer((req, res) => middleware(req, res, () => {
  req.session.from = 'esm'
  res.end('ok')
}))

server.listen(0, '127.0.0.1', () => {
  http.get({ port: server.address().port, host: '127.0.0.1' }, (res) => {
    res.resume()
    res.on('end', () => {
      server.close()
      store.length((err, n) => {
        if (err) throw err
        console.log(JSON.stringify({ status: res.statusCode, cookie: Boolean(res.headers['set-cookie']), stored: n }))
      })
    })
  })
})
