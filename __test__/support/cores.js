'use strict'

// Both cores, for specs that hold them to the same results: [label, load(mochaContext)] pairs. The
// addon is loaded straight through addon.js, whatever core the package itself chose; where it
// does not load (no binary built for this platform) its specs are marked pending, not passed.

const path = require('path')

const root = path.join(__dirname, '..', '..')

function loadNative (context) {
  try {
    return require(path.join(root, 'addon'))
  } catch (err) {
    console.log(`      (pending: the native addon does not load here: ${err.message})`)
    context.skip()
  }
}

const loadFallback = () => require(path.join(root, 'fallback'))

module.exports = {
  cores: [['native', loadNative], ['JavaScript fallback', loadFallback]],
  loadFallback,
  loadNative
}
