'use strict'

// A small deterministic generator (mulberry32): numbers in [0, 1) from a seed, so that a spec
// driven by generated inputs repeats the same sequence and a failure can be replayed.

function seededRandom (seed) {
  let state = seed >>> 0
  return function next () {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

module.exports = seededRandom
