'use strict'

// Fills a store the way a server fills it: through its callback API, a batch of sessions at a time
// whose callbacks all arrive before the next batch starts. Used by bench/memory.js, and by
// bench/server.js for the rows measured with a million other sessions in the store.

const BATCH_SIZE = 10000

// `count` sessions whose cookies live `maxAge` milliseconds, their IDs marked by `round`.
async function fillStore (session, store, { count, round, maxAge }) {
  for (let start = 0; start < count; start += BATCH_SIZE) {
    const end = Math.min(count, start + BATCH_SIZE)
    await promisify((done) => {
      let pending = end - start
      const stored = (err) => {
        if (err) done(err)
        else if (--pending === 0) done()
      }
      for (let i = start; i < end; i++) {
        store.set(idFor(round, i), sessionFor(session, i, maxAge), stored)
      }
    })
  }
}

function sessionFor (session, i, maxAge) {
  return {
    cookie: new session.Cookie({ maxAge, httpOnly: true, path: '/' }),
    user: { id: i, name: 'user' + i },
    views: i % 17
  }
}

// 32 characters, the length of a generated session ID.
function idFor (round, i) {
  return (round + '-' + i + '-abcdefghijklmnopqrstuvwxyz0123456789').slice(0, 32)
}

function promisify (operation) {
  return new Promise((resolve, reject) => operation((err, value) => (err ? reject(err) : resolve(value))))
}

module.exports = { BATCH_SIZE, fillStore, idFor, promisify }
