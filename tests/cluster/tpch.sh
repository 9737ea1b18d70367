#!/usr/bin/env bash
# tpch.sh EMBER — the 22 TPC-H queries at SF 0.1 on a real cluster (a master and
# three workers on 127.0.0.1, one core each), each checked against the same golden
# answers as local mode (tests/tpch/run.sh does the checking).
set -u
EMBER=$(realpath "${1:?usage: tpch.sh path/to/ember}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib/cluster.sh
. "$here/lib/cluster.sh"
cluster_start 3 1 || exit 1
fails=0
for n in $(seq 1 22); do
  # A small shuffle width keeps 22 applications quick; AQE still coalesces.
  TPCH_EMBER_ARGS="--master $MASTER --conf ember.sql.shuffle.partitions=6" \
    bash "$root/tests/tpch/run.sh" "$EMBER" "$n" || fails=$((fails + 1))
done
apps=$("$EMBER" status --master "$MASTER" --format json | grep -c '"app-' || true)
echo "applications seen by the master: $apps"
if [ "$fails" -ne 0 ]; then
  cluster_logs
  echo "FAIL: $fails of 22 TPC-H queries failed on the cluster"
  exit 1
fi
echo "ok: 22 of 22 TPC-H queries on a 3-worker cluster"
