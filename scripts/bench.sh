#!/usr/bin/env bash
# bench.sh EMBER — `make bench`: install what the benchmark runner needs beyond ember's
# build (GNU time for peak memory; DuckDB and Polars from bench/package-lock.json), then
# run bench/run.mjs. Selection and sizes come from the environment (BENCH, SF, ROWS,
# RUNS, THREADS, ...; see bench/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ember=${1:?usage: bench.sh path/to/ember}

# /usr/bin/time reports a process's peak resident memory.
if [ ! -x /usr/bin/time ]; then
  echo "bench: installing time"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends time
fi

# The peers, at the versions the lockfile pins. `npm ci` rejects the lockfile npm 11
# writes for packages with per-platform optional dependencies; `npm install` installs
# the same locked versions. Re-run when the lockfile is newer than the installation.
bench=$root/bench
if [ ! -d "$bench/node_modules/@duckdb/node-api" ] || [ ! -d "$bench/node_modules/nodejs-polars" ] ||
   [ "$bench/package-lock.json" -nt "$bench/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null || { echo "bench: npm not found (make deps)" >&2; exit 1; }
  echo "bench: installing DuckDB and Polars into bench/node_modules"
  (cd "$bench" && npm install --no-audit --no-fund --loglevel=error)
fi

EMBER=$ember exec node "$bench/run.mjs"
