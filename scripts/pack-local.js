'use strict'

// Packs what npm would install from the registry, for installing the package from a clone: the main
// package (JavaScript and typings, no binary) and the per-platform package holding the addon this
// clone built, both as tarballs. Prints the `npm install` command that puts them into an app under
// express-session's name.
//
//   npm run pack:local [-- DESTINATION]   # default destination: the repository's root

const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const root = path.join(__dirname, '..')
const ADDON = /^express-session-rs\.(.+)\.node$/

function npmPack (dir, destination) {
  const output = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], {
    cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], shell: process.platform === 'win32'
  })
  return path.join(destination, output.trim().split('\n').pop())
}

// The tarballs of the main package and of this platform's package, written into `destination`.
function packLocal (destination = root) {
  const addon = fs.readdirSync(root).find((name) => ADDON.test(name))
  if (!addon) throw new Error('no express-session-rs.<platform>.node in ' + root + ': run npm install (or npm run build) first')
  const platform = ADDON.exec(addon)[1]
  fs.mkdirSync(destination, { recursive: true })
  const main = npmPack(root, destination)

  // npm/<platform> as the release workflow fills it (napi artifacts): its manifest and the binary
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'express-session-rs-platform-'))
  try {
    fs.cpSync(path.join(root, 'npm', platform), scratch, { recursive: true })
    fs.copyFileSync(path.join(root, addon), path.join(scratch, addon))
    const binary = npmPack(scratch, destination)
    return { main, binary, platform }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true })
  }
}

if (require.main === module) {
  const { main, binary, platform } = packLocal(path.resolve(process.argv[2] || root))
  console.log(`packed ${path.basename(main)} and ${path.basename(binary)}; in your app, run:\n`)
  console.log(`  npm install express-session@file:${main} express-session-rs-${platform}@file:${binary}\n`)
}

module.exports = { packLocal }
