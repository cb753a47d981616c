'use strict'

// Deprecation warnings are asserted in deprecation.spec.js, in a child process; here they are noise.
process.env.NO_DEPRECATION = 'express-session'

// Mocha (10 and 11) can stop without a word and with exit code 0 when its reporter throws while
// describing a failure (the diff of an object without a prototype, in an asynchronous test). A run
// that ends before its root suite has finished fails here instead of passing.
let rootSuiteFinished = false
exports.mochaHooks = {
  afterAll () {
    rootSuiteFinished = true
  }
}
process.on('exit', (code) => {
  if (!rootSuiteFinished && code === 0) {
    console.error('mocha stopped before its run ended (a failure it could not report?)')
    process.exitCode = 1
  }
})
