'use strict'

// Lint: the `standard` style (neostandard, its flat-config successor) over the package's own
// JavaScript; the napi-generated loader is left as generated.

const neostandard = require('neostandard')

module.exports = [
  ...neostandard({
    env: ['node', 'mocha'],
    ignores: ['native.js', 'target/**', 'coverage/**', 'npm/**', ...neostandard.resolveIgnoresFromGitignore()]
  })
]
