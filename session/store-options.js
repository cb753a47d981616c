'use strict'

// The checks of the embedded stores' numeric options (the MemoryStore's and the DiskStore's), with
// messages that name the store: undefined and null leave an option out.

function optionalPositiveNumber (store, value, name) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(store + ' ' + name + ' option must be a positive number')
  }
  return value
}

// A count (of sessions, of bytes): a fraction would leave the bound to each core's rounding.
function optionalPositiveInteger (store, value, name) {
  const number = optionalPositiveNumber(store, value, name)
  if (number !== undefined && !Number.isInteger(number)) {
    throw new TypeError(store + ' ' + name + ' option must be a whole number')
  }
  return number
}

module.exports = { optionalPositiveInteger, optionalPositiveNumber }
