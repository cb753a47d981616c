'use strict'

// The argument checks the native binding gets from napi's conversions: a value of the wrong type
// is a thrown TypeError, never silently coerced, so both cores fail the same way on bad input.
// `undefined` and `null` both mean "absent" where an argument is optional.

function requireString (value, name) {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  return value
}

function optionalString (value, name) {
  return value === undefined || value === null ? undefined : requireString(value, name)
}

function requireBoolean (value, name) {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`)
  return value
}

function optionalNumber (value, name) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`)
  return value
}

module.exports = { optionalNumber, optionalString, requireBoolean, requireString }
