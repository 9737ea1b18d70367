#!/usr/bin/env bash
# cli_errors.sh EMBER — how `ember sql` reports errors: a syntax error shows
# the line and a caret under the offending column, an unknown column suggests
# the near name, a missing file and a malformed CSV row name the file (and
# line), and every failure exits non-zero, stopping the script there.
set -u
ember=${1:?usage: cli_errors.sh path/to/ember}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# run SQL...: runs `ember sql` with the arguments, keeping stdout, stderr and the status.
run() {
  "$ember" sql "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
}

# check NAME CONDITION...: passes when the command succeeds, else shows what happened.
check() {
  local name=$1
  shift
  if "$@"; then
    pass "$name"
  else
    fail "$name"
    echo "  status: $status"
    sed 's/^/  stdout: /' "$tmp/out"
    sed 's/^/  stderr: /' "$tmp/err"
  fi
}

has_err() { grep -qF -- "$1" "$tmp/err"; }

# ---- syntax error: the offending line, and a caret under the column ----
run -e "$(printf 'SELECT 1 AS a;\nSELECT 2 FROM WHERE;')"
check "syntax error exits 1" test "$status" -eq 1
check "syntax error message" grep -q '^Error: .*syntax error' "$tmp/err"
check "syntax error shows the line" grep -qx 'LINE 2: SELECT 2 FROM WHERE;' "$tmp/err"
# "LINE 2: " is 8 columns and WHERE starts at column 15 of the line.
caret=$(printf '%*s^' $((8 + 14)) '')
check "caret under the column" grep -qx "$caret" "$tmp/err"

# ---- unknown column: a suggestion ----
printf 'account_id,amount\n1,2.50\n2,3.00\n' >"$tmp/t.csv"
run -e "SELECT amout FROM read_csv('$tmp/t.csv')"
check "unknown column exits 1" test "$status" -eq 1
check "unknown column is named" has_err 'amout'
check "did you mean the candidate" grep -qiE 'did you mean.*amount' "$tmp/err"
check "unknown column has a caret" grep -q '^ *^$' "$tmp/err"

# ---- missing files ----
run -e "SELECT * FROM read_csv('$tmp/nope.csv')"
check "missing data file exits 1" test "$status" -eq 1
check "missing data file is named" has_err "$tmp/nope.csv"

run -f "$tmp/missing.sql"
check "missing script exits 1" test "$status" -eq 1
check "missing script is named" has_err "$tmp/missing.sql"

# ---- malformed CSV: file and line ----
printf 'a,b\n1,2\n3,4,5\n6,7\n' >"$tmp/bad.csv"
run -e "SELECT sum(a) FROM read_csv('$tmp/bad.csv')"
check "malformed csv exits 1" test "$status" -eq 1
check "malformed csv names file and line" has_err "bad.csv:3"

# ---- the first failing statement stops the script ----
run --format csv -e "SELECT 1 AS first; SELECT nope FROM (VALUES (1)) AS t(x); SELECT 3 AS third"
check "failing script exits 1" test "$status" -eq 1
check "statements after the error do not run" bash -c "! grep -q third '$tmp/out'"

printf 'SELECT 1 AS a;\nSELEC 2;\nSELECT 3 AS c;\n' >"$tmp/script.sql"
run -f "$tmp/script.sql"
check "failing -f script exits 1" test "$status" -eq 1
check "-f error shows its line" grep -qx 'LINE 2: SELEC 2;' "$tmp/err"

printf 'SELECT 1 AS a;\nSELEC 2;\n' | "$ember" sql >"$tmp/out" 2>"$tmp/err"
status=$?
check "failing stdin script exits 1" test "$status" -eq 1

# ---- configuration errors ----
run --conf ember.sql.shuffle.partitions=lots -e "SELECT 1"
check "bad conf value exits 1" test "$status" -eq 1
check "bad conf value is reported" grep -q '^Error: ' "$tmp/err"
run --conf no-equals-sign -e "SELECT 1"
check "conf without = exits 1" test "$status" -eq 1
run --master nonsense -e "SELECT 1"
check "bad master exits 1" test "$status" -eq 1
check "bad master is reported" grep -q '^Error: ' "$tmp/err"

# ---- usage errors exit 2 ----
run --no-such-option
check "unknown option exits 2" test "$status" -eq 2
run -e
check "-e without SQL exits 2" test "$status" -eq 2
"$ember" slt >/dev/null 2>&1
status=$?
check "slt without files exits 2" test "$status" -eq 2

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
