#!/usr/bin/env bash
# Answers checked against an independent engine: the queries in tests/compare/*.sql run
# in ember and in DuckDB (npm @duckdb/node-api, installed into tests/tools) on the same
# generated files. Without node/npm the check is skipped with a message, except in CI.
set -euo pipefail
EMBER=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v node >/dev/null || ! bash "$ROOT/scripts/npm-tools.sh" >/dev/null; then
  if [ "${CI:-}" = "true" ]; then echo "compare_duckdb: node/npm or DuckDB unavailable in CI"; exit 1; fi
  echo "compare_duckdb: SKIPPED (node/npm or DuckDB unavailable)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$EMBER" gen fraud --rows 200000 --accounts 3000 --seed 7 --out "$tmp" >/dev/null
status=0
for q in "$ROOT"/tests/compare/*.sql; do
  for master in 'local[1]' 'local[4]'; do
    echo "== $(basename "$q") on $master"
    node "$ROOT/tests/tools/compare.mjs" "$EMBER" "$q" "$tmp" --master "$master" \
      --conf ember.sql.shuffle.partitions=7 || status=1
  done
done
exit $status
