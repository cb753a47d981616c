'use strict'

const fs = require('fs')
const Module = require('module')
const path = require('path')

// A fresh copy of module `id` whose `require('express-session')` gets `impl`. Store packages such as
// connect-redis take their Store base class that way, so this gives a store class built on
// whichever session package an app uses.
function requireWithExpressSession (id, impl) {
  const file = require.resolve(id)
  const cached = require.cache[file]
  const load = Module._load
  delete require.cache[file]
  Module._load = function (name, ...rest) {
    return name === 'express-session' ? impl : load.call(this, name, ...rest)
  }
  try {
    return require(file)
  } finally {
    Module._load = load
    if (cached) require.cache[file] = cached
    else delete require.cache[file]
  }
}

// The node_modules npm lays out for an app that depends on this package by its own name and on store
// packages that declare express-session as a peer dependency: this package as express-session-rs,
// express-session itself beside it, and a copy of each store package (a copy, not a link, so that
// its require('express-session') is resolved from `dir`). Returns a require function of an app
// in `dir`.
function layOutWithExpressSession (dir, storePackages) {
  const modules = path.join(dir, 'node_modules')
  fs.mkdirSync(modules, { recursive: true })
  fs.symlinkSync(path.join(__dirname, '..', '..'), path.join(modules, 'express-session-rs'), 'dir')
  fs.symlinkSync(packageDir('express-session-upstream'), path.join(modules, 'express-session'), 'dir')
  for (const name of storePackages) {
    fs.cpSync(packageDir(name), path.join(modules, name), { recursive: true })
  }
  return Module.createRequire(path.join(dir, 'app.js'))
}

// where this repository's devDependency `name` is installed (some packages export no package.json)
function packageDir (name) {
  return fs.realpathSync(path.join(__dirname, '..', '..', 'node_modules', name))
}

module.exports = { layOutWithExpressSession, requireWithExpressSession }
