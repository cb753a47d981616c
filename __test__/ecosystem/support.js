'use strict'

// Shared by the ecosystem specs: servers found through the environment, and small request helpers.

const session = require('../..')

// The URL of a server a spec needs. Without it the spec fails in CI (where .ci/run starts the
// servers) and is skipped elsewhere, saying why.
function requireServer (context, variable) {
  const url = process.env[variable]
  if (url) return url
  if (process.env.CI) throw new Error(variable + ' is not set: CI must start the server (scripts/services.sh)')
  context.skip()
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const promisify = (store, method) => (...args) => new Promise((resolve, reject) => {
  store[method](...args, (err, value) => (err ? reject(err) : resolve(value)))
})

module.exports = { requireServer, session, sleep, promisify }
