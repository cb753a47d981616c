'use strict'

// express-session's deprecation warnings, printed by depd to stderr, with the same messages.

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')

function warningsFor (options) {
  const script = `require(${JSON.stringify(path.resolve(__dirname, '..'))})(${options})`
  const env = { ...process.env }
  delete env.NO_DEPRECATION
  const child = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' })
  assert.strictEqual(child.status, 0, child.stderr)
  return child.stderr
}

describe('deprecation warnings', function () {
  it('for undefined resave, saveUninitialized and secret', function () {
    const stderr = warningsFor('{}')
    assert.match(stderr, /express-session deprecated undefined resave option; provide resave option/)
    assert.match(stderr, /express-session deprecated undefined saveUninitialized option; provide saveUninitialized option/)
    assert.match(stderr, /express-session deprecated req\.secret; provide secret option/)
  })

  it('none when every option is given', function () {
    assert.strictEqual(warningsFor("{ secret: 's', resave: false, saveUninitialized: false }"), '')
  })
})
