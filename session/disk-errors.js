'use strict'

// The DiskStore's errors: each has a `code` (ERR_DISK_STORE_..., listed in the README), and the
// native store says that code in brackets at the start of its message, which is moved to `code`.

function codedError (code, message) {
  const err = new Error(message)
  err.code = code
  return err
}

// An error of the native store with its bracketed code moved to `code`; any other error as it is.
function storeError (err) {
  const match = /^\[([A-Z_]+)\] /.exec(err && err.message)
  if (match === null) return err
  return codedError(match[1], err.message.slice(match[0].length))
}

module.exports = { codedError, storeError }
