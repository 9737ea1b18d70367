#!/usr/bin/env bash
# parquet_lineitem.sh EMBER [FILE] — issue 4's measurement: TPC-H lineitem in Parquet
# (zstd) scanned whole, and Q1 and Q6 over it, by ember and by DuckDB (npm), 2 threads,
# engines alternating, RUNS runs each (default 5); prints the median of each engine's
# own statement timer (ember --timer, DuckDB's from duck.mjs), so process start-up
# does not count for either.
# FILE defaults to a zstd copy of bench/data/tpch-sf1-parquet/lineitem.parquet, written
# once by ember's COPY into bench/data/tpch-sf1-parquet-zstd/ (make bench BENCH=tpch-parquet
# generates the source).
set -eu
ember=$(realpath "${1:?usage: parquet_lineitem.sh path/to/ember [lineitem.parquet]}")
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
file=${2:-$root/bench/data/tpch-sf1-parquet-zstd/lineitem.parquet}
# COPY may write a directory of part files (one per task): test for either.
if [ ! -e "$file" ]; then
  src=$root/bench/data/tpch-sf1-parquet/lineitem.parquet
  [ -f "$src" ] || { echo "no $src: run make bench BENCH=tpch-parquet SF=1 first"; exit 1; }
  mkdir -p "$(dirname "$file")"
  rm -rf "$file.tmp"
  "$ember" sql -e "COPY (SELECT * FROM read_parquet('$src')) TO '$file.tmp' (FORMAT parquet, COMPRESSION zstd)" >/dev/null
  mv "$file.tmp" "$file"
fi
bash "$root/scripts/npm-tools.sh" >/dev/null
duck="node $root/tests/tools/duck.mjs --threads 2 --timer"

scan="SELECT count(*), min(l_orderkey), min(l_partkey), min(l_suppkey), min(l_linenumber),
  sum(l_quantity), sum(l_extendedprice), sum(l_discount), sum(l_tax), min(l_returnflag),
  min(l_linestatus), min(l_shipdate), min(l_commitdate), min(l_receiptdate),
  min(l_shipinstruct), min(l_shipmode), min(l_comment) FROM lineitem"
q1=$(cat "$root/bench/tpch/queries/q01.sql")
q6=$(cat "$root/bench/tpch/queries/q06.sql")
view="CREATE VIEW lineitem AS SELECT * FROM read_parquet('$file');"

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-6s %10s %10s %8s\n' query ember duckdb ratio
for name in scan q1 q6; do
  sql=${!name}
  e=() d=()
  for _ in $(seq "$runs"); do
    e+=("$("$ember" sql --master 'local[2]' --timer -e "$view $sql" 2>&1 | grep -o 'Run Time: [0-9.]*' | tail -1 | grep -o '[0-9.]*$')")
    d+=("$($duck -e "$view $sql" 2>&1 | grep -o 'duckdb time: [0-9.]*' | tail -1 | grep -o '[0-9.]*$')")
  done
  em=$(printf '%s\n' "${e[@]}" | median)
  dm=$(printf '%s\n' "${d[@]}" | median)
  printf '%-6s %9.3fs %9.3fs %8.2f\n' "$name" "$em" "$dm" "$(echo "$em / $dm" | bc -l)"
done
