'use strict'

// The package as a user on a platform without a prebuilt binary gets it: the tarball `npm pack`
// makes (it carries no `.node`) installed into a fresh app under the name express-session, with no
// per-platform package. Installing it prints no warning that installing express-session's own
// tarball does not; it loads on the JavaScript fallback, says why, and serves real sessions.

const assert = require('assert')
const { execFileSync, spawnSync } = require('child_process')
const express = require('express')
const fs = require('fs')
const os = require('os')
const path = require('path')
const request = require('supertest')
const signature = require('cookie-signature')
const { cookiePair, sessionCookie, sessionIdOf } = require('../support/app')
const { installApp, npmWarnings, pack } = require('../support/npm')

const root = path.join(__dirname, '..', '..')
const FORCE = 'EXPRESS_SESSION_RS_FALLBACK'

// Loads the installed package as a fresh module, with the fallback not forced, so only the missing
// binary decides.
function requireUnforced (dir) {
  const forced = process.env[FORCE]
  delete process.env[FORCE]
  try {
    return require(dir)
  } finally {
    if (forced !== undefined) process.env[FORCE] = forced
  }
}

describe('the packed package without any native binary (an unsupported platform)', function () {
  this.timeout(120000)
  let scratch, manifestBefore, files, installed, ourInstall, upstreamInstall
  let session

  before(function () {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'no-binary-'))
    manifestBefore = fs.readFileSync(path.join(root, 'package.json'), 'utf8')
    const tarball = pack(root, scratch)
    files = execFileSync('tar', ['-tzf', path.join(scratch, tarball)], { encoding: 'utf8' })
    // express-session's own tarball, packed from its installed copy the same way
    const upstreamTarball = pack(path.join(root, 'node_modules', 'express-session-upstream'), scratch, '--ignore-scripts')
    ourInstall = installApp(path.join(scratch, 'ours'), [`express-session@file:../${tarball}`])
    upstreamInstall = installApp(path.join(scratch, 'upstream'), [`express-session@file:../${upstreamTarball}`])
    installed = path.join(scratch, 'ours', 'node_modules', 'express-session')
    session = requireUnforced(installed)
  })

  after(function () {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('packs no binary, and a package.json with only what a consumer needs', function () {
    assert.doesNotMatch(files, /\.node$/m)
    assert.match(files, /^package\/fallback\/index\.js$/m)
    const full = JSON.parse(manifestBefore)
    const packed = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'))
    for (const key of ['scripts', 'devDependencies', 'napi']) assert.ok(!(key in packed), key)
    for (const key of ['name', 'version', 'main', 'types', 'exports', 'engines', 'dependencies', 'peerDependencies']) {
      assert.deepStrictEqual(packed[key], full[key], key)
    }
    // and packing left the repository's package.json as it was
    assert.strictEqual(fs.readFileSync(path.join(root, 'package.json'), 'utf8'), manifestBefore)
  })

  it('installs with no warning that express-session\'s own tarball does not print', function () {
    assert.match(ourInstall, /added \d+ packages?/)
    assert.match(upstreamInstall, /added \d+ packages?/)
    const upstreamWarnings = npmWarnings(upstreamInstall)
    assert.deepStrictEqual(npmWarnings(ourInstall).filter((line) => !upstreamWarnings.includes(line)), [], ourInstall)
    assert.doesNotMatch(ourInstall, /install-scripts|allowScripts|EBADENGINE/)
  })

  it('loads on the JavaScript fallback and keeps the loader\'s error', function () {
    assert.strictEqual(session.native, false)
    const core = require(path.join(installed, 'core'))
    assert.ok(core.loadError instanceof Error)
    assert.match(core.loadError.message, /Cannot find native binding/)
  })

  // napi's own message blames an npm bug; the debug line says what was looked for and what serves
  it('says under DEBUG=express-session which file and package it tried, and that the fallback serves', function () {
    const env = { ...process.env, DEBUG: 'express-session' }
    delete env[FORCE]
    const child = spawnSync(process.execPath, ['-e', 'require("express-session")'], { cwd: path.join(scratch, 'ours'), env, encoding: 'utf8' })
    assert.strictEqual(child.status, 0, child.stderr)
    assert.match(child.stderr, /\.\/express-session-rs\.[\w-]+\.node: no such file; package express-session-rs-[\w-]+: not installed/)
    assert.match(child.stderr, /the native addon did not load \(.+\); the JavaScript fallback serves instead/)
    assert.doesNotMatch(child.stderr, /npm has a bug|Require stack/)
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
