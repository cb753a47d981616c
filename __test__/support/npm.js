'use strict'

// npm as the specs that pack and install this package run it: the system's npm, at its default
// log level whatever the run of the specs was started with, so that its warnings are seen.

const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')

// npm's own time-outs are generous; a stalled registry fetch fails the spec instead of the whole run
const NPM_TIME_LIMIT = 240000

// Runs npm with `args` in `cwd`; its status and everything it printed on both streams.
function npm (args, cwd) {
  const env = { ...process.env, npm_config_loglevel: 'warn' }
  const result = spawnSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: NPM_TIME_LIMIT, killSignal: 'SIGKILL' })
  if (result.error) throw new Error(`npm ${args.join(' ')}: ${result.error.message}\n${result.stdout}${result.stderr}`)
  return { status: result.status, output: result.stdout + result.stderr, stdout: result.stdout }
}

// npm, failing with its output when it fails.
function npmOk (args, cwd) {
  const result = npm(args, cwd)
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} exited with ${result.status}:\n${result.output}`)
  return result
}

// Packs the package in `dir` into `destination`; the tarball's file name.
function pack (dir, destination, ...flags) {
  return npmOk(['pack', '--silent', '--pack-destination', destination, ...flags], dir).stdout.trim().split('\n').pop()
}

// A fresh private app in `dir` with `specs` installed; npm's output.
function installApp (dir, specs) {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true }))
  return npmOk(['install', '--no-audit', '--no-fund', ...specs], dir).output
}

// The lines of npm's output that are warnings.
const npmWarnings = (output) => output.split('\n').filter((line) => /^npm warn/i.test(line))

module.exports = { installApp, npmWarnings, pack }
