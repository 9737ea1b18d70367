#!/usr/bin/env bash
# Adaptive execution as EXPLAIN ANALYZE shows it, on skewed CSV data (one key
# holds 90% of the fact rows): the skewed partition of a shuffled join and of
# a final aggregation is split into several tasks, a join side that turns out
# small at run time is broadcast, small partitions are coalesced. Every answer
# must equal the answer with ember.sql.adaptive.enabled=false, which must show
# no adaptive decision at all.
set -euo pipefail
EMBER=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# facts: k = 1 for 90% of the rows (with 5000 distinct s), else one of 100 keys
awk 'BEGIN { print "k,v,s"
             for (i = 0; i < 100000; i++)
               if (i % 10 < 9) printf "1,%d,s%d\n", i, i % 5000
               else printf "%d,%d,x\n", 2 + int(i / 10) % 100, i }' >"$tmp/facts.csv"
# dims: one row per key, but four for k = 1
awk 'BEGIN { print "k,w"; for (i = 0; i < 20000; i++) printf "%d,%d\n", (i % 5000 == 0 ? 1 : i), 2 * i }' \
  >"$tmp/dims.csv"
F="read_csv('$tmp/facts.csv')"
D="read_csv('$tmp/dims.csv')"
# Several splits per file (the map ranges a skewed partition is cut into);
# joins are shuffled unless adaptive execution broadcasts them at run time.
conf=(--master 'local[8]' --conf ember.sql.shuffle.partitions=16 --conf ember.files.maxPartitionBytes=96k
      --conf ember.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes=16k
      --conf ember.sql.adaptive.advisoryPartitionSizeInBytes=16k
      --conf ember.sql.autoBroadcastJoinThreshold=1k --format csv)
status=0
fail() { echo "FAIL: $*"; status=1; }

# check NAME QUERY PATTERN...: each pattern must match a line of EXPLAIN ANALYZE
check() {
  local name=$1 q=$2
  shift 2
  local plan on off plain
  plan=$("$EMBER" sql "${conf[@]}" -e "EXPLAIN ANALYZE $q")
  for pat in "$@"; do
    grep -Eq "$pat" <<<"$plan" || fail "$name: no line matches '$pat'"$'\n'"$plan"
  done
  on=$("$EMBER" sql "${conf[@]}" -e "$q")
  off=$("$EMBER" sql "${conf[@]}" --conf ember.sql.adaptive.enabled=false -e "$q")
  [ "$on" = "$off" ] || fail "$name: different answers with adaptive execution off"$'\n'"$on"$'\n'"$off"
  plain=$("$EMBER" sql "${conf[@]}" --conf ember.sql.adaptive.enabled=false -e "EXPLAIN ANALYZE $q")
  grep -q "== Adaptive Execution ==" <<<"$plain" && fail "$name: adaptive decisions while disabled"
  grep -q "^adaptive: 0 stages coalesced, 0 -> 0 partitions$" <<<"$plain" ||
    fail "$name: coalesced while disabled"
  echo "ok: $name: $(grep -E '^stage [0-9]+: ' <<<"$plan" | tr '\n' ';')"
}

check "skewed join" \
  "SELECT count(*), sum(v), sum(w) FROM $F f JOIN $D d ON f.k = d.k" \
  '^stage [0-9]+: skew-split partition [0-9]+ of inner join into [0-9]+ tasks: left side .* in [0-9]+ map ranges, right side .* read whole$' \
  '^adaptive: 1 skewed join partition split into [0-9]+ tasks'

check "skewed left join" \
  "SELECT count(*), sum(v), count(w) FROM $F f LEFT JOIN $D d ON f.k = d.k" \
  '^stage [0-9]+: skew-split partition [0-9]+ of left join into [0-9]+ tasks: left side'

check "skewed aggregation" \
  "SELECT k, count(*), sum(v), min(s), max(s), approx_count_distinct(s) FROM $F GROUP BY k ORDER BY k" \
  '^stage [0-9]+: skew-split partition [0-9]+ of the aggregation into [0-9]+ tasks and 1 merging task' \
  '^adaptive: 0 skewed join partitions split into 0 tasks, 1 skewed aggregation partition split into [0-9]+ tasks'

# A floating-point sum would round differently if merged in two steps: no split.
check "aggregation that is not split" \
  "SELECT k, count(*), sum(CAST(v AS DOUBLE)), approx_count_distinct(s) FROM $F GROUP BY k ORDER BY k" \
  '^adaptive: 0 skewed join partitions split into 0 tasks, 0 skewed aggregation partitions'

check "join side small at run time" \
  "SELECT count(*), sum(v), sum(n) FROM $F f JOIN (SELECT k % 3 AS k, count(*) AS n FROM $D GROUP BY k % 3) g ON f.k = g.k" \
  '^stage [0-9]+: switched inner join to a broadcast hash join: the right side wrote [0-9]+ B' \
  '^stage [0-9]+: coalesced 16 -> [0-9]+ partitions' \
  '[0-9]+ joins? switched to broadcast$'

check "outer join side small at run time" \
  "SELECT count(*), sum(v), sum(n) FROM (SELECT k % 3 AS k, count(*) AS n FROM $D GROUP BY k % 3) g RIGHT JOIN $F f ON f.k = g.k" \
  '^stage [0-9]+: switched right join to a broadcast hash join: the left side wrote'

# A full outer join keeps both sides' unmatched rows: neither split nor broadcast.
check "full join" \
  "SELECT count(*), sum(v), sum(n) FROM (SELECT k % 3 AS k, count(*) AS n FROM $D GROUP BY k % 3) g FULL JOIN $F f ON f.k = g.k" \
  '^adaptive: 0 skewed join partitions split into 0 tasks, 0 skewed aggregation partitions split into 0 tasks, 0 joins switched to broadcast$'
exit $status
