'use strict'

// The DiskStore shared by real processes on one directory: independent servers, cluster workers,
// worker threads, writers killed with SIGKILL, and expiry seen from another process than the one
// that saved.

const assert = require('assert')
const fs = require('fs')
const request = require('supertest')
const { Worker } = require('worker_threads')
const session = require('..')
const { cookiePair } = require('./support/app')
const { requireDiskStore, startServer, startWriter, tempDir } = require('./support/disk-processes')

const N = 50
const keysOf = (data) => Object.keys(data).filter((key) => /^k\d+$/.test(key)).sort()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function init (url) {
  return cookiePair(await request(url).get('/init').expect(200))
}

async function who (url, cookie) {
  return (await request(url).get('/who').set('Cookie', cookie).expect(200)).body
}

// request i goes to urls[i % urls.length]; each waits until the others have loaded (delay), then
// sets its own key
function fireAcross (urls, cookie) {
  return Promise.all(Array.from({ length: N }, (_, i) =>
    request(urls[i % urls.length]).get(`/set?key=k${i}&delay=${150 + i * 2}`).set('Cookie', cookie).expect(200)))
}

describe('DiskStore across processes', function () {
  this.timeout(60000)
  const running = []

  before(function () {
    requireDiskStore(this)
  })

  afterEach(async function () {
    await Promise.all(running.splice(0).map((server) => server.stop()))
  })

  async function server (dir, options) {
    const started = await startServer(dir, options)
    running.push(started)
    return started
  }

  it('a session saved by one process is read and updated by another', async function () {
    const dir = tempDir('shared')
    const a = await server(dir)
    const b = await server(dir)
    const cookie = await init(a.url)
    const seen = await who(b.url, cookie)
    assert.notStrictEqual(seen.pid, a.child.pid)
    assert.deepStrictEqual(seen.data, { base: 'kept', doomed: 'here' })

    await request(b.url).get('/set?key=fromB').set('Cookie', cookie).expect(200)
    assert.strictEqual((await who(a.url, cookie)).data.fromB, 'fromB')
  })

  it('a process that read a session sees another process\'s later save and destroy of it', async function () {
    const dir = tempDir('kept-then-changed')
    const a = await server(dir)
    const b = await server(dir)
    const cookie = await init(a.url)
    // read twice by A, which then holds it as read (see session/committed-sessions.js)
    await who(a.url, cookie)
    assert.deepStrictEqual((await who(a.url, cookie)).data, { base: 'kept', doomed: 'here' })
    await request(b.url).get('/set?key=fromB').set('Cookie', cookie).expect(200)
    assert.strictEqual((await who(a.url, cookie)).data.fromB, 'fromB')
    await who(a.url, cookie)
    await request(b.url).get('/destroy').set('Cookie', cookie).expect(200)
    const after = await who(a.url, cookie)
    assert.deepStrictEqual(after.data, {}, 'A read the session B destroyed')
  })

  it('cluster workers on one port share every session', async function () {
    const dir = tempDir('cluster')
    const primary = await server(dir, { workers: 2 })
    const cookie = await init(primary.url)
    const pids = new Set()
    for (let i = 0; i < 40 && pids.size < 2; i++) {
      const seen = await who(primary.url, cookie)
      assert.deepStrictEqual(seen.data, { base: 'kept', doomed: 'here' })
      pids.add(seen.pid)
    }
    assert.strictEqual(pids.size, 2, 'both workers answered, and each found the session')
  })

  it(`with merge, ${N} concurrent writers spread over 3 processes keep ${N} of ${N} keys; without, keys are lost`, async function () {
    const merged = tempDir('merge')
    const servers = await Promise.all([0, 1, 2].map(() => server(merged, { session: { merge: true } })))
    const urls = servers.map((s) => s.url)
    const cookie = await init(urls[0])
    await fireAcross(urls, cookie)
    assert.deepStrictEqual(keysOf((await who(urls[1], cookie)).data).length, N)
    assert.strictEqual((await who(urls[2], cookie)).data.base, 'kept')

    const plain = tempDir('no-merge')
    const others = await Promise.all([0, 1, 2].map(() => server(plain)))
    const otherCookie = await init(others[0].url)
    await fireAcross(others.map((s) => s.url), otherCookie)
    const kept = keysOf((await who(others[0].url, otherCookie)).data).length
    assert.ok(kept < N, `without merge the last writers win (${kept} of ${N} kept)`)
  })

  it(`with merge, ${N} concurrent writers over 3 cluster workers keep ${N} of ${N} keys`, async function () {
    const dir = tempDir('cluster-merge')
    const primary = await server(dir, { workers: 3, session: { merge: true } })
    const cookie = await init(primary.url)
    await fireAcross([primary.url], cookie)
    assert.strictEqual(keysOf((await who(primary.url, cookie)).data).length, N)
  })

  it('a merge in one process does not bring back a session another destroyed', async function () {
    const dir = tempDir('merge-destroyed')
    const a = await server(dir, { session: { merge: true } })
    const b = await server(dir, { session: { merge: true } })
    const cookie = await init(a.url)
    const [, destroyed] = await Promise.all([
      request(a.url).get('/set?key=late&delay=300').set('Cookie', cookie).expect(200),
      sleep(100).then(() => request(b.url).get('/destroy').set('Cookie', cookie).expect(200))
    ])
    assert.strictEqual(destroyed.text, 'destroyed')
    const after = await who(b.url, cookie)
    assert.deepStrictEqual(after.data, {}, 'the late merge found nothing to merge into')
  })

  for (const durability of ['process', 'fsync']) {
    it(`durability '${durability}': sessions confirmed before a kill -9 are there after a restart`, async function () {
      const dir = tempDir('kill-' + durability)
      const first = await server(dir, { disk: { durability } })
      const cookie = await init(first.url)
      await request(first.url).get('/set?key=confirmed').set('Cookie', cookie).expect(200)
      first.child.kill('SIGKILL')
      assert.strictEqual((await first.exited).signal, 'SIGKILL')

      const second = await server(dir, { disk: { durability } })
      assert.deepStrictEqual((await who(second.url, cookie)).data, { base: 'kept', doomed: 'here', confirmed: 'confirmed' })
    })

    it(`durability '${durability}': a writer killed mid-stream loses none of the saves it was told of`, async function () {
      const dir = tempDir('kill-writer-' + durability)
      const writer = startWriter(dir, { disk: { durability } })
      while (writer.lines.length < 100) await sleep(10)
      writer.child.kill('SIGKILL')
      await writer.exited
      const confirmed = writer.lines.filter((line) => line.startsWith('saved ')).map((line) => line.slice(6))
      assert.ok(confirmed.length >= 100)

      const store = new session.DiskStore({ path: dir, durability })
      const stored = await new Promise((resolve, reject) => store.all((err, all) => (err ? reject(err) : resolve(all))))
      const missing = confirmed.filter((id) => !(id in stored))
      assert.deepStrictEqual(missing, [], 'every confirmed save survived')
      for (const id of confirmed) assert.strictEqual(stored[id].n, Number(id.slice(1)))
      store.stopInterval()
    })
  }

  it('a session expires for every process, and a sweep in one empties the store for all', async function () {
    const dir = tempDir('expiry')
    const a = await server(dir, { session: { cookie: { maxAge: 800 } }, disk: { checkPeriod: false } })
    const b = await server(dir, { session: { cookie: { maxAge: 800 } }, disk: { checkPeriod: 200 } })
    const cookie = await init(a.url)
    assert.deepStrictEqual((await who(b.url, cookie)).data, { base: 'kept', doomed: 'here' })
    assert.strictEqual((await request(a.url).get('/stats').expect(200)).body.sessions, 1)

    await sleep(1300)
    for (const url of [a.url, b.url]) {
      const seen = await who(url, cookie)
      assert.deepStrictEqual(seen.data, {}, 'expired: a new, empty session')
    }
    // b's sweeper deleted it; a counts what the store holds
    assert.strictEqual((await request(a.url).get('/stats').expect(200)).body.sessions, 0)
  })

  it('worker threads of one process share the store', async function () {
    const dir = tempDir('threads')
    const store = new session.DiskStore({ path: dir })
    await new Promise((resolve, reject) => store.set('from-main', { cookie: { path: '/' }, who: 'main' }, (err) => (err ? reject(err) : resolve())))
    const script = `
      const { parentPort, workerData } = require('worker_threads')
      const session = require(workerData.root)
      const store = new session.DiskStore({ path: workerData.dir })
      store.get('from-main', (err, sess) => {
        store.set('from-thread', { cookie: { path: '/' }, who: 'thread' }, (err2) => parentPort.postMessage({ err: err || err2, sess }))
      })`
    const worker = new Worker(script, { eval: true, workerData: { root: require.resolve('..'), dir } })
    const reply = await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))
    await worker.terminate()
    assert.ifError(reply.err)
    assert.strictEqual(reply.sess.who, 'main')
    const fromThread = await new Promise((resolve, reject) => store.get('from-thread', (err, sess) => (err ? reject(err) : resolve(sess))))
    assert.strictEqual(fromThread.who, 'thread')
    store.stopInterval()
    assert.ok(fs.existsSync(dir))
  })
})
