'use strict'

// Each primitive of the core (the Rust addon, or the JavaScript fallback when that is what loaded)
// against the JavaScript that express-session uses for the same job, in one process: ns per
// operation (median of 5 batches) and the speed-up.
//
//   node bench/micro.js                                   # the core that loads here
//   EXPRESS_SESSION_RS_FALLBACK=1 node bench/micro.js     # the JavaScript fallback
//
// Two rows need measurement hooks that the shipped addon leaves out (SessionCodec#sign and the
// threadsafe-function probe). Build them in with `npm run build:probes`, and `npm run build`
// afterwards to go back to the shipped addon; without them those rows are skipped.

const crypto = require('crypto')
const cookie = require('cookie')
const signature = require('cookie-signature')
const uid = require('uid-safe')
const core = require('../core')
const ours = require('..')
const upstream = require('express-session-upstream')

const SECRET = 'bench secret'
const codec = new core.SessionCodec('connect.sid', [Buffer.from(SECRET)])
const id = core.generateSessionId()
const signedValue = signature.sign(id, SECRET)
const header = `_ga=GA1.2.1234567890.1234567890; theme=dark; connect.sid=${encodeURIComponent('s:' + signedValue)}; lang=en`
const dataJson = JSON.stringify({ user: { id: 12345, name: 'user12345' }, views: 3 })
// as loaded: another string with the same text
const savedJson = JSON.stringify({ user: { id: 12345, name: 'user12345' }, views: 3 })
const savedHash = crypto.createHash('sha1').update(savedJson, 'utf8').digest('hex')
const stored = { cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' }, user: { id: 12345, name: 'user12345' }, views: 3 }
const coreName = core.isNative ? 'native' : 'JS fallback'

function time (fn, iterations) {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / iterations
}

function bench (fn, iterations = 200000) {
  time(fn, iterations / 4) // warm up
  const batches = Array.from({ length: 5 }, () => time(fn, iterations))
  return batches.sort((a, b) => a - b)[2]
}

// A store's callback API measured with a counter and a final callback, so deferral is included.
function benchStore (store, iterations = 50000) {
  const ids = Array.from({ length: 1000 }, (_, i) => 'session-' + i)
  return new Promise((resolve) => {
    let pending = ids.length
    for (const sid of ids) store.set(sid, stored, () => { if (--pending === 0) run() })
    function run () {
      const started = process.hrtime.bigint()
      let left = iterations
      const next = () => {
        if (left-- === 0) return resolve(Number(process.hrtime.bigint() - started) / iterations)
        const sid = ids[left % ids.length]
        store.get(sid, (err, sess) => { if (err) throw err; store.set(sid, sess, next) })
      }
      next()
    }
  })
}

const probesMissing = core.isNative
  ? 'skipped: needs the measurement hooks (`npm run build:probes`)'
  : 'skipped: the native addon only'

async function main () {
  const rows = [
    ['sign', () => signature.sign(id, SECRET), typeof codec.sign === 'function' && (() => codec.sign(id))],
    ['unsign', () => signature.unsign(signedValue, SECRET), () => codec.unsign(signedValue)],
    ['read session ID from Cookie header', () => { const v = cookie.parse(header)['connect.sid']; return signature.unsign(v.slice(2), SECRET) }, () => codec.readSessionId(header)],
    ['generate session ID', () => uid.sync(24), () => core.generateSessionId()],
    // express-session hashes the data JSON to tell a change; this package compares the JSON itself
    ['tell whether the data changed', () => crypto.createHash('sha1').update(dataJson, 'utf8').digest('hex') === savedHash, () => dataJson === savedJson],
    ['Set-Cookie value', () => cookie.serialize('connect.sid', 's:' + signature.sign(id, SECRET), { path: '/', httpOnly: true, expires: new Date(Date.now() + 60000) }),
      () => codec.setCookieHeader(id, Date.now() + 60000, undefined, '/', true, false, false, undefined, undefined)]
  ]

  console.log(`core: ${coreName}, node ${process.version}`)
  console.log('')
  console.log(`| operation | JavaScript ns/op | ${coreName} ns/op | speed-up |`)
  console.log('| --- | ---: | ---: | ---: |')
  for (const [name, js, ourFn] of rows) {
    if (!ourFn) {
      console.log(`| ${name} | | ${probesMissing} | |`)
      continue
    }
    const a = bench(js)
    const b = bench(ourFn)
    console.log(`| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(1)}× |`)
  }
  const a = await benchStore(new upstream.MemoryStore())
  const b = await benchStore(new ours.MemoryStore())
  console.log(`| MemoryStore get + set (callback API) | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(1)}× |`)

  console.log('')
  console.log('| calling a JS store function | ns/call |')
  console.log('| --- | ---: |')
  console.log(`| directly, on the main thread | ${bench(() => storeLikeCallback(null, 1)).toFixed(0)} |`)
  if (typeof core.threadsafeCallProbe === 'function') {
    const threadsafe = await threadsafeCallCost(100000)
    console.log(`| through a threadsafe function, from a native thread | ${threadsafe.toFixed(0)} |`)
  } else {
    console.log(`| through a threadsafe function, from a native thread | ${probesMissing} |`)
  }
}

// a sink the callback writes to, so the call is not optimised away
let calls = 0 // eslint-disable-line no-unused-vars
function storeLikeCallback (err, value) {
  if (err) throw err
  calls += value
}

// Wall time per call until `count` calls queued from a native thread have all run on this thread.
function threadsafeCallCost (count) {
  return new Promise((resolve) => {
    let seen = 0
    const started = process.hrtime.bigint()
    core.threadsafeCallProbe((err, value) => {
      storeLikeCallback(err, value)
      if (++seen === count) resolve(Number(process.hrtime.bigint() - started) / count)
    }, count)
  })
}

main()
