#!/usr/bin/env bash
# kill_worker.sh EMBER — SIGKILL a worker while a shuffle-heavy query runs on a
# 3-worker cluster. The query must finish with the same answer as local mode, and
# the scheduler's counters must show that only the lost map outputs were
# recomputed: stage 0's task attempts = its tasks + the recomputed maps, with at
# least one and fewer than all of them recomputed.
#
# Timing is made deterministic by fault injection: the reduce stage's tasks sleep
# (ember.test.inject=sleep:stage=1,...) and the worker is killed once the driver
# logs that stage 0 finished, so the map outputs it held are certainly lost.
# KILL_DELAY (seconds, default 0) delays the kill further into the reduce stage
# and KILL_WORKER (1-3, default 2) picks the victim (make stress varies both).
# TPCH_DATA may name existing SF 0.1 data.
set -u
EMBER=$(realpath "${1:?usage: kill_worker.sh path/to/ember}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/cluster.sh"

data=${TPCH_DATA:-}
if [ -z "$data" ]; then
  data=$CLUSTER_DIR/tpch
  "$EMBER" gen tpch --sf 0.1 --out "$data" >/dev/null || { echo "cannot generate data"; exit 1; }
fi
query="SELECT l_suppkey % 200 AS k, count(*) AS n, sum(l_quantity) AS q, sum(l_extendedprice) AS p
FROM read_csv('$data/lineitem.csv') GROUP BY 1 ORDER BY 1"
conf=(--conf ember.files.maxPartitionBytes=2m --conf ember.sql.shuffle.partitions=12
      --conf ember.sql.adaptive.enabled=false --format csv)

"$EMBER" sql --master 'local[2]' "${conf[@]}" -e "$query" >"$CLUSTER_DIR/expected.csv" ||
  { echo "FAIL: the local run failed"; exit 1; }

cluster_start 3 1 || exit 1
EMBER_LOG=info "$EMBER" sql --master "$MASTER" "${conf[@]}" \
  --conf "ember.test.inject=sleep:stage=1,ms=2500" \
  -e "$query" >"$CLUSTER_DIR/got.csv" 2>"$CLUSTER_DIR/driver.log" &
driver=$!
for _ in $(seq 600); do
  grep -q "stage 0 finished" "$CLUSTER_DIR/driver.log" 2>/dev/null && break
  kill -0 "$driver" 2>/dev/null || break
  sleep 0.05
done
grep -q "stage 0 finished" "$CLUSTER_DIR/driver.log" || { echo "FAIL: stage 0 never finished"; cat "$CLUSTER_DIR/driver.log"; exit 1; }
sleep "${KILL_DELAY:-0}"
cluster_kill_worker "${KILL_WORKER:-2}"
wait "$driver"
status=$?
if [ $status -ne 0 ]; then
  echo "FAIL: the query failed after the worker was killed (status $status)"
  cat "$CLUSTER_DIR/driver.log"; cluster_logs
  exit 1
fi

# The answer of the run that lost a worker must equal local mode's, and the
# scheduler's counters (its last log line) show what was recomputed.
if ! cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/got.csv"; then
  echo "FAIL: wrong answer on the cluster"; diff "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/got.csv" | head
  exit 1
fi
summary=$(grep -o 'job finished: .*' "$CLUSTER_DIR/driver.log" | tail -1)
s0=$(grep -o ' 0=[0-9]*' <<<"$summary" | head -1 | cut -d= -f2)
recomputed=$(grep -o '[0-9]* lost map outputs recomputed' <<<"$summary" | grep -o '^[0-9]*')
nmaps=$(grep -o 'stage 0 finished ([0-9]* tasks)' "$CLUSTER_DIR/driver.log" | head -1 | grep -o '[0-9]* tasks' | cut -d' ' -f1)
echo "$summary; stage 0 had $nmaps tasks"
if [ -z "$recomputed" ] || [ -z "$nmaps" ] || [ "$recomputed" -lt 1 ] || [ "$recomputed" -ge "$nmaps" ]; then
  echo "FAIL: expected between 1 and $((nmaps - 1)) recomputed map outputs, got '$recomputed'"
  cat "$CLUSTER_DIR/driver.log"; exit 1
fi
# Every output the driver marked lost was recomputed, and nothing else.
lost=$(grep -oE '[0-9]+ (map )?output\(s\) (marked )?lost' "$CLUSTER_DIR/driver.log" |
  awk '{ n += $1 } END { print n + 0 }')
if [ "$lost" -ne "$recomputed" ]; then
  echo "FAIL: the driver lost $lost map outputs but recomputed $recomputed"
  cat "$CLUSTER_DIR/driver.log"; exit 1
fi
if [ "$s0" -ne $((nmaps + recomputed)) ]; then
  echo "FAIL: stage 0 ran $s0 task attempts; expected $nmaps + $recomputed"
  exit 1
fi
echo "ok: the query survived a killed worker; only the lost map outputs were recomputed ($recomputed of $nmaps)"
