'use strict'

// Which core the package runs on and how the choice is made, and the two cores held to the same
// results where the primitives specs cannot: the MemoryStore's storage, driven through the same
// operations on both, and the keys two data JSON texts differ in.

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')
const session = require('..')
const core = require('../core')
const { loadFallback, loadNative } = require('./support/cores')
const seededRandom = require('./support/seeded-random')

const root = path.join(__dirname, '..')
const FORCE = 'EXPRESS_SESSION_RS_FALLBACK'

// Runs `script` in a fresh node with the package's directory as `root`; returns its JSON output and stderr.
function inChild (script, env) {
  const childEnv = { ...process.env, ...env }
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name]
  const child = spawnSync(process.execPath, ['-e', `const root = ${JSON.stringify(root)}\n${script}`], { env: childEnv, encoding: 'utf8' })
  assert.strictEqual(child.status, 0, child.stderr)
  return { output: JSON.parse(child.stdout), log: child.stderr }
}

const reportCore = 'const s = require(root); console.log(JSON.stringify({ native: s.native, loadError: require(root + "/core").loadError }))'

describe('the core', function () {
  it('is the native addon where it loads, and says so in session.native and the DEBUG log', function () {
    const { output, log } = inChild(reportCore, { [FORCE]: undefined, DEBUG: 'express-session' })
    assert.deepStrictEqual(output, { native: true, loadError: null })
    assert.match(log, /express-session core: native addon/)
  })

  it(`is the JavaScript fallback with ${FORCE}=1, and the DEBUG log says why`, function () {
    const { output, log } = inChild(reportCore, { [FORCE]: '1', DEBUG: 'express-session' })
    assert.deepStrictEqual(output, { native: false, loadError: null })
    assert.match(log, new RegExp(`express-session core: JavaScript fallback, forced by ${FORCE}=1`))
  })

  it('is chosen once: session.native reports the core this process loaded', function () {
    assert.strictEqual(session.native, core.isNative)
    assert.strictEqual(typeof session.native, 'boolean')
  })

  it('serves a session the same way on either core', function () {
    const script = `
      const http = require('http')
      const session = require(root)
      const store = new session.MemoryStore()
      const middleware = session({ secret: 'either core', resave: false, saveUninitialized: false, store })
      const server = http.createServer((req, res) => middleware(req, res, () => {
        req.session.n = (req.session.n || 0) + 1
        res.end(String(req.session.n))
      })).listen(0, '127.0.0.1', async () => {
        const get = (cookie) => new Promise((resolve) => http.get({ port: server.address().port, headers: cookie ? { cookie } : {} }, (res) => {
          let body = ''
          res.on('data', (c) => { body += c }).on('end', () => resolve({ body, setCookie: res.headers['set-cookie'] }))
        }))
        const first = await get()
        const second = await get(first.setCookie[0].split(';')[0])
        store.length((err, length) => {
          server.close()
          console.log(JSON.stringify({ native: session.native, bodies: [first.body, second.body], cookie: first.setCookie[0].replace(/=[^;]*/, '=<id>'), second: second.setCookie === undefined, length }))
        })
      })`
    const expected = { bodies: ['1', '2'], cookie: 'connect.sid=<id>; Path=/; HttpOnly', second: true, length: 1 }
    assert.deepStrictEqual(inChild(script, { [FORCE]: undefined }).output, { native: true, ...expected })
    assert.deepStrictEqual(inChild(script, { [FORCE]: '1' }).output, { native: false, ...expected })
  })
})

describe('the JavaScript fallback', function () {
  it('refuses a MemoryStore name with an error that says why', function () {
    const fallback = loadFallback()
    assert.throws(() => new fallback.NativeMemoryStore({ name: 'shared' }), {
      code: 'ERR_NAMED_STORE_NEEDS_NATIVE',
      message: /needs express-session-rs's native addon.*worker threads|worker threads.*needs express-session-rs's native addon/
    })
    assert.doesNotThrow(() => new fallback.NativeMemoryStore({ name: undefined, max: 2 }))
  })

  it('refuses it through the public MemoryStore too', function () {
    const script = 'const s = require(root); try { new s.MemoryStore({ name: "shared" }); console.log("null") } catch (err) { console.log(JSON.stringify(err.code)) }'
    assert.strictEqual(inChild(script, { [FORCE]: '1' }).output, 'ERR_NAMED_STORE_NEEDS_NATIVE')
  })
})

describe('the two cores agree', function () {
  let native, fallback

  before(function () {
    native = loadNative(this)
    fallback = loadFallback()
  })

  it('on the keys two data JSON texts differ in', function () {
    const pairs = [[null, '{}'], ['{}', '{"a":1}'], ['{"a":1,"b":[1,2]}', '{"b":[1,3],"c":"ünï"}'], ['{"x":"' + 'y'.repeat(2000) + '"}', '{"x":"z"}']]
    for (const [loaded, current] of pairs) {
      assert.deepStrictEqual(fallback.changedKeys(loaded, current), native.changedKeys(loaded, current), current.slice(0, 40))
    }
  })

  // Random operations on a few IDs, with expiries well in the past or future so that the clock
  // cannot tell the stores apart; every answer but the byte estimate must match.
  for (const options of [{}, { max: 3 }, { ttl: 3600000 }, { max: 2.5, ttl: 3600000 }]) {
    it(`on the MemoryStore storage, ${JSON.stringify(options)}`, function () {
      const stores = [new native.NativeMemoryStore(options), new fallback.NativeMemoryStore(options)]
      const random = seededRandom(JSON.stringify(options).length)
      const pick = (list) => list[Math.floor(random() * list.length)]
      const ids = ['a', 'b', 'c', 'd', 'e']
      const cookies = [null, '{"originalMaxAge":null,"expires":null,"httpOnly":true,"path":"/"}', '{"originalMaxAge":60000,"expires":"2030-01-01T00:00:00.000Z","secure":true,"httpOnly":true,"path":"/app","sameSite":"lax"}']
      const data = ['{}', '{"n":1}', '{"user":{"id":1},"list":[1,2,3]}', '{"é":"\u{1f600}"}']
      const expiries = [undefined, null, Date.now() - 60000, Date.now() + 3600000, NaN]
      const argumentsOf = {
        set: (id) => [id, pick(cookies), pick(data), pick(expiries)],
        get: (id) => [id],
        touch: (id) => [id, pick(cookies), pick(expiries)],
        destroy: (id) => [id],
        length: () => [],
        entries: () => [],
        sweep: () => [],
        clear: () => []
      }
      const everyday = Object.keys(argumentsOf).filter((name) => name !== 'clear').concat('stats')
      for (let step = 0; step < 3000; step++) {
        const name = random() < 0.02 ? 'clear' : pick(everyday)
        const args = name === 'stats' ? [] : argumentsOf[name](pick(ids))
        const answers = stores.map((store) => {
          if (name !== 'stats') return store[name](...args)
          const stats = store.stats()
          return { ...stats, bytes: stats.bytes > 0 }
        })
        assert.deepStrictEqual(answers[1], answers[0], `step ${step}: ${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`)
      }
    })
  }
})
