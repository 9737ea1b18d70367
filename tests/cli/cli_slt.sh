#!/usr/bin/env bash
# cli_slt.sh EMBER — the sqllogictest runner itself: passing and failing
# records, sort modes, NULL and (empty), real tolerance, error expectations,
# directives (mode skip, skipif/onlyif, require, halt), one session per file,
# the "N passed, N failed" summary, exit codes, and --complete.
set -u
ember=${1:?usage: cli_slt.sh path/to/ember}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; sed 's/^/  | /' "$tmp/out"; fi
}

slt() {
  "$ember" slt "$@" >"$tmp/out" 2>&1
  status=$?
}

# Records are separated by blank lines; columns in results by a TAB.
T=$'\t'
cat >"$tmp/pass.slt" <<EOF2
# A file where every record passes.
statement ok
CREATE TABLE t AS SELECT * FROM (VALUES (1, 'one'), (2, ''), (3, NULL)) AS v(n, s)

query IT
SELECT n, s FROM t ORDER BY n
----
1${T}one
2${T}(empty)
3${T}NULL

query IT rowsort
SELECT n, s FROM t
----
3${T}NULL
1${T}one
2${T}(empty)

query I valuesort
SELECT n FROM t
----
3
2
1

# One value per line is accepted too.
query II
SELECT n, n * 10 FROM t WHERE n = 1
----
1
10

query R
SELECT 0.1 + 0.2
----
0.3

statement error
SELECT no_such_column FROM t
----
no_such_column

statement error
SELECT FROM WHERE

mode skip

query I
SELECT 'this record is skipped'
----
42

mode unskip

skipif ember
query I
SELECT 1
----
2

onlyif sqlite
query I
SELECT 1
----
2

require some_extension

query I
SELECT count(*) FROM t
----
3

halt

query I
SELECT 'after halt: never runs'
----
0
EOF2
slt "$tmp/pass.slt"
check "passing file exits 0" test "$status" -eq 0
check "passing file summary" test "$(tail -1 "$tmp/out")" = "9 passed, 0 failed"

cat >"$tmp/fail.slt" <<EOF2
query I
SELECT 1
----
1

query I
SELECT 2
----
3

statement ok
SELECT * FROM no_such_table

query I
SELECT 1, 2
----
1${T}2

statement error
SELECT 1
EOF2
slt "$tmp/fail.slt"
check "failing file exits 1" test "$status" -eq 1
check "failing file summary" test "$(tail -1 "$tmp/out")" = "1 passed, 4 failed"
check "mismatch names file:line" grep -q "fail.slt:6: wrong result" "$tmp/out"
check "mismatch shows the SQL" grep -qx '    SELECT 2' "$tmp/out"
check "mismatch shows expected and actual" grep -qx '    3' "$tmp/out"
check "failed statement names its line" grep -q "fail.slt:11: statement failed" "$tmp/out"
check "column count mismatch" grep -q "fail.slt:14: the query returns 2 columns" "$tmp/out"
check "unexpected success" grep -q "fail.slt:19: statement succeeded" "$tmp/out"

# Each file gets a fresh session: t from pass.slt is gone in the next file.
cat >"$tmp/fresh.slt" <<'EOF2'
statement error
SELECT * FROM t
EOF2
slt "$tmp/pass.slt" "$tmp/fresh.slt"
check "sessions are per file" test "$(tail -1 "$tmp/out")" = "10 passed, 0 failed"

slt --master 'local[2]' --conf ember.sql.shuffle.partitions=3 "$tmp/pass.slt"
check "--master and --conf" test "$status" -eq 0

slt "$tmp/missing.slt"
check "missing file fails" test "$status" -eq 1
check "missing file summary" test "$(tail -1 "$tmp/out")" = "0 passed, 1 failed"

cat >"$tmp/loop.slt" <<'EOF2'
loop i 0 3
query I
SELECT 1
----
1
endloop
EOF2
slt "$tmp/loop.slt"
check "unsupported directives fail" test "$status" -eq 1

# --complete fills in results; a second run then passes.
cat >"$tmp/complete.slt" <<'EOF2'
# written by hand, completed by ember
statement ok
CREATE TABLE c AS SELECT * FROM (VALUES (2, 'b'), (1, NULL)) AS v(n, s)

query IT rowsort
SELECT n, s FROM c

query I
SELECT n FROM c WHERE n > 5
----
99

query I
SELECT count(*) FROM c
----
1
EOF2
slt --complete "$tmp/complete.slt"
check "--complete exits 0" test "$status" -eq 0
cat >"$tmp/want.slt" <<EOF2
# written by hand, completed by ember
statement ok
CREATE TABLE c AS SELECT * FROM (VALUES (2, 'b'), (1, NULL)) AS v(n, s)

query IT rowsort
SELECT n, s FROM c
----
1${T}NULL
2${T}b

query I
SELECT n FROM c WHERE n > 5
----

query I
SELECT count(*) FROM c
----
2
EOF2
if cmp -s "$tmp/want.slt" "$tmp/complete.slt"; then
  pass "--complete output"
else
  fail "--complete output"; diff -u "$tmp/want.slt" "$tmp/complete.slt"
fi
slt "$tmp/complete.slt"
check "completed file passes" test "$(tail -1 "$tmp/out")" = "4 passed, 0 failed"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
