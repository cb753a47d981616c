'use strict'

// The package.json a consumer gets. `npm pack` and `npm publish` put package.json in the tarball as
// it is on disk, and most of it only serves work on this repository: the scripts (npm 11 asks whoever
// installs the tarball to allow `prepare`, which builds the addon here and never runs for them), the
// devDependencies and napi's build settings. This script takes them out around packing:
//
//   node scripts/packed-manifest.js strip     # prepack: keep package.json aside, write the consumer's
//   node scripts/packed-manifest.js restore   # postpack: put the kept package.json back
//
// npm runs postpack from the manifest it read before prepack, so the restore still runs. The release
// workflow publishes with scripts off and calls `strip` itself.

const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const manifest = path.join(root, 'package.json')
const kept = path.join(root, 'node_modules', '.cache', 'express-session-rs', 'package.json')
const REPOSITORY_ONLY = ['scripts', 'devDependencies', 'napi']

// The manifest without what only this repository uses, in the same key order and layout.
function consumerManifest (text) {
  const pkg = JSON.parse(text)
  for (const key of REPOSITORY_ONLY) delete pkg[key]
  return JSON.stringify(pkg, null, 2) + '\n'
}

function strip () {
  const current = fs.readFileSync(manifest, 'utf8')
  // a pack that stopped before postpack left the stripped file behind: start from the kept one
  if (fs.existsSync(kept) && !('scripts' in JSON.parse(current))) {
    fs.copyFileSync(kept, manifest)
    return strip()
  }
  fs.mkdirSync(path.dirname(kept), { recursive: true })
  fs.writeFileSync(kept, current)
  fs.writeFileSync(manifest, consumerManifest(current))
}

function restore () {
  if (!fs.existsSync(kept)) throw new Error('packed-manifest: nothing kept at ' + path.relative(root, kept) + ' to restore')
  fs.copyFileSync(kept, manifest)
  fs.rmSync(kept)
}

const commands = { strip, restore }
const command = commands[process.argv[2]]
if (!command) {
  console.error('usage: node scripts/packed-manifest.js strip|restore')
  process.exit(2)
}
command()
