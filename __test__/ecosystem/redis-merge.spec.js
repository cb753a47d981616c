'use strict'

// `merge: true` on connect-redis runs as one script inside Redis (session/redis-merge.js), so that
// merges from several server processes on one redis-server keep each other's changes. Checked for
// every pairing of connect-redis and client in support/connect-redis.js, against a real
// redis-server and real server processes, next to express-session on the same setup.

const assert = require('assert')
const { fork } = require('child_process')
const fc = require('fast-check')
const path = require('path')
const request = require('supertest')
const { countCalls, idOfCookie, requireServer, session, sleep, upstream } = require('./support')
const { concurrencyApp, initSession } = require('../support/concurrency')
const { openClient, openStore, pairings } = require('../support/connect-redis')
const { applyChanges, changedKeys } = require('../../session/merge')
const { SCRIPT } = require('../../session/redis-merge')

const N = 50
const SERVERS = 2
const keysOf = (data) => Object.keys(data).filter((key) => /^k\d+$/.test(key)).sort()
const idOf = (cookie) => idOfCookie(cookie.slice(cookie.indexOf('=') + 1))

// SERVERS processes of fixtures/redis-merge-server.js with `config`, each on its own port.
async function startFleet (config) {
  const servers = await Promise.all(Array.from({ length: SERVERS }, () => new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '..', 'fixtures', 'redis-merge-server.js'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.once('message', ({ port }) => resolve({ child, base: `http://127.0.0.1:${port}` }))
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })))
  for (const { child } of servers) child.removeAllListeners('exit')
  return {
    servers,
    // each server's /set and /delete requests from now on wait until `count` have arrived there
    arm: (count) => Promise.all(servers.map(({ child }) => new Promise((resolve) => {
      child.once('message', resolve)
      child.send({ arm: count })
    }))),
    get: (server, urlPath, cookie) => {
      const req = request(servers[server].base).get(urlPath)
      return cookie === undefined ? req : req.set('Cookie', cookie)
    },
    close: () => Promise.all(servers.map(({ child }) => new Promise((resolve) => {
      child.once('exit', resolve)
      child.disconnect()
    })))
  }
}

describe('merge: true on connect-redis, inside Redis', function () {
  this.timeout(60000)

  describe('the merge script', function () {
    let client
    before(async function () {
      client = await openClient('redis', requireServer(this, 'REDIS_URL'))
    })
    after(async function () {
      if (client) {
        const keys = await client.keys(`esrs-script:${process.pid}:*`)
        if (keys.length) await client.del(keys)
        await client.close()
      }
    })

    // Keys that JavaScript orders first (array indices) and near misses, __proto__, escapes, any text.
    const key = fc.oneof(
      fc.constantFrom('0', '1', '7', '10', '01', '-1', '4294967294', '4294967295', '__proto__', 'a', 'b', 'é', '"', '\\', '\u2028'),
      fc.nat({ max: 30 }).map(String),
      fc.string({ maxLength: 6 })
    ).filter((k) => k !== 'cookie')
    const members = fc.array(fc.tuple(key, fc.jsonValue({ maxDepth: 3 })), { maxLength: 8 })
    // JSON text of an object with `pairs` as JSON.stringify writes it (duplicates resolved as JSON.parse does)
    const canonical = (text) => JSON.stringify(JSON.parse(text))
    const objectJson = (pairs) => canonical('{' + pairs.map(([k, v]) => JSON.stringify(k) + ':' + JSON.stringify(v)).join(',') + '}')

    it('writes exactly JSON.stringify of the stored session with the request\'s changes applied in JavaScript', async function () {
      const cookie = { originalMaxAge: 60000, expires: '2031-02-03T04:05:06.789Z', httpOnly: true, path: '/' }
      const ending = (loadedPairs, changedPairs, kept) => loadedPairs.filter((_, i) => kept[i % kept.length] !== false).concat(changedPairs)
      let run = 0
      await fc.assert(fc.asyncProperty(members, members, members, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), async (storedPairs, loadedPairs, changedPairs, kept, cookieFirst) => {
        const sessionKey = `esrs-script:${process.pid}:${run++}`
        // what the request loaded: partly what is stored now, partly keys since changed or removed
        const loaded = storedPairs.slice(0, 3).concat(loadedPairs)
        const loadedJson = objectJson(loaded)
        const endingJson = objectJson(ending(loaded, changedPairs, kept))
        const dataJson = objectJson(storedPairs)
        const storedJson = cookieFirst
          ? canonical(`{"cookie":{"path":"/"}${dataJson === '{}' ? '' : ',' + dataJson.slice(1, -1)}}`)
          : dataJson
        await client.raw.set(sessionKey, storedJson)
        const written = await client.raw.sendCommand(['EVAL', SCRIPT, '1', sessionKey, loadedJson, endingJson, JSON.stringify(cookie), '100'])
        const diff = changedKeys(loadedJson, endingJson)
        const expected = JSON.stringify(applyChanges(JSON.parse(storedJson), JSON.parse(diff.changesJson), diff.removed, cookie))
        assert.strictEqual(written, 1)
        assert.strictEqual(await client.get(sessionKey), expected)
      }), { numRuns: 300 })
    })

    it('leaves a missing session missing, and deletes one whose expiry has passed', async function () {
      const sessionKey = `esrs-script:${process.pid}:gone`
      assert.strictEqual(await client.raw.sendCommand(['EVAL', SCRIPT, '1', sessionKey, '{}', '{"a":1}', '{}', '100']), 0)
      assert.strictEqual(await client.exists(sessionKey), 0)
      await client.raw.set(sessionKey, '{"cookie":{},"a":0}')
      assert.strictEqual(await client.raw.sendCommand(['EVAL', SCRIPT, '1', sessionKey, '{}', '{"a":1}', '{}', '0']), 0)
      assert.strictEqual(await client.exists(sessionKey), 0)
    })
  })

  pairings.forEach((pairing, index) => {
    describe(pairing.name, function () {
      const prefix = `esrs-rmerge:${process.pid}:${index}:`
      let url
      let client
      before(async function () {
        url = requireServer(this, 'REDIS_URL')
        client = await openClient(pairing.client, url)
      })
      after(async function () {
        if (!client) return
        const keys = await client.keys(prefix + '*')
        if (keys.length) await client.del(keys)
        await client.close()
      })

      const stored = async (cookie) => {
        const json = await client.get(prefix + idOf(cookie))
        return json === null ? null : JSON.parse(json)
      }

      describe(`a fleet of ${SERVERS} server processes`, function () {
        let ours, theirs
        before(async function () {
          if (!url) return this.skip()
          ;[ours, theirs] = await Promise.all([
            startFleet({ impl: 'ours', pairing: pairing.name, url, prefix, merge: true }),
            startFleet({ impl: 'upstream', pairing: pairing.name, url, prefix, merge: false })
          ])
        })
        after(async function () {
          await Promise.all([ours && ours.close(), theirs && theirs.close()])
        })

        // N requests setting their own key, spread over the fleet, loading together and saving in turn
        async function burst (fleet) {
          const cookie = (await fleet.get(0, '/init').expect(200)).headers['set-cookie'][0].split(';')[0]
          await fleet.arm(N / SERVERS)
          const responses = await Promise.all(Array.from({ length: N }, (_, i) => fleet.get(i % SERVERS, `/set?key=k${i}&delay=${i * 2}`, cookie)))
          assert.ok(responses.every((res) => res.status === 200))
          return stored(cookie)
        }

        it(`${N} concurrent requests on one session keep all ${N} keys; express-session's fleet loses some`, async function () {
          const merged = await burst(ours)
          assert.strictEqual(keysOf(merged).length, N)
          assert.strictEqual(merged.base, 'kept')
          assert.strictEqual(merged.doomed, 'here')

          const overwritten = await burst(theirs)
          assert.ok(keysOf(overwritten).length < N, `express-session kept ${keysOf(overwritten).length} of ${N}: the requests did not overlap`)
        })

        it('a request on a session destroyed meanwhile in another process does not bring it back (express-session\'s does)', async function () {
          for (const [fleet, revives] of [[ours, false], [theirs, true]]) {
            const cookie = (await fleet.get(0, '/init').expect(200)).headers['set-cookie'][0].split(';')[0]
            await fleet.arm(1)
            // then() sends it now, while the session is still there to load
            const slow = fleet.get(0, '/set?key=slow&delay=300', cookie).then((res) => res)
            await sleep(100)
            await fleet.get(1, '/destroy', cookie).expect(200)
            assert.strictEqual((await slow).status, 200)
            assert.strictEqual(await stored(cookie) !== null, revives)
          }
        })
      })

      describe('in one process', function () {
        before(function () { if (!url) this.skip() })
        const opened = []
        after(async function () {
          await Promise.all(opened.map(({ client }) => client.close()))
        })
        async function storeOf (impl, storeOptions = {}) {
          const it = await openStore(pairing, impl, url, { prefix, ...storeOptions })
          opened.push(it)
          return it.store
        }
        // runs `steps` (paths) one after another on a new session of `impl`; answers its cookie
        async function sequence (impl, store, steps, options = {}) {
          const app = concurrencyApp(impl, { store, merge: impl === session, ...options }, 1)
          const cookie = await initSession(app)
          for (const step of steps) await request(app).get(step).set('Cookie', cookie).expect(200)
          return cookie
        }

        it('stores the bytes express-session writes through connect-redis for the same session', async function () {
          const value = (v) => encodeURIComponent(JSON.stringify(v))
          const steps = [
            `/set?key=10&value=${value('ten')}`,
            `/set?key=nested&value=${value({ 'é\u2028': ['"\\', 1.5e300, null, { 0: true }] })}`,
            '/delete?key=doomed',
            `/set?key=2&value=${value([])}`,
            `/set?key=base&value=${value('changed')}`,
            '/set?key=__proto__'
          ]
          const ourCookie = await sequence(session, await storeOf(session), steps)
          const theirCookie = await sequence(upstream, await storeOf(upstream), steps)
          const ours = await client.get(prefix + idOf(ourCookie))
          assert.ok(ours.includes('"nested"') && !ours.includes('doomed'), ours)
          assert.strictEqual(ours, await client.get(prefix + idOf(theirCookie)))
        })

        const ttlCases = [
          ['the cookie\'s expiry', {}, { cookie: { maxAge: 90000 } }, 90],
          ['the ttl option, without a cookie expiry', { ttl: 1234 }, {}, 1234],
          ['a ttl function of the request\'s session', { ttl: (sess) => (sess.cookie && sess.base === 'kept' ? 777 : 1) }, {}, 777],
          ['disableTTL', { disableTTL: true }, {}, -1],
          ['a ttl not ahead (deleted)', { ttl: (sess) => (sess.k ? -1 : 600) }, {}, -2]
        ]
        for (const [label, storeOptions, options, seconds] of ttlCases) {
          it(`sets the expiry connect-redis's set does: ${label}`, async function () {
            const ttls = []
            for (const impl of [session, upstream]) {
              const cookie = await sequence(impl, await storeOf(impl, storeOptions), [], options)
              const sessionKey = prefix + idOf(cookie)
              if (seconds !== -2) await client.raw.expire(sessionKey, 5)
              await request(concurrencyApp(impl, { store: await storeOf(impl, storeOptions), merge: impl === session, ...options }, 1))
                .get('/set?key=k').set('Cookie', cookie).expect(200)
              ttls.push(await client.ttl(sessionKey))
            }
            assert.ok(Math.abs(ttls[0] - seconds) <= 1, `ours ${ttls[0]}, expected ${seconds}`)
            assert.ok(Math.abs(ttls[0] - ttls[1]) <= 1, `ours ${ttls[0]}, express-session's ${ttls[1]}`)
          })
        }

        it('merges with the script alone, reloading it after SCRIPT FLUSH', async function () {
          const store = await storeOf(session)
          const calls = countCalls(store)
          const cookie = await sequence(session, store, [])
          calls.reset()
          await client.scriptFlush()
          await request(concurrencyApp(session, { store, merge: true }, 1)).get('/set?key=k1').set('Cookie', cookie).expect(200)
          assert.deepStrictEqual([calls.get, calls.set], [1, 0], 'the middleware loaded the session and wrote nothing itself')
          assert.strictEqual((await stored(cookie)).k1, 'k1')
        })

        it('reads, applies and writes back with a serializer other than JSON, and leaves a store\'s own merge to it', async function () {
          const serializer = { parse: (text) => JSON.parse(text), stringify: (sess) => JSON.stringify(sess) }
          const store = await storeOf(session, { serializer })
          const calls = countCalls(store)
          const cookie = await sequence(session, store, [])
          calls.reset()
          await request(concurrencyApp(session, { store, merge: true }, 1)).get('/set?key=k1').set('Cookie', cookie).expect(200)
          assert.deepStrictEqual([calls.get, calls.set], [2, 1])
          assert.strictEqual((await stored(cookie)).k1, 'k1')

          const own = await storeOf(session)
          const merges = []
          own.merge = (sid, changes, removedKeys, sess, callback) => { merges.push([sid, changes]); callback() }
          const ownCookie = await sequence(session, own, [])
          await request(concurrencyApp(session, { store: own, merge: true }, 1)).get('/set?key=k2').set('Cookie', ownCookie).expect(200)
          assert.deepStrictEqual(merges, [[idOf(ownCookie), { k2: 'k2' }]])
          assert.strictEqual((await stored(ownCookie)).k2, undefined)
        })
      })
    })
  })
})
