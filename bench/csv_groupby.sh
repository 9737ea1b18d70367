#!/usr/bin/env bash
# GROUP BY over a ~1 GiB CSV, ember beside DuckDB (npm) on the same file, same thread
# count; plus ember's start-up time. Usage: bench/csv_groupby.sh [ROWS] [THREADS]
# (the full `make bench` runner is issue 5; this is the foundation's measurement).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-10000000}
THREADS=${2:-$(nproc)}
EMBER="$ROOT/build/ember"
DATA="$ROOT/bench/data/fraud-$ROWS"
bash "$ROOT/scripts/npm-tools.sh" >/dev/null
if [ ! -f "$DATA/transactions.csv" ]; then
  mkdir -p "$DATA"
  "$EMBER" gen fraud --rows "$ROWS" --seed 42 --out "$DATA" >/dev/null
fi
size=$(du -m "$DATA/transactions.csv" | cut -f1)
Q="SELECT account_id, count(*) AS n, sum(amount) AS total, max(amount) AS biggest FROM read_csv('$DATA/transactions.csv') GROUP BY account_id ORDER BY total DESC LIMIT 5"
best() { sort -n | head -1; }
echo "data: $DATA/transactions.csv ($size MiB, $ROWS rows), $THREADS threads"
for i in 1 2 3; do
  /usr/bin/time -f "%e %M" -o /tmp/ember.time "$EMBER" sql --master "local[$THREADS]" -e "$Q" >/dev/null
  cat /tmp/ember.time
done > /tmp/ember.runs
for i in 1 2 3; do
  /usr/bin/time -f "%e %M" -o /tmp/duck.time node "$ROOT/tests/tools/duck.mjs" --threads "$THREADS" -e "$Q" >/dev/null
  cat /tmp/duck.time
done > /tmp/duck.runs
e=$(cut -d' ' -f1 /tmp/ember.runs | best); d=$(cut -d' ' -f1 /tmp/duck.runs | best)
em=$(cut -d' ' -f2 /tmp/ember.runs | sort -n | tail -1); dm=$(cut -d' ' -f2 /tmp/duck.runs | sort -n | tail -1)
printf 'csv group by: ember %.2f s (peak RSS %d MiB), duckdb %.2f s (peak RSS %d MiB), ratio ember/duckdb %.2f\n' \
  "$e" $((em / 1024)) "$d" $((dm / 1024)) "$(echo "$e / $d" | bc -l)"
start=$( { /usr/bin/time -f "%e" "$EMBER" sql -e 'SELECT 1' >/dev/null; } 2>&1 )
t0=$(date +%s%N); for i in $(seq 20); do "$EMBER" sql -e 'SELECT 1' >/dev/null; done; t1=$(date +%s%N)
printf "start-up: ember sql -e 'SELECT 1' %.1f ms (mean of 20)\n" "$(echo "($t1 - $t0) / 20000000" | bc -l)"
