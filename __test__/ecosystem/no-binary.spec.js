'use strict'

// The package as a user on a platform without a prebuilt binary gets it: the files `npm pack`
// publishes, no `.node` anywhere, no per-platform package installed. It must load on the
// JavaScript fallback, say so, and serve real sessions through Express.

const assert = require('assert')
const { execFileSync } = require('child_process')
const express = require('express')
const fs = require('fs')
const os = require('os')
const path = require('path')
const request = require('supertest')
const signature = require('cookie-signature')
const { cookiePair, sessionCookie, sessionIdOf } = require('../support/app')

const root = path.join(__dirname, '..', '..')
const FORCE = 'EXPRESS_SESSION_RS_FALLBACK'

// The paths `npm pack` would put in the tarball, without running the build that packing triggers.
function packedFiles () {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return JSON.parse(output)[0].files.map((file) => file.path)
}

// A copy of those files with every `.node` removed and the repository's node_modules linked in.
function copyWithoutBinary (destination) {
  for (const file of packedFiles()) {
    fs.mkdirSync(path.dirname(path.join(destination, file)), { recursive: true })
    fs.copyFileSync(path.join(root, file), path.join(destination, file))
  }
  for (const file of nativeBinaries(destination)) fs.rmSync(file)
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(destination, 'node_modules'), 'dir')
}

// Every `.node` file under `dir`, not following links.
function nativeBinaries (dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory()) return nativeBinaries(file)
    return entry.isFile() && entry.name.endsWith('.node') ? [file] : []
  })
}

// Loads the copy as a fresh module, with the fallback not forced, so only the missing binary decides.
function requireUnforced (dir) {
  const forced = process.env[FORCE]
  delete process.env[FORCE]
  try {
    return require(dir)
  } finally {
    if (forced !== undefined) process.env[FORCE] = forced
  }
}

describe('a package without any native binary (an unsupported platform)', function () {
  this.timeout(60000)
  let scratch
  let session

  before(function () {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'no-binary-'))
    const dir = path.join(scratch, 'express-session-rs')
    copyWithoutBinary(dir)
    assert.deepStrictEqual(nativeBinaries(dir), [])
    session = requireUnforced(dir)
  })

  after(function () {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('loads on the JavaScript fallback and keeps the loader\'s error', function () {
    assert.strictEqual(session.native, false)
    const core = require(path.join(scratch, 'express-session-rs', 'core'))
    assert.ok(core.loadError instanceof Error)
    assert.match(core.loadError.message, /Cannot find native binding/)
  })

  it('serves sessions through Express: create, resume, reject a forged cookie, destroy', async function () {
    const store = new session.MemoryStore()
    const app = express()
    app.use(session({ secret: 'no binary', resave: false, saveUninitialized: false, store, cookie: { maxAge: 60000, sameSite: 'lax' } }))
    app.get('/count', (req, res) => { req.session.n = (req.session.n || 0) + 1; res.end(String(req.session.n)) })
    app.get('/logout', (req, res) => req.session.destroy(() => res.end('bye')))

    const first = await request(app).get('/count').expect(200, '1')
    const cookie = sessionCookie(first)
    assert.strictEqual(cookie.attributes.path, '/')
    assert.strictEqual(cookie.attributes.samesite, 'Lax')
    assert.ok(cookie.attributes.httponly)
    assert.ok(Math.abs(new Date(cookie.attributes.expires) - Date.now() - 60000) < 5000)
    const sid = sessionIdOf(first)
    assert.strictEqual(decodeURIComponent(cookie.value), 's:' + signature.sign(sid, 'no binary'))

    await request(app).get('/count').set('Cookie', cookiePair(first)).expect(200, '2')
    const stored = await new Promise((resolve, reject) => store.get(sid, (err, sess) => (err ? reject(err) : resolve(sess))))
    assert.strictEqual(stored.n, 2)
    // read back from the new expiry, so a millisecond may be lost, as with express-session
    assert.ok(Math.abs(stored.cookie.originalMaxAge - 60000) <= 1, String(stored.cookie.originalMaxAge))

    const forged = 'connect.sid=' + encodeURIComponent('s:' + signature.sign(sid, 'wrong secret'))
    const fresh = await request(app).get('/count').set('Cookie', forged).expect(200, '1')
    assert.notStrictEqual(sessionIdOf(fresh), sid)

    await request(app).get('/logout').set('Cookie', cookiePair(first)).expect(200, 'bye')
    const length = await new Promise((resolve, reject) => store.length((err, n) => (err ? reject(err) : resolve(n))))
    assert.strictEqual(length, 1)
  })
})
