#!/usr/bin/env bash
# make-answers.sh EMBER — regenerate the golden answers of the TPC-H tests:
# tests/tpch/answers/sf0.1/qNN.tsv, the 22 queries' rows at scale factor 0.1 as computed
# by DuckDB (an independent engine, npm @duckdb/node-api in tests/tools) over the CSV
# files that `EMBER gen tpch --sf 0.1` writes. Each file is tab-separated with a header
# line of column names and NULL written as NULL. answers/sf0.1/GENERATOR records the
# generator version the answers belong to; run.sh refuses answers of another version.
#
# Run it after any change to the generator's output (which bumps EM_GEN_TPCH_VERSION)
# or to a query, and commit the answers with the change.
set -euo pipefail
EMBER=$(realpath "${1:?usage: make-answers.sh path/to/ember}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
out=$ROOT/tests/tpch/answers/sf0.1
bash "$ROOT/scripts/npm-tools.sh" >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$EMBER" gen tpch --sf 0.1 --out "$tmp/data"
version=$("$EMBER" gen tpch --version | awk '{ print $NF }')

mkdir -p "$out"
for q in "$ROOT"/bench/tpch/queries/q*.sql; do
  name=$(basename "$q" .sql)
  { bash "$ROOT/bench/tpch/views.sh" "$tmp/data"; cat "$q"; } >"$tmp/$name.sql"
  node "$ROOT/tests/tools/duck.mjs" --header -f "$tmp/$name.sql" >"$tmp/$name.tsv"
  rows=$(($(wc -l <"$tmp/$name.tsv") - 1))
  if [ "$rows" -le 0 ]; then
    echo "make-answers: $name has an empty answer; the generator should make every query meaningful" >&2
    exit 1
  fi
  mv "$tmp/$name.tsv" "$out/$name.tsv"
  echo "$name: $rows rows"
done
echo "$version" >"$out/GENERATOR"
echo "answers written to $out (generator version $version)"
