'use strict'

// The DiskStore under bad conditions: a damaged, truncated or newer file, other options than the
// store was made with, a path that is not a directory, a full store, a read-only and a full disk.
// Each must end in a clear error (at open, or through next(err) on the request), never a crash,
// and leave what was stored as it was.

const assert = require('assert')
const fs = require('fs')
const path = require('path')
const request = require('supertest')
const { spawnSync } = require('child_process')
const session = require('..')
const { cookiePair } = require('./support/app')
const { fixtures, requireDiskStore, startServer, tempDir, writeSessions } = require('./support/disk-processes')

const root = path.join(__dirname, '..')

// What `new DiskStore(options)` throws, or null when it opens.
function openError (options) {
  try {
    new session.DiskStore({ checkPeriod: false, ...options }).stopInterval()
    return null
  } catch (err) {
    return err
  }
}

// Sessions a store on `dir` lists, read in a process of its own (this one may not open the
// directory before the damage is undone: a process keeps each store it opened open).
function countInChild (dir, options = {}) {
  const script = `
    const session = require(${JSON.stringify(root)})
    try {
      const store = new session.DiskStore({ path: ${JSON.stringify(dir)}, checkPeriod: false, ...${JSON.stringify(options)} })
      store.all((err, all) => console.log(JSON.stringify(err ? { code: err.code, message: err.message } : { ids: Object.keys(all).sort() })))
    } catch (err) {
      console.log(JSON.stringify({ code: err.code, message: err.message }))
    }`
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 })
  assert.strictEqual(child.status, 0, `the process did not crash (status ${child.status}, signal ${child.signal}): ${child.stderr}`)
  return JSON.parse(child.stdout)
}

const sorted = (ids) => [...ids].sort()

describe('DiskStore under bad conditions', function () {
  this.timeout(60000)

  before(function () {
    requireDiskStore(this)
  })

  it('refuses a data file that is not a store, and leaves it as it was', function () {
    const dir = tempDir('garbage')
    const garbage = Buffer.alloc(64 * 1024, 0x5a)
    fs.writeFileSync(path.join(dir, 'data.mdb'), garbage)
    const err = openError({ path: dir })
    assert.strictEqual(err.code, 'ERR_DISK_STORE_DAMAGED')
    assert.match(err.message, /not a store's file or is damaged/)
    assert.ok(fs.readFileSync(path.join(dir, 'data.mdb')).equals(garbage))
  })

  it('refuses a truncated store, and a store whose pages were overwritten, without crashing', async function () {
    const truncated = tempDir('truncated')
    await writeSessions(truncated, 200)
    const file = path.join(truncated, 'data.mdb')
    const length = fs.statSync(file).size
    fs.truncateSync(file, 3 * 4096)
    const err = openError({ path: truncated })
    assert.strictEqual(err.code, 'ERR_DISK_STORE_DAMAGED')
    assert.match(err.message, /truncated/)
    assert.ok(length > 3 * 4096)
    assert.strictEqual(fs.statSync(file).size, 3 * 4096, 'the file is left as it was')

    const overwritten = tempDir('overwritten')
    await writeSessions(overwritten, 200)
    const data = fs.readFileSync(path.join(overwritten, 'data.mdb'))
    data.fill(0xa5, 2 * 4096)
    fs.writeFileSync(path.join(overwritten, 'data.mdb'), data)
    assert.strictEqual(countInChild(overwritten).code, 'ERR_DISK_STORE_DAMAGED')
  })

  // Random bytes over one page at a time, every page after the two meta pages in turn: without the
  // check at open, reading some of these files faults (SIGSEGV or SIGBUS) in the engine. With it,
  // each file is refused at open or, when the page was not one the store uses, reads back whole.
  it('refuses a store with any one page overwritten at random, or reads it whole, and never crashes', async function () {
    this.timeout(180000)
    const source = tempDir('pages')
    const ids = sorted(await writeSessions(source, 200))
    const data = fs.readFileSync(path.join(source, 'data.mdb'))
    const pages = data.length / 4096
    let seed = 20261202
    const randomByte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed >>> 24
    }
    const outcomes = { refused: 0, whole: 0 }
    for (let page = 2; page < pages; page++) {
      const dir = tempDir('page')
      const damaged = Buffer.from(data)
      for (let i = page * 4096; i < (page + 1) * 4096; i++) damaged[i] = randomByte()
      fs.writeFileSync(path.join(dir, 'data.mdb'), damaged)
      const seen = countInChild(dir)
      if (seen.code !== undefined) {
        assert.strictEqual(seen.code, 'ERR_DISK_STORE_DAMAGED', `page ${page}: ${seen.message}`)
        outcomes.refused++
      } else {
        assert.deepStrictEqual(seen.ids, ids, `page ${page} was damaged and the store opened`)
        outcomes.whole++
      }
    }
    assert.ok(pages > 20, `a store of ${pages} pages`)
    assert.ok(outcomes.refused > pages / 3, `refused ${outcomes.refused} of ${pages - 2}`)
  })

  it('says so when the check of an existing file cannot run, and opens unchecked with verify: false', async function () {
    const dir = tempDir('unchecked')
    const ids = sorted(await writeSessions(dir, 20))
    // a process whose execPath names no program cannot start the checking process
    const script = `
      process.execPath = ${JSON.stringify(path.join(dir, 'no-such-node'))}
      const session = require(${JSON.stringify(root)})
      const seen = {}
      try {
        new session.DiskStore({ path: ${JSON.stringify(dir)}, checkPeriod: false })
      } catch (err) {
        seen.checked = { code: err.code, message: err.message }
      }
      const store = new session.DiskStore({ path: ${JSON.stringify(dir)}, checkPeriod: false, verify: false })
      store.all((err, all) => {
        seen.unchecked = err ? { code: err.code } : Object.keys(all).sort()
        console.log(JSON.stringify(seen))
      })`
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 })
    assert.strictEqual(child.status, 0, child.stderr)
    const seen = JSON.parse(child.stdout)
    assert.strictEqual(seen.checked.code, 'ERR_DISK_STORE_IO')
    assert.match(seen.checked.message, /reads every page .* failed .*pass verify: false/)
    assert.deepStrictEqual(seen.unchecked, ids)
  })

  it('refuses a store written in a newer format, and reads it again once the format is one it knows', async function () {
    const dir = tempDir('format')
    const ids = await writeSessions(dir, 5)
    const file = path.join(dir, 'data.mdb')
    const original = fs.readFileSync(file)
    // the format version is the meta record "format" = "1"; make it "9" in place
    const marker = Buffer.from('format1')
    assert.ok(original.indexOf(marker) !== -1, 'the format record is in the file')
    const newer = Buffer.from(original)
    for (let at = newer.indexOf(marker); at !== -1; at = newer.indexOf(marker, at + 1)) newer[at + marker.length - 1] = 0x39
    fs.writeFileSync(file, newer)

    const refused = countInChild(dir)
    assert.strictEqual(refused.code, 'ERR_DISK_STORE_FORMAT')
    assert.match(refused.message, /format 9 by a newer version/)
    fs.writeFileSync(file, original)
    assert.deepStrictEqual(countInChild(dir).ids, sorted(ids))
  })

  it('refuses other max or ttl than the store was created with by another process, and loses nothing', async function () {
    const dir = tempDir('options')
    const ids = await writeSessions(dir, 5, { max: 100 })
    for (const options of [{}, { max: 200 }, { max: 100, ttl: 1000 }]) {
      const err = openError({ path: dir, ...options })
      assert.strictEqual(err.code, 'ERR_DISK_STORE_OPTIONS', JSON.stringify(options))
      assert.match(err.message, /created with max=100, ttl=none/)
    }
    const store = new session.DiskStore({ path: dir, max: 100 })
    const all = await new Promise((resolve, reject) => store.all((err, sessions) => (err ? reject(err) : resolve(sessions))))
    assert.deepStrictEqual(Object.keys(all).sort(), sorted(ids))
    assert.strictEqual(openError({ path: dir, max: 100, durability: 'fsync' }).code, 'ERR_DISK_STORE_OPTIONS', 'one process, one durability per store')
    store.stopInterval()
  })

  it('refuses a path that is a file, and bad options', function () {
    const dir = tempDir('file')
    const file = path.join(dir, 'plain-file')
    fs.writeFileSync(file, 'keep me')
    assert.strictEqual(openError({ path: file }).code, 'ERR_DISK_STORE_PATH')
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'keep me')
    assert.throws(() => new session.DiskStore(), /path option/)
    assert.throws(() => new session.DiskStore({ path: dir, durability: 'sometimes' }), /durability/)
    assert.throws(() => new session.DiskStore({ path: dir, max: 1.5 }), /whole number/)
    assert.throws(() => new session.DiskStore({ path: dir, verify: 'yes' }), /verify option must be a boolean/)
  })

  it('creates the directory and its files owner-only', async function () {
    const dir = path.join(tempDir('mode'), 'nested', 'store')
    await writeSessions(dir, 1)
    assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700)
    for (const name of ['data.mdb', 'lock.mdb']) assert.strictEqual(fs.statSync(path.join(dir, name)).mode & 0o777, 0o600, name)
  })

  it('a full store hands the failed save to next(err) and keeps the sessions it has', async function () {
    const dir = tempDir('map-full')
    const server = await startServer(dir, { disk: { mapSize: 512 * 1024 } })
    try {
      const cookie = cookiePair(await request(server.url).get('/init').expect(200))
      let errors = []
      for (let i = 0; i < 100 && errors.length === 0; i++) {
        await request(server.url).get('/blob?size=40000').expect(200)
        errors = (await request(server.url).get('/errors').expect(200)).body
      }
      assert.deepStrictEqual(errors, ['ERR_DISK_STORE_FULL'])
      const kept = await request(server.url).get('/who').set('Cookie', cookie).expect(200)
      assert.strictEqual(kept.body.data.base, 'kept')
      assert.strictEqual(server.child.exitCode, null, 'the server is still running')
    } finally {
      await server.stop()
    }
  })

  it('on a read-only disk, refuses to open with the OS\'s reason; on a full disk, fails the write; both keep what is stored', function () {
    const probe = spawnSync('unshare', ['-rm', 'true'])
    if (probe.error || probe.status !== 0) {
      const why = 'unshare -rm (a private mount namespace, to mount a small tmpfs) is not available here: ' + (probe.error ? probe.error.message : probe.stderr)
      if (process.env.CI) throw new Error(why)
      console.log('      (skipped: ' + why + ')')
      this.skip()
    }
    const dir = tempDir('mounts')
    const child = spawnSync('unshare', ['-rm', process.execPath, path.join(fixtures, 'disk-store-mounts.js'), dir], { encoding: 'utf8', timeout: 60000 })
    assert.strictEqual(child.status, 0, child.stderr)
    const seen = JSON.parse(child.stdout.trim().split('\n').pop())

    assert.deepStrictEqual(seen.written, { done: 5 })
    assert.strictEqual(seen.readOnly.openError, 'ERR_DISK_STORE_IO')
    assert.match(seen.readOnly.message, /Read-only file system/)
    assert.deepStrictEqual(seen.afterReadOnly, { err: null, n: 5 })

    assert.strictEqual(seen.full.code, 'ERR_DISK_STORE_FULL', JSON.stringify(seen.full))
    assert.match(seen.full.message, /no space left on the disk/)
    assert.strictEqual(seen.full.first, 0, 'the first session is still there')
    assert.strictEqual(seen.full.n, seen.full.failedAt, 'every session saved before the disk filled is kept')
    assert.strictEqual(seen.afterFull.again, 99, 'once space is freed, writes succeed again')
  })
})

// runs on both cores: the child is forced onto the fallback
describe('DiskStore on the JavaScript fallback core', function () {
  it('on the JavaScript fallback core, the constructor says why it cannot be', function () {
    const script = `
      try { new (require(${JSON.stringify(root)}).DiskStore)({ path: 'unused' }) } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }`
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, EXPRESS_SESSION_RS_FALLBACK: '1' } })
    const err = JSON.parse(child.stdout)
    assert.strictEqual(err.code, 'ERR_DISK_STORE_NEEDS_NATIVE')
    assert.match(err.message, /needs the native addon.*EXPRESS_SESSION_RS_FALLBACK=1/)
  })
})
