#!/usr/bin/env bash
# The build side of shuffled joins, as EXPLAIN shows it: with broadcasting off,
# a keyed join builds its side with fewer estimated rows, also when that is
# the left side of a semi or anti join (EXISTS, IN, NOT EXISTS) or the
# preserved side of an outer join; NOT IN (a null-aware anti join) always
# builds its right side. The answers of these plans are checked against
# DuckDB's in tests/sql/join/build_left.slt.
set -euo pipefail
EMBER=$(realpath "$1")

setup="SET ember.sql.autoBroadcastJoinThreshold = '1';
CREATE TABLE d AS SELECT * FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) v(i);
CREATE TABLE small AS SELECT * FROM (VALUES (1, 10), (2, 20), (NULL, 30)) v(k, x);
CREATE TABLE big AS SELECT (a.i * 100 + b.i * 10 + c.i) % 50 AS k, a.i AS y FROM d a, d b, d c;"

fail=0
# expect SQL PATTERN: the EXPLAIN of SQL has a line matching PATTERN.
expect() {
  local out
  out=$("$EMBER" sql --master 'local[2]' --conf ember.sql.shuffle.partitions=3 -e "$setup EXPLAIN $1")
  if ! grep -q -- "$2" <<<"$out"; then
    echo "FAIL: EXPLAIN $1"
    echo "  expected a line matching: $2"
    grep HashJoin <<<"$out" | sed 's/^/  got: /'
    fail=1
  fi
}

expect "SELECT * FROM small WHERE EXISTS (SELECT 1 FROM big WHERE big.k = small.k)" \
  "HashJoin semi, build left on k = k"
expect "SELECT * FROM small WHERE k IN (SELECT k FROM big)" "HashJoin semi, build left"
expect "SELECT * FROM small WHERE NOT EXISTS (SELECT 1 FROM big WHERE big.k = small.k AND big.y > small.x)" \
  "HashJoin anti, build left on k = k AND (y > x)"
expect "SELECT * FROM big WHERE EXISTS (SELECT 1 FROM small WHERE big.k = small.k)" \
  "HashJoin semi, build right"
expect "SELECT * FROM small WHERE k NOT IN (SELECT k FROM big)" \
  "HashJoin anti (null-aware), build right"
expect "SELECT * FROM small LEFT JOIN big ON small.k = big.k" "HashJoin left, build left"
expect "SELECT * FROM big RIGHT JOIN small ON small.k = big.k" "HashJoin right, build right"
expect "SELECT * FROM big JOIN small ON small.k = big.k" "HashJoin inner, build right"
expect "SELECT * FROM small JOIN big ON small.k = big.k" "HashJoin inner, build left"
exit $fail
