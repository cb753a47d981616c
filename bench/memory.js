'use strict'

// Resident memory per session in this package's MemoryStore and in express-session's, each filled
// in a fresh process, then a churn phase: sessions that expire, swept, replaced by new ones.
//
//   npm run bench:memory                 # 1,000,000 sessions
//   SESSIONS=200000 npm run bench:memory

const { execFileSync } = require('child_process')

const count = Number(process.env.SESSIONS) || 1000000

if (process.argv[2] === 'child') {
  child(process.argv[3])
} else {
  console.log(`${count.toLocaleString('en')} sessions like {cookie, user: {id, name}, views}, node ${process.version}`)
  console.log('| store | RSS per session | after 3 rounds of churn (RSS per live session) |')
  console.log('| --- | ---: | ---: |')
  for (const which of ['upstream', 'ours']) {
    const out = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', __filename, 'child', which], { encoding: 'utf8', env: { ...process.env, SESSIONS: String(count) } })
    const { perSession, afterChurn } = JSON.parse(out)
    console.log(`| ${which === 'ours' ? 'express-session-rs MemoryStore' : 'express-session MemoryStore'} | ${perSession.toFixed(0)} B | ${afterChurn === null ? 'n/a (no expiry sweep)' : afterChurn.toFixed(0) + ' B'} |`)
  }
}

function child (which) {
  const session = which === 'ours' ? require('..') : require('express-session-upstream')
  const store = new session.MemoryStore()
  const rss = () => { global.gc(); global.gc(); return process.memoryUsage().rss }
  const sessionFor = (i, expires) => ({
    cookie: { originalMaxAge: 3600000, expires, httpOnly: true, path: '/' },
    user: { id: i, name: 'user' + i },
    views: i % 17
  })
  const idFor = (round, i) => (round + '-' + i + '-abcdefghijklmnopqrstuvwxyz0123456789').slice(0, 32)

  const base = rss()
  const later = new Date(Date.now() + 3600000).toISOString()
  for (let i = 0; i < count; i++) store.set(idFor('a', i), sessionFor(i, later))
  const full = rss()
  const perSession = (full - base) / count
  for (let i = 0; i < count; i++) store.destroy(idFor('a', i))

  let afterChurn = null
  if (which === 'ours') {
    // the first sessions are gone; three rounds of sessions that expire, are swept, and are replaced
    for (const round of ['b', 'c', 'd']) {
      const soon = new Date(Date.now() + 50).toISOString()
      for (let i = 0; i < count; i++) store.set(idFor(round, i), sessionFor(i, soon))
      const wait = Date.now() + 60
      while (Date.now() < wait);
      store.length(() => {})
    }
    for (let i = 0; i < count; i++) store.set(idFor('e', i), sessionFor(i, later))
    afterChurn = (rss() - base) / count
  }
  process.stdout.write(JSON.stringify({ perSession, afterChurn }))
}
