'use strict'

const Module = require('module')

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

module.exports = { requireWithExpressSession }
