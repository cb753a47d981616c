'use strict'

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')

describe('ES modules', function () {
  it('import session and the named classes', function () {
    // the package imports itself by name, which node resolves through package.json "exports"
    const result = spawnSync(process.execPath, [path.join(__dirname, 'esm-consumer.mjs')], { encoding: 'utf8', cwd: path.join(__dirname, '..', '..') })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.deepStrictEqual(JSON.parse(result.stdout), { status: 200, cookie: true, stored: 1 })
  })
})
