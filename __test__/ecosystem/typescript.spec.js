'use strict'

// index.d.ts accepts what @types/express-session accepts: one strict consumer written for
// express-session compiles unchanged against both, SessionData augmentation included, and beside
// both loaded at once; so do connect-redis's published TypeScript sources and tests.

const assert = require('assert')
const { spawnSync } = require('child_process')
const path = require('path')

const root = path.join(__dirname, '..', '..')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const ourDeclarations = path.join(root, 'index.d.ts')
const typesPackage = path.join(root, 'node_modules', '@types', 'express-session', 'index.d.ts')

// tsc's exit status, its diagnostics, and the files it read (to be sure which declarations it used)
function compile (project) {
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'ts', project), '--listFiles'], { encoding: 'utf8' })
  const lines = result.stdout.split('\n').map((line) => line.trim()).filter(Boolean)
  return {
    status: result.status,
    output: lines.filter((line) => !path.isAbsolute(line)).join('\n') + result.stderr,
    files: lines.filter((line) => path.isAbsolute(line)).map((file) => path.normalize(file))
  }
}

describe('TypeScript declarations', function () {
  this.timeout(60000)

  it('the consumer compiles against express-session with @types/express-session', function () {
    const result = compile('tsconfig.upstream.json')
    assert.strictEqual(result.status, 0, result.output)
    assert.ok(result.files.includes(typesPackage), result.files.join('\n'))
    assert.ok(!result.files.includes(ourDeclarations), result.files.join('\n'))
  })

  it('the same consumer, and the package extras, compile against this package', function () {
    const result = compile('tsconfig.json')
    assert.strictEqual(result.status, 0, result.output)
    assert.ok(result.files.includes(ourDeclarations), result.files.join('\n'))
    assert.ok(!result.files.includes(typesPackage), result.files.join('\n'))
  })

  // A project that switches by installing this package as express-session and keeps
  // @types/express-session in its devDependencies: both sets of declarations are loaded, and tsc
  // checks them (skipLibCheck off) under strict, exactOptionalPropertyTypes and noUncheckedIndexedAccess.
  it('the same consumer compiles with @types/express-session still installed beside this package', function () {
    const result = compile('tsconfig.both.json')
    assert.strictEqual(result.status, 0, result.output)
    assert.ok(result.files.includes(ourDeclarations), result.files.join('\n'))
    assert.ok(result.files.includes(typesPackage), result.files.join('\n'))
  })

  // connect-redis publishes its TypeScript sources and tests; its tests build SessionData literals
  it('connect-redis\'s own sources and tests compile against this package', function () {
    const result = compile(path.join('connect-redis', 'tsconfig.json'))
    assert.strictEqual(result.status, 0, result.output)
    assert.ok(result.files.includes(ourDeclarations), result.files.join('\n'))
    assert.ok(result.files.includes(path.join(root, 'node_modules', 'connect-redis', 'index_test.ts')), result.files.join('\n'))
  })

  it('reject a value of the wrong type for an augmented SessionData key', function () {
    const result = compile('tsconfig.wrong.json')
    assert.notStrictEqual(result.status, 0)
    assert.match(result.output, /wrong\.ts\(5,3\): error TS2322: Type 'string' is not assignable to type 'number'/)
  })
})
