'use strict'

// What a user gets from npm: the packed main package, which carries no binary, installed into a
// fresh app under the name express-session together with the packed per-platform package of this
// machine (npm would pick that one from the optionalDependencies `napi prepublish` adds), next to
// connect-redis, serving requests against a real Redis on the native addon. The tarballs are those
// `npm run pack:local` makes, the README's way to install the package from a clone.

const assert = require('assert')
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { requireServer } = require('./support')
const { installApp } = require('../support/npm')
const { packLocal } = require('../../scripts/pack-local')

const listTarball = (file) => execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })

describe('npm drop-in: the tarballs npm run pack:local makes, installed as the README says', function () {
  this.timeout(300000)
  let scratch

  after(function () {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('installs as express-session and serves sessions through connect-redis on the native addon', function () {
    const redisUrl = requireServer(this, 'REDIS_URL')
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-in-'))

    const { main, binary, platform } = packLocal(scratch)
    const files = listTarball(main)
    assert.doesNotMatch(files, /\.node$/m)
    for (const file of ['core.js', 'native.js', 'fallback/index.js', 'session/memory.js']) {
      assert.match(files, new RegExp('^package/' + file.replace(/\./g, '\\.') + '$', 'm'))
    }
    // the per-platform package as `napi artifacts` fills it: its package.json, README and binary
    const addon = `express-session-rs.${platform}.node`
    assert.match(listTarball(binary), new RegExp('^package/' + addon.replace(/\./g, '\\.') + '$', 'm'))

    const app = path.join(scratch, 'app')
    installApp(app, [`express-session@file:${main}`, `express-session-rs-${platform}@file:${binary}`, 'connect-redis@9', 'redis@5', 'express@4'])
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
