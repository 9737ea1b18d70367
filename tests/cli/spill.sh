#!/usr/bin/env bash
# Larger than memory: a GROUP BY, a join and an ORDER BY run with
# ember.executor.memory at a small fraction of the input; each answer must equal
# the answer with ample memory (sums over DECIMAL, so that the order of additions
# cannot matter), each query must have spilled — the join in its hash join's own
# grace partitions, and again planned as a sort-merge join — and no spill file
# may be left behind in ember.local.dir.
set -euo pipefail
EMBER=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spill="$tmp/spill"
mkdir -p "$spill"
"$EMBER" gen fraud --rows 300000 --accounts 20000 --seed 11 --out "$tmp" >/dev/null
T="read_csv('$tmp/transactions.csv')"
A="read_csv('$tmp/accounts.csv')"
size=$(du -k "$tmp/transactions.csv" | cut -f1)
queries=(
  "SELECT account_id, merchant, count(*) AS n, sum(CAST(amount AS DECIMAL(12,2))) AS total, max(ts) AS last FROM $T GROUP BY account_id, merchant ORDER BY account_id, merchant"
  "SELECT t.txn_id, t.amount, a.home_country, a.risk_tier FROM $T t JOIN $A a ON t.account_id = a.account_id WHERE t.amount > 5 ORDER BY t.txn_id"
  "SELECT txn_id, merchant, amount FROM $T ORDER BY merchant DESC, amount, txn_id"
)
status=0
for q in "${queries[@]}"; do
  small=(--master 'local[2]' --conf ember.sql.shuffle.partitions=4 --conf ember.executor.memory=1m
         --conf ember.local.dir="$spill" --conf ember.sql.autoBroadcastJoinThreshold=1k)
  want=$("$EMBER" sql --master 'local[2]' --conf ember.sql.shuffle.partitions=4 --format csv -e "$q" | md5sum)
  got=$("$EMBER" sql "${small[@]}" --format csv -e "$q" | md5sum)
  spilled=$("$EMBER" sql "${small[@]}" --format csv -e "EXPLAIN ANALYZE $q" |
            sed -n 's/.*spilled \([0-9]*\) bytes.*/\1/p')
  name=${q:0:60}
  if [ "$want" != "$got" ]; then echo "FAIL: different answer with 1m of memory: $name"; status=1; fi
  if [ "${spilled:-0}" -le 0 ]; then echo "FAIL: nothing spilled: $name"; status=1; fi
  echo "ok: ${spilled} bytes spilled (input ${size} KiB, memory 1 MiB): $name..."
done
# The join's build side does not fit: the hash join itself must have spilled
# (EXPLAIN ANALYZE shows spilled=N KiB on its line), with the same answer; and
# with ember.sql.join.preferSortMergeJoin the sort-merge join still gives it.
q=${queries[1]}
want=$("$EMBER" sql --master 'local[2]' --conf ember.sql.shuffle.partitions=4 --format csv -e "$q" | md5sum)
join_kib=$("$EMBER" sql "${small[@]}" --format csv -e "EXPLAIN ANALYZE $q" |
           sed -n 's/.*HashJoin .*spilled=\([0-9]*\) KiB.*/\1/p')
if [ "${join_kib:-0}" -le 0 ]; then echo "FAIL: the hash join did not spill"; status=1; fi
echo "ok: the hash join spilled ${join_kib:-0} KiB"
got=$("$EMBER" sql "${small[@]}" --conf ember.sql.join.preferSortMergeJoin=true --format csv -e "$q" | md5sum)
if [ "$want" != "$got" ]; then echo "FAIL: different answer from the sort-merge join"; status=1; fi
plan=$("$EMBER" sql "${small[@]}" --conf ember.sql.join.preferSortMergeJoin=true -e "EXPLAIN $q")
if ! grep -q "sort-merge" <<<"$plan"; then echo "FAIL: preferSortMergeJoin did not plan a sort-merge join"; status=1; fi
left=$(find "$spill" -type f | wc -l)
if [ "$left" -ne 0 ]; then echo "FAIL: $left spill files left behind"; status=1; fi
# A failing query (a bad cast, mid-stream) must not leave spill files either.
"$EMBER" sql --master 'local[2]' --conf ember.executor.memory=1m --conf ember.local.dir="$spill" \
  -e "SELECT merchant, CAST(CASE WHEN amount > 900 THEN 'x' ELSE '1' END AS INTEGER) FROM $T ORDER BY 1" \
  >/dev/null 2>&1 && { echo "FAIL: the bad cast did not fail"; status=1; }
left=$(find "$spill" -type f | wc -l)
if [ "$left" -ne 0 ]; then echo "FAIL: $left spill files left behind by a failed query"; status=1; fi
exit $status
