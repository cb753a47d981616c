'use strict'

// Generated middleware options and request sequences, each run against express-session (the
// oracle) and against this package with the same app and the same deterministic genid, comparing
// status, body, Set-Cookie (Expires within a tolerance) and what the store holds after every step.
//
// Reproducible: the seed is fixed unless FC_SEED is set; FC_RUNS sets the number of runs. A failure
// prints the seed, the shrunk scenario and the first step whose outcomes differ.
//
// A difference that is known is not a failure but is listed: each entry below says which package
// is at fault and why, is counted when it shows up, and has its own minimal reproduction, which
// fails once the difference is gone so that the entry is removed.

const assert = require('assert')
const fc = require('fast-check')
const { ours, upstream } = require('./support/app')
const { pathOf, runScenario, scenarioArbitrary, startServer, stopServer } = require('./support/property-differential')

const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20251122
const numRuns = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 500

const step = (name) => ({ action: { name }, under: '/', forwardedHttps: false, cookie: { from: 'latest' } })

const knownDifferences = [
  {
    id: 'auto-from-a-cookie-function',
    where: 'express-session',
    reason: 'express-session honours secure/sameSite \'auto\' only in a plain cookie options object: from a cookie ' +
      'function it keeps the string \'auto\', so a secure cookie is withheld over http and sameSite \'auto\' makes ' +
      'every Set-Cookie throw. This package resolves \'auto\' either way (a documented difference).',
    matches: (scenario) => scenario.options.cookieForm !== 'object' && (scenario.options.cookie.secure === 'auto' || scenario.options.cookie.sameSite === 'auto'),
    reproduction: { options: { genidSequence: [], cookie: { sameSite: 'auto' }, cookieForm: 'function', trustProxy: false, store: 'memory' }, steps: [step('view')] }
  }
]

describe('property-based differential: generated options and request sequences', function () {
  this.timeout(120000)
  const servers = {}
  const seen = new Map(knownDifferences.map((known) => [known.id, 0]))
  let passed = false

  before(async function () {
    servers.ours = await startServer()
    servers.upstream = await startServer()
  })

  after(async function () {
    await stopServer(servers.ours)
    await stopServer(servers.upstream)
    if (!passed) return
    const met = knownDifferences.filter((known) => seen.get(known.id) > 0)
    if (met.length === 0) return
    const counts = met.map((known) => `${known.id}: ${seen.get(known.id)}`).join(', ')
    const total = met.reduce((sum, known) => sum + seen.get(known.id), 0)
    console.log(`\n      (expected: ${total} of ${numRuns} generated runs (seed ${seed}) met a listed, documented difference ` +
      `(${counts}), each with its own reproduction spec; every other run matched express-session)`)
  })

  it(`behaves as express-session but for ${knownDifferences.length} listed difference(s) (${numRuns} runs, seed ${seed})`, async function () {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, async function (scenario) {
      const found = await runScenario(scenario, servers, ours, upstream)
      if (found === null) return

      const known = knownDifferences.find((entry) => entry.matches(scenario, found))
      if (known !== undefined) {
        seen.set(known.id, seen.get(known.id) + 1)
        return
      }
      assert.fail(describeDifference(scenario, found))
    }), { seed, numRuns })
    passed = true
  })

  describe('known differences, each still reproduced', function () {
    for (const known of knownDifferences) {
      it(`${known.id} [${known.where}]: ${known.reason}`, async function () {
        const found = await runScenario(known.reproduction, servers, ours, upstream)
        assert.notStrictEqual(found, null, 'no longer differs: remove this entry from knownDifferences')
        assert.ok(known.matches(known.reproduction, found), describeDifference(known.reproduction, found))
      })
    }
  })
})

function describeDifference (scenario, found) {
  return [
    `step ${found.step} of ${scenario.steps.map(pathOf).join(' ')} differs at ${found.difference.path}`,
    'ours:            ' + JSON.stringify(found.difference.actual),
    'express-session: ' + JSON.stringify(found.difference.expected),
    'ours, whole step:            ' + JSON.stringify(found.actual),
    'express-session, whole step: ' + JSON.stringify(found.expected)
  ].join('\n')
}
