#!/usr/bin/env bash
# Installs the npm packages tests and benchmarks compare against (tests/tools), from the
# committed lockfile, when they are missing. Idempotent, and safe to run from several
# tests at once: installs are serialized with a lock, and a completed install leaves a
# stamp that the others wait for.
set -euo pipefail
dir="$(cd "$(dirname "$0")/.." && pwd)/tests/tools"
stamp="$dir/node_modules/.ember-installed"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { echo "npm-tools: npm not found" >&2; exit 1; }
exec 9>"$dir/.npm-tools.lock"
flock 9
[ -f "$stamp" ] && exit 0
# `npm ci` rejects the lockfile npm 11 writes for packages with per-platform
# optional dependencies (it wants entries for every platform); `npm install`
# installs the same locked versions.
cd "$dir" && npm install --no-audit --no-fund --loglevel=error
touch "$stamp"
