'use strict'

const assert = require('assert')
const native = require('../addon')
const upstream = require('express-session-upstream')
const { applyChanges, changedKeys, mergeIntoStore, queuedIdCount, serializeById } = require('../session/merge')
const { changedKeysInJs, mergeDataJson } = require('../fallback/data-json')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// JSON.parse makes "__proto__" an own key, as a session read from a store has it
const data = (json) => JSON.parse(json)

// Cases for changedKeys, as [loaded data JSON or null, current data JSON].
const cases = [
  ['{"a":1,"b":{"x":[1,2]},"c":"same","gone":true}', '{"a":2,"b":{"x":[1,2,3]},"c":"same","new":null}'],
  [null, '{"a":1,"b":2}'],
  ['{}', '{}'],
  ['{"a":1}', '{}'],
  ['{}', '{"a":{}}'],
  ['{"a":1,"b":2,"c":3}', '{"c":3,"a":1,"b":2}'],
  ['{"__proto__":1,"名前":"a","q\\"k":1,"\\ud800":1}', '{"__proto__":2,"名前":"b","q\\"k":1,"\\ud800":1,"😀":0}'],
  ['{"caf\\u00e9":1}', '{"café":1,"tab\\t":"\\u2028"}'],
  ['{"s":"}]\\\\","t":"\\"{"}', '{"s":"}]\\\\","t":"\\"{["}'],
  ['{ "a" : [ 1 , 2 ] , "b" : 1 }', '{"a":[ 1 , 2 ],"b":1}'],
  [JSON.stringify({ big: 'x'.repeat(600), n: 1 }), JSON.stringify({ big: 'x'.repeat(600), n: 2, m: [] })],
  [JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['k' + i, { i }]))),
    JSON.stringify(Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['k' + i, { i: i === 7 ? -1 : i }])))]
]

describe('merge', function () {
  describe('changedKeys', function () {
    it('finds changed, added and removed top-level keys, with the changes as JSON', function () {
      const result = changedKeys(...cases[0])
      assert.deepStrictEqual(result, {
        changed: ['a', 'b', 'new'],
        removed: ['gone'],
        changesJson: '{"a":2,"b":{"x":[1,2,3]},"new":null}'
      })
    })

    it('counts every key as changed without loaded data, and nothing when nothing changed', function () {
      assert.deepStrictEqual(changedKeys(null, '{"a":1,"b":2}'), { changed: ['a', 'b'], removed: [], changesJson: '{"a":1,"b":2}' })
      assert.deepStrictEqual(changedKeys(undefined, '{}'), { changed: [], removed: [], changesJson: '{}' })
      assert.deepStrictEqual(changedKeys('{"a":1,"b":2,"c":3}', '{"c":3,"a":1,"b":2}'), { changed: [], removed: [], changesJson: '{}' })
    })

    it('reads escaped, unicode and prototype keys as JavaScript keys', function () {
      const loaded = JSON.stringify(data('{"__proto__":1,"名前":"a","q\\"k":1,"\\ud800":1,"\\u2028":1}'))
      const session = data(loaded)
      Reflect.set(session, '__proto__', 2) // the own key, as JSON.parse made it
      session['名前'] = 'b'
      session['😀'] = 0
      delete session['\ud800']
      const result = changedKeys(loaded, JSON.stringify(session))
      assert.deepStrictEqual(result.changed, ['__proto__', '名前', '😀'])
      assert.deepStrictEqual(result.removed, ['\ud800'])
      assert.deepStrictEqual(Object.keys(JSON.parse(result.changesJson)), ['__proto__', '名前', '😀'])
      assert.deepStrictEqual(changedKeys('{"caf\\u00e9":1}', '{"café":1}').changed, [])
    })

    it('answers as the native changedKeys does, below and above the length where it hands over', function () {
      for (const [loaded, current] of cases) {
        const expected = native.changedKeys(loaded, current)
        assert.deepStrictEqual(changedKeysInJs(loaded, current), expected, `${loaded} -> ${current}`)
        assert.deepStrictEqual(changedKeys(loaded, current), expected)
      }
    })

    it('throws on text that is not a JSON object', function () {
      for (const bad of ['', '[]', '{', '{"a":1', '{"a":"x}', 'null']) {
        assert.throws(() => changedKeysInJs(null, bad), SyntaxError, bad)
        assert.throws(() => native.changedKeys(null, bad), bad)
      }
      assert.throws(() => changedKeys(null, '{"a":"' + 'x'.repeat(600) + '"'))
    })
  })

  describe('applyChanges', function () {
    it('sets keys in place, appends new ones, removes, and keeps what others wrote', function () {
      const stored = { cookie: { path: '/' }, cart: [], visits: 5, old: true }
      const cookie = { path: '/', expires: null }
      const merged = applyChanges(stored, { cart: ['book'], seen: 1 }, ['old'], cookie)
      assert.strictEqual(merged, stored)
      assert.deepStrictEqual(Object.entries(merged), [['cookie', cookie], ['cart', ['book']], ['visits', 5], ['seen', 1]])
    })

    it('replaces nested values whole and lets removal win', function () {
      const merged = applyChanges({ user: { id: 1, name: 'a', extra: true }, a: 1 }, { user: { id: 1, name: 'b' }, a: 2 }, ['a'], {})
      assert.deepStrictEqual(merged, { user: { id: 1, name: 'b' }, cookie: {} })
    })

    it('adds __proto__ as an own key without touching the prototype', function () {
      const changes = JSON.parse(changedKeys('{}', '{"__proto__":{"polluted":true}}').changesJson)
      const merged = applyChanges({ a: 1 }, changes, [], {})
      assert.strictEqual(Object.getPrototypeOf(merged), Object.prototype)
      assert.strictEqual(merged.polluted, undefined)
      assert.strictEqual(JSON.stringify(merged), '{"a":1,"__proto__":{"polluted":true},"cookie":{}}')
      const removed = applyChanges(data('{"__proto__":1,"b":2}'), {}, ['__proto__'], {})
      assert.deepStrictEqual(Object.keys(removed), ['b', 'cookie'])
    })

    it('answers null, and changes nothing, without a stored session', function () {
      assert.strictEqual(applyChanges(undefined, { a: 1 }, [], {}), null)
      assert.strictEqual(applyChanges(null, { a: 1 }, [], {}), null)
    })

    it('gives the session the native merge gives', function () {
      const store = new native.NativeMemoryStore()
      const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }
      for (const [loaded, current] of cases) {
        // stored now: what was loaded, plus a key another request added meanwhile
        const stored = { cookie, ...data(loaded || '{}'), other: 'request' }
        const { cookie: ignored, ...storedData } = stored
        store.set('s', JSON.stringify(cookie), JSON.stringify(storedData))
        const { removed, changesJson } = changedKeys(loaded, current)
        assert.strictEqual(store.merge('s', changesJson, removed, JSON.stringify(cookie)), true)
        const merged = applyChanges(stored, JSON.parse(changesJson), removed, cookie)
        // the same keys in the same order with the same values (the native merge keeps each value's text as written)
        assert.strictEqual(JSON.stringify(JSON.parse(store.get('s'))), JSON.stringify(merged), `${loaded} -> ${current}`)
      }
    })
  })

  describe('mergeDataJson', function () {
    it('writes the data JSON the native merge writes, byte for byte', function () {
      const store = new native.NativeMemoryStore()
      const extra = [
        ['{"a":1,"b":2,"c":3}', '{"b":20,"d":40,"a":10}', ['c']],
        ['{"a":1}', '{"b":1,"c":0,"b":2,"a":3,"a":4}', []],
        ['{"a":1}', '{"a":2,"b":3}', ['a', 'b']],
        ['{"__proto__":1,"caf\\u00e9":1,"\\ud800":1}', '{"café":2,"__proto__":{"p":1}}', ['\ud800', 'missing']],
        [' { "a" : [ 1 ] } ', '{ "b" : 2 }', []]
      ]
      const fromChanges = cases.map(([loaded, current]) => {
        const { removed, changesJson } = changedKeys(loaded, current)
        return [JSON.stringify({ ...data(loaded || '{}'), other: 'request' }), changesJson, removed]
      })
      for (const [stored, changesJson, removed] of [...extra, ...fromChanges]) {
        store.set('s', null, stored)
        assert.strictEqual(store.merge('s', changesJson, removed), true)
        assert.strictEqual(mergeDataJson(stored, changesJson, removed), store.get('s'), `${stored} + ${changesJson} - ${removed}`)
      }
    })
  })

  describe('serializeById', function () {
    it('runs one ID\'s tasks one at a time in order, other IDs alongside', async function () {
      const log = []
      const task = (name, ms) => (done) => {
        log.push('start ' + name)
        setTimeout(() => {
          log.push('end ' + name)
          done()
        }, ms)
      }
      serializeById('a', task('a1', 30))
      serializeById('a', task('a2', 1))
      serializeById('b', task('b1', 5))
      serializeById('a', task('a3', 1))
      assert.strictEqual(queuedIdCount(), 2)
      await sleep(80)
      assert.deepStrictEqual(log, ['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3'])
      assert.strictEqual(queuedIdCount(), 0)
    })

    it('drains tasks that finish synchronously without growing the stack', function () {
      let ran = 0
      serializeById('sync', (done) => {
        for (let i = 0; i < 100000; i++) serializeById('sync', (next) => { ran++; next() })
        done()
      })
      assert.strictEqual(ran, 100000)
      assert.strictEqual(queuedIdCount(), 0)
    })

    it('ignores a second done', async function () {
      const log = []
      serializeById('twice', (done) => { done(); done(); log.push(1) })
      serializeById('twice', (done) => { log.push(2); setTimeout(() => { log.push(3); done() }, 10) })
      serializeById('twice', (done) => { log.push(4); done() })
      await sleep(30)
      assert.deepStrictEqual(log, [1, 2, 3, 4])
      assert.strictEqual(queuedIdCount(), 0)
    })

    it('lets a throwing task through to its caller and runs the tasks behind it', async function () {
      const log = []
      let release
      serializeById('throws', (done) => { release = done })
      serializeById('throws', () => { throw new Error('task failed') })
      serializeById('throws', (done) => { log.push('after'); done() })
      assert.throws(() => release(), /task failed/)
      await sleep(5)
      assert.deepStrictEqual(log, ['after'])
      assert.strictEqual(queuedIdCount(), 0)

      assert.throws(() => serializeById('throws', () => { throw new Error('first task failed') }), /first task failed/)
      assert.strictEqual(queuedIdCount(), 0)
    })
  })

  describe('mergeIntoStore', function () {
    const set = (store, id, sess) => new Promise((resolve, reject) => store.set(id, sess, (err) => err ? reject(err) : resolve()))
    const get = (store, id) => new Promise((resolve, reject) => store.get(id, (err, sess) => err ? reject(err) : resolve(sess)))
    const merge = (store, id, loaded, current, cookie) => new Promise((resolve, reject) => {
      const { removed, changesJson } = changedKeys(JSON.stringify(loaded), JSON.stringify(current))
      mergeIntoStore(store, id, JSON.parse(changesJson), removed, cookie, (err, merged) => err ? reject(err) : resolve(merged))
    })
    const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }

    it('keeps the writes of concurrent requests that whole-session saves lose', async function () {
      const store = new upstream.MemoryStore()
      const loaded = { cart: [], visits: 0 }
      await set(store, 's', { cookie, ...loaded })

      // two requests loaded the same session; one adds to the cart, the other counts a visit
      const withBook = { cart: ['book'], visits: 0 }
      const counted = { cart: [], visits: 1 }
      await Promise.all([set(store, 's', { cookie, ...withBook }), set(store, 's', { cookie, ...counted })])
      assert.deepStrictEqual(await get(store, 's'), { cookie, cart: [], visits: 1 }) // the book is lost

      await set(store, 's', { cookie, ...loaded })
      const results = await Promise.all([merge(store, 's', loaded, withBook, cookie), merge(store, 's', loaded, counted, cookie)])
      assert.deepStrictEqual(results, [true, true])
      assert.deepStrictEqual(await get(store, 's'), { cookie, cart: ['book'], visits: 1 })
      assert.strictEqual(queuedIdCount(), 0)
    })

    it('does not bring back a destroyed session', async function () {
      const store = new upstream.MemoryStore()
      assert.strictEqual(await merge(store, 'gone', {}, { a: 1 }, cookie), false)
      assert.deepStrictEqual(Object.keys(store.sessions), [])
    })

    it('passes on a store error and frees the queue', async function () {
      const failing = { get: (id, callback) => setImmediate(callback, new Error('store down')), set: () => assert.fail('no set after a failed get') }
      await assert.rejects(merge(failing, 's', {}, { a: 1 }, cookie), /store down/)
      assert.strictEqual(queuedIdCount(), 0)
    })
  })
})
