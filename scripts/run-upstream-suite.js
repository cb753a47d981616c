#!/usr/bin/env node
'use strict'

// Runs express-session's own mocha suite, unmodified, against this package.
//
//   node scripts/run-upstream-suite.js <path to a checkout of expressjs/session, or its bare git dir>
//
// The checkout's test/ folder is copied into a scratch directory whose index.js and session/*.js
// re-export this package, so the suite's `require('../')` and `require('../session/cookie')` load
// us. Nothing of the checkout is written into this repository; the scratch directory is removed.

const { execFileSync, spawnSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.resolve(__dirname, '..')
const checkout = process.argv[2]

if (!checkout) {
  console.error('usage: node scripts/run-upstream-suite.js <path to an expressjs/session checkout>')
  process.exit(2)
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'upstream-session-suite-'))
try {
  copyUpstreamTests(path.resolve(checkout), path.join(scratch, 'test'))
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'), 'dir')

  // `require('../')` and the deep requires resolve to this package
  fs.writeFileSync(path.join(scratch, 'index.js'), `module.exports = require(${JSON.stringify(root)})\n`)
  fs.mkdirSync(path.join(scratch, 'session'))
  for (const file of ['cookie.js', 'memory.js', 'session.js', 'store.js']) {
    const target = path.join(root, 'session', file)
    fs.writeFileSync(path.join(scratch, 'session', file), `module.exports = require(${JSON.stringify(target)})\n`)
  }

  // the suite's HTTPS tests need a certificate; its own script makes one with openssl
  fs.mkdirSync(path.join(scratch, 'test', 'fixtures'), { recursive: true })
  execFileSync('openssl', [
    'req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '30',
    '-keyout', path.join(scratch, 'test', 'fixtures', 'server.key'),
    '-out', path.join(scratch, 'test', 'fixtures', 'server.crt'),
    '-subj', '/CN=express-session.local'
  ], { stdio: 'ignore' })

  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
  const run = spawnSync(process.execPath, [
    mocha, '--require', 'test/support/env', '--check-leaks', '--reporter', process.env.MOCHA_REPORTER || 'dot', 'test/'
  ], { cwd: scratch, stdio: 'inherit' })

  process.exitCode = run.status === null ? 1 : run.status
} finally {
  fs.rmSync(scratch, { recursive: true, force: true })
}

// A work tree's test/ is copied; a bare repository (a mirror) has its HEAD's test/ exported.
function copyUpstreamTests (source, destination) {
  if (fs.existsSync(path.join(source, 'test', 'session.js'))) {
    fs.cpSync(path.join(source, 'test'), destination, { recursive: true })
    return
  }

  const archive = spawnSync('git', ['--git-dir', source, 'archive', '--format=tar', 'HEAD', 'test'], { maxBuffer: 64 << 20 })
  if (archive.status !== 0) {
    throw new Error('no test/session.js under ' + source + ', and it is not a git repository of expressjs/session')
  }
  fs.mkdirSync(destination)
  execFileSync('tar', ['-x', '-C', path.dirname(destination)], { input: archive.stdout })
}
