'use strict'

// Whether a string is well-formed UTF-16, that is, free of lone surrogates. Only such strings
// reach Rust intact: crossing into UTF-8 turns a lone surrogate into U+FFFD, so two different
// strings could arrive as one.

// a high surrogate not followed by a low one, or a low surrogate not preceded by a high one
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

// for Node 18, which lacks String.prototype.isWellFormed
function isWellFormedByPattern (string) {
  return !LONE_SURROGATE.test(string)
}

const isWellFormedString = typeof String.prototype.isWellFormed === 'function'
  ? function isWellFormedString (string) { return string.isWellFormed() }
  : isWellFormedByPattern

// Non-strings pass: what they become on the way to Rust is for the callers' own checks.
function isWellFormed (value) {
  return typeof value !== 'string' || isWellFormedString(value)
}

module.exports = { isWellFormed, isWellFormedByPattern }
