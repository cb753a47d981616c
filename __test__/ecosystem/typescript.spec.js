'use strict'

// index.d.ts lets code typed against express-session compile unchanged, augmentation included.

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')

const tsc = path.join(__dirname, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc')
const compile = (project) => spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'ts', project)], { encoding: 'utf8' })

describe('TypeScript declarations', function () {
  this.timeout(60000)

  it('compile a strict consumer written for express-session', function () {
    const result = compile('tsconfig.json')
    assert.strictEqual(result.status, 0, result.stdout + result.stderr)
  })

  it('reject a value of the wrong type for an augmented SessionData key', function () {
    const result = compile('tsconfig.wrong.json')
    assert.notStrictEqual(result.status, 0)
    assert.match(result.stdout, /wrong\.ts\(5,3\): error TS2322: Type 'string' is not assignable to type 'number'/)
  })
})
