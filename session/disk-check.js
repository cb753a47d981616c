'use strict'

// Before a process opens a DiskStore's file, every page of it is read, in a process of its own.
// The engine keeps no checksums and trusts its pages: a page damaged on the disk can send a read
// past the file's memory map, which faults, and a fault would end the server, not fail a request.
// Met in the checking process, it ends that process instead, and the store's constructor throws
// ERR_DISK_STORE_DAMAGED. A process checks a directory once, when it first opens it; worker
// threads of a process that has it open share its handle and are not checked again.
//
// Run as a script (`node disk-check.js <directory>`), this file is the checking process: it prints
// one line of JSON, what the walk found or the error it met.

const { spawnSync } = require('child_process')
const fs = require('fs')
const path = require('path')
const debug = require('debug')('express-session')
const core = require('../core')
const { codedError, storeError } = require('./disk-errors')

// A walk reads every page; a million sessions (some 400 MB) take seconds from a cold disk.
const CHECK_TIMEOUT_MS = 5 * 60 * 1000
const ANSWER_KEY = 'diskStoreCheck'

// Throws the store's error when the file in `directory` is damaged (or cannot be read); returns
// when it is intact, is not there yet, or this process has it open already.
function checkStoreFile (directory) {
  if (core.diskStoreIsOpen(directory)) return
  const dataFile = path.join(directory, 'data.mdb')
  let size
  try {
    size = fs.statSync(dataFile).size
  } catch {
    return
  }
  if (size === 0) return
  if (isSingleExecutable()) {
    // process.execPath is the application itself there, which cannot run this file
    debug('DiskStore: %s opened without reading its pages first (a single executable application)', dataFile)
    return
  }

  const child = spawnSync(process.execPath, [__filename, directory], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CHECK_TIMEOUT_MS,
    windowsHide: true
  })
  if (child.error) {
    const reason = child.error.code === 'ETIMEDOUT'
      ? `it did not finish within ${CHECK_TIMEOUT_MS / 60000} minutes`
      : child.error.message
    throw codedError('ERR_DISK_STORE_IO', `DiskStore: the process that reads every page of ${dataFile} before it is ` +
      `opened failed (${reason}); pass verify: false to open the store without that check`)
  }
  const answer = answerIn(child.stdout)
  if (answer !== null && answer.ok) return
  if (answer !== null) throw codedError(answer.code, answer.message)
  if (child.signal !== null || isFaultStatus(child.status)) {
    throw codedError('ERR_DISK_STORE_DAMAGED', `DiskStore: ${dataFile} is damaged: reading its pages crashed the ` +
      `process that checks it before it is opened (${child.signal || 'status ' + child.status}); restore it from a ` +
      'copy or move it away')
  }
  throw codedError('ERR_DISK_STORE_IO', `DiskStore: the process that reads every page of ${dataFile} before it is ` +
    `opened ended with status ${child.status} without an answer: ${String(child.stderr).trim().split('\n').pop()}`)
}

// The checking process's answer: its last line of JSON that carries one (a module the environment
// preloads may print lines of its own).
function answerIn (stdout) {
  const lines = String(stdout).trim().split('\n').reverse()
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line)
      if (parsed !== null && typeof parsed === 'object' && parsed[ANSWER_KEY] === 1) return parsed
    } catch {}
  }
  return null
}

// On Windows a fault ends a process with an NTSTATUS exit code (0xC0000005, access violation)
// rather than a signal.
function isFaultStatus (status) {
  return process.platform === 'win32' && typeof status === 'number' && status >= 0xC0000000
}

function isSingleExecutable () {
  try {
    return require('node:sea').isSea()
  } catch {
    return false
  }
}

function runCheck (directory) {
  let answer
  try {
    answer = { ok: true, sessions: core.diskStoreVerify(directory) }
  } catch (err) {
    const coded = storeError(err)
    answer = { ok: false, code: coded === err ? 'ERR_DISK_STORE_IO' : coded.code, message: coded.message }
  }
  process.stdout.write(JSON.stringify({ [ANSWER_KEY]: 1, ...answer }) + '\n')
}

if (require.main === module) runCheck(process.argv[2])

module.exports = { checkStoreFile }
