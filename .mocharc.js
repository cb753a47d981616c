'use strict'

module.exports = {
  require: ['__test__/support/env.js'],
  timeout: 10000
}
