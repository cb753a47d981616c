'use strict'

// Deprecation warnings are asserted in deprecation.spec.js, in a child process; here they are noise.
process.env.NO_DEPRECATION = 'express-session'
