'use strict'

const assert = require('assert')
const EventEmitter = require('events')
const util = require('util')
const { ours: session } = require('./support/app')

function InheritedStore () {
  session.Store.call(this)
  this.map = new Map()
}
util.inherits(InheritedStore, session.Store)

class ClassStore extends session.Store {
  constructor () {
    super()
    this.map = new Map()
  }
}

for (const Store of [InheritedStore, ClassStore]) {
  Store.prototype.get = function (sid, cb) { cb(null, this.map.has(sid) ? JSON.parse(this.map.get(sid)) : undefined) }
  Store.prototype.set = function (sid, sess, cb) { this.map.set(sid, JSON.stringify(sess)); cb && cb() }
  Store.prototype.destroy = function (sid, cb) { this.map.delete(sid); cb && cb() }
}

const stored = { cookie: { originalMaxAge: 1000, expires: new Date(Date.now() + 1000).toISOString(), httpOnly: true, path: '/' }, user: 'ann' }

describe('Store', function () {
  it('is an EventEmitter and what session/store exports', function () {
    assert.ok(new InheritedStore() instanceof EventEmitter)
    assert.strictEqual(require('../session/store'), session.Store)
  })

  for (const [label, Store] of [['util.inherits', InheritedStore], ['class extends', ClassStore]]) {
    describe('subclassed with ' + label, function () {
      it('createSession revives the cookie and builds a Session', function () {
        const store = new Store()
        const req = { sessionID: 'abc', sessionStore: store }
        const sess = store.createSession(req, JSON.parse(JSON.stringify(stored)))
        assert.ok(sess instanceof session.Session)
        assert.strictEqual(req.session, sess)
        assert.strictEqual(sess.id, 'abc')
        assert.ok(sess.cookie instanceof session.Cookie)
        assert.ok(sess.cookie.expires instanceof Date)
        assert.strictEqual(sess.cookie.originalMaxAge, 1000)
        assert.strictEqual(sess.user, 'ann')
      })

      it('load answers a Session, or nothing when there is none', function (done) {
        const store = new Store()
        store.set('abc', stored)
        store.load('abc', (err, sess) => {
          assert.ifError(err)
          assert.strictEqual(sess.user, 'ann')
          assert.strictEqual(sess.id, 'abc')
          store.load('missing', (err, none) => {
            assert.ifError(err)
            assert.strictEqual(none, undefined)
            done()
          })
        })
      })

      it('regenerate destroys the old session and generates a new one', function (done) {
        const store = new Store()
        store.set('old', stored)
        const req = { sessionID: 'old' }
        store.generate = (r) => { r.sessionID = 'new'; r.session = { fresh: true } }
        store.regenerate(req, (err) => {
          assert.ifError(err)
          assert.strictEqual(store.map.has('old'), false)
          assert.strictEqual(req.sessionID, 'new')
          done()
        })
      })
    })
  }
})
