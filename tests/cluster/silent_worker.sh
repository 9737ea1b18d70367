#!/usr/bin/env bash
# silent_worker.sh EMBER — a worker stops heartbeating while a query runs on it. The
# master declares it dead after ember.worker.timeout and reports its executor lost to
# the driver, which stops using that executor, reruns its tasks elsewhere and
# recomputes the map outputs it held; the answer equals local mode's.
set -u
EMBER=$(realpath "${1:?usage: silent_worker.sh path/to/ember}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/cluster.sh"

data=$CLUSTER_DIR/tpch
"$EMBER" gen tpch --sf 0.01 --out "$data" >/dev/null || { echo "cannot generate data"; exit 1; }
query="SELECT l_suppkey % 50 AS k, count(*) AS n, sum(l_quantity) AS q
FROM read_csv('$data/lineitem.csv') GROUP BY 1 ORDER BY 1"
conf=(--conf ember.files.maxPartitionBytes=256k --conf ember.sql.shuffle.partitions=6
      --conf ember.sql.adaptive.enabled=false --format csv)
"$EMBER" sql --master 'local[2]' "${conf[@]}" -e "$query" >"$CLUSTER_DIR/expected.csv" ||
  { echo "FAIL: the local run failed"; exit 1; }

CLUSTER_MASTER_ARGS="--conf ember.worker.timeout=2" cluster_start 2 1 || exit 1
# The third worker goes silent 1 s after it starts: in the middle of the query,
# whose reduce tasks each take 3 s.
cluster_add_worker 1 --conf ember.test.worker.pauseHeartbeatAfter=1 || exit 1
EMBER_LOG=info "$EMBER" sql --master "$MASTER" "${conf[@]}" \
  --conf "ember.test.inject=sleep:stage=1,ms=3000" -e "$query" \
  >"$CLUSTER_DIR/got.csv" 2>"$CLUSTER_DIR/driver.log"
status=$?
if [ $status -ne 0 ] || ! cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/got.csv"; then
  echo "FAIL: the query (status $status) did not give local mode's answer"
  cat "$CLUSTER_DIR/driver.log"; cluster_logs; exit 1
fi
if ! grep -q "lost executor .*no heartbeat" "$CLUSTER_DIR/driver.log"; then
  echo "FAIL: the driver was not told that the silent worker's executor was lost"
  cat "$CLUSTER_DIR/driver.log"; cluster_logs; exit 1
fi
echo "ok: $(grep -o 'lost executor .*no heartbeat[^;]*' "$CLUSTER_DIR/driver.log" | head -1)"
echo "ok: $(grep -o 'job finished: .*' "$CLUSTER_DIR/driver.log" | tail -1)"
