#!/usr/bin/env bash
# Installs the npm packages tests and benchmarks compare against (tests/tools), from the
# committed lockfile, when they are missing. Idempotent.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/tools"
[ -d "$dir/node_modules/@duckdb/node-api" ] && exit 0
command -v npm >/dev/null || { echo "npm-tools: npm not found" >&2; exit 1; }
# `npm ci` rejects the lockfile npm 11 writes for packages with per-platform
# optional dependencies (it wants entries for every platform); `npm install`
# installs the same locked versions.
cd "$dir" && npm install --no-audit --no-fund --loglevel=error
