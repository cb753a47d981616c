'use strict'

// What a user gets from npm: the packed tarball installed into a fresh app under the name
// express-session, next to connect-redis, serving requests against a real Redis.

const assert = require('assert')
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')
const { requireServer } = require('./support')

const root = path.join(__dirname, '..', '..')
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

describe('npm drop-in: express-session@file:<packed tarball>', function () {
  this.timeout(300000)
  let scratch

  after(function () {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true })
  })

  it('installs as express-session and serves sessions through connect-redis', function () {
    const redisUrl = requireServer(this, 'REDIS_URL')
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'drop-in-'))
    const tarball = npm(['pack', '--silent', '--pack-destination', scratch], root).trim().split('\n').pop()
    const files = execFileSync('tar', ['-tzf', path.join(scratch, tarball)], { encoding: 'utf8' })
    assert.match(files, /package\/express-session-rs\.linux-x64-gnu\.node/)
    assert.match(files, /package\/session\/memory\.js/)

    const app = path.join(scratch, 'app')
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }))
    npm(['install', '--no-audit', '--no-fund', '--loglevel=error', `express-session@file:../${tarball}`, 'connect-redis@9', 'redis@5', 'express@4'], app)
    fs.copyFileSync(path.join(__dirname, 'drop-in-app.js'), path.join(app, 'drop-in-app.js'))

    const output = execFileSync(process.execPath, ['drop-in-app.js'], { cwd: app, encoding: 'utf8', env: { ...process.env, REDIS_URL: redisUrl } })
    assert.deepStrictEqual(JSON.parse(output), {
      name: 'express-session-rs',
      deepRequire: true,
      storeExtendsOurs: true,
      bodies: ['1', '2'],
      storedInRedis: 2
    })
  })
})
