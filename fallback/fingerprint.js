'use strict'

// The change fingerprint of a session's data JSON: the first 53 bits of its SHA-256, an integer a
// Number holds exactly. It is the value the native core computes, so the two cores agree.

const { createHash } = require('crypto')
const { requireString } = require('./arguments')

const LOW_BITS = 2 ** 21

function fingerprint (dataJson) {
  const digest = createHash('sha256').update(requireString(dataJson, 'dataJson'), 'utf8').digest()
  // 32 high bits, then the top 21 bits of the next word
  return digest.readUInt32BE(0) * LOW_BITS + (digest.readUInt32BE(4) >>> 11)
}

module.exports = fingerprint
