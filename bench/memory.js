'use strict'

// Resident memory per session in this package's MemoryStore and in express-session's, each in a
// fresh process, filled the way a server fills it: through the store's callback API, a batch of
// sessions at a time whose callbacks all arrive before the next batch starts. Then a churn phase:
// three rounds of sessions that expire, are dropped by `length()` (both stores discard expired
// sessions there), and are replaced, ending with a full set of live sessions; reused memory keeps
// the RSS per live session where it was after the first fill.
//
//   npm run bench:memory                 # 1,000,000 sessions
//   SESSIONS=200000 npm run bench:memory

const { execFileSync } = require('child_process')
const { BATCH_SIZE: batchSize, fillStore, idFor, promisify } = require('./fill')

const count = Number(process.env.SESSIONS) || 1000000
const hour = 3600000
// how long the store is left idle after its sessions have expired, before its memory is read
const idleMs = 2000

if (process.argv[2] === 'child') {
  child(process.argv[3]).catch((err) => {
    console.error(err)
    process.exit(1)
  })
} else {
  report()
}

function report () {
  const date = new Date().toISOString().slice(0, 10)
  console.log(`${count.toLocaleString('en')} sessions like {cookie, user: {id, name}, views}, set in batches of ${batchSize.toLocaleString('en')}; node ${process.version}, ${date}`)
  console.log()
  console.log('| store | RSS per session | of which JS heap | RSS per live session after 3 rounds of churn | RSS once every session expired, against before the fill | store\'s own count of bytes per session |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const which of ['upstream', 'ours']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', __filename, 'child', which], {
      encoding: 'utf8',
      env: { ...process.env, SESSIONS: String(count) }
    })
    const { perSession, jsHeapPerSession, afterChurn, afterExpiry, countedBytes } = JSON.parse(out)
    const name = which === 'ours' ? 'express-session-rs MemoryStore' : 'express-session MemoryStore'
    const counted = countedBytes === null ? 'n/a' : countedBytes.toFixed(0) + ' B'
    console.log(`| ${name} | ${perSession.toFixed(0)} B | ${jsHeapPerSession.toFixed(0)} B | ${afterChurn.toFixed(0)} B | ${afterExpiry.toFixed(2)} × | ${counted} |`)
  }
}

async function child (which) {
  const session = which === 'ours' ? require('..') : require('express-session-upstream')
  const store = new session.MemoryStore()
  const usage = () => {
    global.gc()
    global.gc()
    return process.memoryUsage()
  }

  const base = usage()
  await fillStore(session, store, { count, round: 'a', maxAge: hour })
  const full = usage()
  const perSession = (full.rss - base.rss) / count
  // V8's heap; for this package's store mostly the young generation, which grows to its maximum
  // under any steady allocation (a busy server's has long done so) and stays
  const jsHeapPerSession = (full.heapTotal - base.heapTotal) / count
  const countedBytes = typeof store.stats === 'function' ? store.stats().bytes / count : null

  for (let i = 0; i < count; i++) store.destroy(idFor('a', i))
  for (const round of ['b', 'c', 'd']) {
    await fillStore(session, store, { count, round, maxAge: 50 })
    await sleep(60)
    await promisify((done) => store.length(done))
  }
  await fillStore(session, store, { count, round: 'e', maxAge: hour })
  const afterChurn = (usage().rss - base.rss) / count

  // every session gone: the live ones destroyed, then a last full set that expires and is swept
  for (let i = 0; i < count; i++) store.destroy(idFor('e', i))
  await fillStore(session, store, { count, round: 'f', maxAge: 50 })
  await sleep(60)
  await promisify((done) => store.length(done))
  await sleep(idleMs)
  const afterExpiry = usage().rss / base.rss

  process.stdout.write(JSON.stringify({ perSession, jsHeapPerSession, afterChurn, afterExpiry, countedBytes }))
}

function sleep (ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
