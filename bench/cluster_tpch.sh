#!/usr/bin/env bash
# cluster_tpch.sh EMBER [SF] — the 22 TPC-H queries from CSV on a 3-worker loopback
# cluster (one master, three workers of one core each, on 127.0.0.1) beside local mode
# (local[2]), each query's time from ember's own statement timer; prints a table and
# the totals. Also times a stage of 5000 tasks that are almost all empty on both, to
# report how many tasks per second the scheduler launches. Needs the data of
# make bench BENCH=tpch-csv SF=SF (bench/data/tpch-sf<SF>-csv).
set -u
EMBER=$(realpath "${1:?usage: cluster_tpch.sh path/to/ember [SF]}")
sf=${2:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
data=$root/bench/data/tpch-sf$sf-csv
[ -d "$data" ] || { echo "no $data: run make bench BENCH=tpch-csv SF=$sf first"; exit 1; }
. "$root/tests/cluster/lib/cluster.sh"
cluster_start 3 1 || exit 1
views=$(bash "$root/bench/tpch/views.sh" "$data")

# run MASTER FILE: the last statement's run time
run() {
  "$EMBER" sql --master "$1" --timer -f "$2" 2>/dev/null | grep -o 'Run Time: [0-9.]*' |
    tail -1 | grep -o '[0-9.]*$'
}
printf '%-5s %9s %9s\n' query local cluster
tl=0 tc=0
for n in $(seq -w 1 22); do
  { echo "$views"; cat "$root/bench/tpch/queries/q$n.sql"; } >"$CLUSTER_DIR/q.sql"
  l=$(run 'local[2]' "$CLUSTER_DIR/q.sql")
  c=$(run "$MASTER" "$CLUSTER_DIR/q.sql")
  printf 'q%-4s %8.2fs %8.2fs\n' "$n" "${l:-0}" "${c:-0}"
  tl=$(echo "$tl + ${l:-0}" | bc -l)
  tc=$(echo "$tc + ${c:-0}" | bc -l)
done
printf '%-5s %8.2fs %8.2fs\n' total "$tl" "$tc"

# Empty tasks: 5002 reduce partitions of which 5 hold rows, adaptive execution off;
# the difference with 2 partitions is what 5000 empty tasks cost.
q="SELECT c_mktsegment, count(*) FROM read_csv('$data/customer.csv') GROUP BY 1"
for m in 'local[2]' "$MASTER"; do
  t2=$("$EMBER" sql --master "$m" --timer --conf ember.sql.shuffle.partitions=2 --conf ember.sql.adaptive.enabled=false -e "$q" 2>/dev/null | grep -o 'Run Time: [0-9.]*' | grep -o '[0-9.]*$')
  t5=$("$EMBER" sql --master "$m" --timer --conf ember.sql.shuffle.partitions=5002 --conf ember.sql.adaptive.enabled=false -e "$q" 2>/dev/null | grep -o 'Run Time: [0-9.]*' | grep -o '[0-9.]*$')
  echo "$m: 5000 extra (empty) tasks in $(echo "$t5 - $t2" | bc -l) s = $(echo "5000 / ($t5 - $t2)" | bc -l | cut -d. -f1) tasks/s"
done
