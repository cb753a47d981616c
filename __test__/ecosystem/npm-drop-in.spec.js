'use strict'

// What a user gets from npm: the packed main package, which carries no binary, installed into a
// fresh app under the name express-session together with the packed per-platform package of this
// machine (npm would pick that one from the optionalDependencies `napi prepublish` adds), next to
// connect-redis, serving requests against a real Redis on the native addon.

const assert = require('assert')
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { requireServer } = require('./support')
const { installApp, pack } = require('../support/npm')

const root = path.join(__dirname, '..', '..')
const listTarball = (file) => execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })

// The addon built here, `express-session-rs.<platform>.node`, and its platform name.
function builtAddon () {
  const file = fs.readdirSync(root).find((name) => /^express-session-rs\..+\.node$/.test(name))
  return file && { file, platform: file.slice('express-session-rs.'.length, -'.node'.length) }
}

describe('npm drop-in: express-session@file:<packed tarball> + the packed platform package', function () {
  this.timeout(300000)
  let scratch

  after(function () {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('installs as express-session and serves sessions through connect-redis on the native addon', function () {
    const redisUrl = requireServer(this, 'REDIS_URL')
    const addon = builtAddon()
    assert.ok(addon, 'no express-session-rs.<platform>.node in the repository: run npm run build')
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-in-'))

    const tarball = pack(root, scratch)
    const files = listTarball(path.join(scratch, tarball))
    assert.doesNotMatch(files, /\.node$/m)
    for (const file of ['core.js', 'native.js', 'fallback/index.js', 'session/memory.js']) {
      assert.match(files, new RegExp('^package/' + file.replace(/\./g, '\\.') + '$', 'm'))
    }

    // the per-platform package as `napi artifacts` fills it: its package.json, README and binary
    const platformDir = path.join(scratch, 'platform')
    fs.cpSync(path.join(root, 'npm', addon.platform), platformDir, { recursive: true })
    fs.copyFileSync(path.join(root, addon.file), path.join(platformDir, addon.file))
    const platformTarball = pack(platformDir, scratch)
    assert.match(listTarball(path.join(scratch, platformTarball)), new RegExp('^package/' + addon.file.replace(/\./g, '\\.') + '$', 'm'))

    const app = path.join(scratch, 'app')
    installApp(app, [`express-session@file:../${tarball}`, `express-session-rs-${addon.platform}@file:../${platformTarball}`, 'connect-redis@9', 'redis@5', 'express@4'])
    fs.copyFileSync(path.join(__dirname, 'drop-in-app.js'), path.join(app, 'drop-in-app.js'))

    // the fallback left to the platform package alone, not to a variable of the test run
    const env = { ...process.env, REDIS_URL: redisUrl }
    delete env.EXPRESS_SESSION_RS_FALLBACK
    const output = execFileSync(process.execPath, ['drop-in-app.js'], { cwd: app, encoding: 'utf8', env })
    assert.deepStrictEqual(JSON.parse(output), {
      name: 'express-session-rs',
      native: true,
      deepRequire: true,
      storeExtendsOurs: true,
      bodies: ['1', '2'],
      storedInRedis: 2
    })
  })
})
