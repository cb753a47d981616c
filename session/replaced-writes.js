'use strict'

// The writes of a turn's queue that a later save of the same session replaces. A save writes the
// session's cookie, expiry and data whole, so no earlier write of that session (a save, a touch, a
// destroy) changes what the storage ends with, and the stores that queue their writes per turn
// (the MemoryStore and the DiskStore) do not hand those to the addon. Concurrent requests of one
// session, each saving it, are what makes them.

// For each of `writes` (objects with a `key`), the place of the later save that replaces it, or -1;
// null when none is replaced (a turn's writes are mostly of different sessions). `isSave(write)`
// tells the saves.
function replacingSaves (writes, isSave) {
  if (writes.length < 2) return null
  let replacing = null
  const laterSave = new Map()
  for (let i = writes.length - 1; i >= 0; i--) {
    const write = writes[i]
    const save = laterSave.get(write.key)
    if (save !== undefined) {
      if (replacing === null) replacing = new Array(writes.length).fill(-1)
      replacing[i] = save
    } else if (isSave(write)) {
      laterSave.set(write.key, i)
    }
  }
  return replacing
}

module.exports = { replacingSaves }
