#!/usr/bin/env bash
# cli_formats.sh EMBER — `ember sql` output: the csv, json and table formats
# byte for byte (NULLs, a comma, a quote), -f with several statements, a
# script on stdin, --timer, EXPLAIN, and the interactive shell on a pseudo
# terminal (when `script` is available).
set -u
ember=${1:?usage: cli_formats.sh path/to/ember}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp # the REPL's history file must not touch the real one
failures=0

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# expect NAME EXPECTED_FILE ACTUAL_FILE: exact comparison with a diff on failure.
expect() {
  if cmp -s "$2" "$3"; then pass "$1"; else fail "$1"; diff -u "$2" "$3"; fi
}

# expect_status NAME WANT GOT
expect_status() {
  if [ "$2" -eq "$3" ]; then pass "$1"; else fail "$1: exit status $3, expected $2"; fi
}

query="SELECT * FROM (VALUES (1, 'a,b', 1.5), (NULL, 'say \"hi\"', NULL)) AS t(id, s, x)"

# ---- csv ----
"$ember" sql --format csv -e "$query" >"$tmp/out" 2>"$tmp/err"
expect_status "csv exit status" 0 $?
cat >"$tmp/want" <<'OUT'
id,s,x
1,"a,b",1.5
,"say ""hi""",
OUT
expect "csv output" "$tmp/want" "$tmp/out"

# ---- json ----
"$ember" sql --format=json -e "$query" >"$tmp/out" 2>"$tmp/err"
expect_status "json exit status" 0 $?
cat >"$tmp/want" <<'OUT'
[
{"id":1,"s":"a,b","x":1.5},
{"id":null,"s":"say \"hi\"","x":null}
]
OUT
expect "json output" "$tmp/want" "$tmp/out"

# ---- table ----
"$ember" sql --format table -e "$query" >"$tmp/out" 2>"$tmp/err"
expect_status "table exit status" 0 $?
cat >"$tmp/want" <<'OUT'
┌─────────┬──────────┬──────────────┐
│   id    │    s     │      x       │
│ INTEGER │ VARCHAR  │ DECIMAL(2,1) │
├─────────┼──────────┼──────────────┤
│       1 │ a,b      │          1.5 │
│    NULL │ say "hi" │         NULL │
└─────────┴──────────┴──────────────┘
(2 rows)
OUT
expect "table output" "$tmp/want" "$tmp/out"

# ---- -f with several statements; only results with columns print ----
cat >"$tmp/script.sql" <<'SQL'
-- a comment; with a semicolon
CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x'), (2, 'y;z')) AS v(n, s);
SELECT n, s FROM t ORDER BY n;
SELECT count(*) AS c FROM t;
SQL
"$ember" sql --format csv -f "$tmp/script.sql" >"$tmp/out" 2>"$tmp/err"
expect_status "-f exit status" 0 $?
cat >"$tmp/want" <<'OUT'
n,s
1,x
2,y;z
c
2
OUT
expect "-f output" "$tmp/want" "$tmp/out"

# ---- a script on stdin ----
printf 'SELECT 1 AS a;\nSELECT\n  2 AS b;\n' | "$ember" sql --format csv >"$tmp/out" 2>"$tmp/err"
expect_status "stdin exit status" 0 $?
printf 'a\n1\nb\n2\n' >"$tmp/want"
expect "stdin output" "$tmp/want" "$tmp/out"

printf -- '-- nothing to run\n' | "$ember" sql >"$tmp/out" 2>"$tmp/err"
expect_status "empty stdin script" 0 $?

# ---- --timer prints one Run Time line per statement ----
"$ember" sql --timer --format csv -e "SELECT 1 AS a; SELECT 2 AS b" >"$tmp/out" 2>"$tmp/err"
n=$(grep -cE '^Run Time: [0-9]+\.[0-9]{3} s$' "$tmp/out")
if [ "$n" -eq 2 ]; then pass "--timer"; else fail "--timer: $n Run Time lines"; cat "$tmp/out"; fi

# ---- EXPLAIN prints the plan lines raw, not as a table ----
"$ember" sql -e "EXPLAIN SELECT 1 AS a" >"$tmp/out" 2>"$tmp/err"
if [ $? -eq 0 ] && [ -s "$tmp/out" ] && ! grep -qE '^\([0-9]+ rows?\)$|^┌' "$tmp/out"; then
  pass "explain is raw"
else
  fail "explain is raw"; cat "$tmp/out" "$tmp/err"
fi

# ---- the interactive shell, on a pseudo terminal ----
if command -v script >/dev/null 2>&1; then
  printf 'SELECT 41 + 1\n  AS answer;\n.mode csv\nSELECT 7 AS seven; -- done\n.timer on\n.quit\n' |
    script -qec "$ember sql" /dev/null >"$tmp/out" 2>&1
  # Drop carriage returns and terminal control sequences (bracketed paste).
  tr -d '\r' <"$tmp/out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$tmp/repl"
  if grep -q '   \.\.\.> ' "$tmp/repl" && grep -q ' 42 │$' "$tmp/repl" &&
     grep -qx 'seven' "$tmp/repl" && grep -qx '7' "$tmp/repl" &&
     [ -f "$HOME/.ember_history" ] && grep -q 'SELECT 7 AS seven' "$HOME/.ember_history"; then
    pass "repl"
  else
    fail "repl"; cat "$tmp/repl"
  fi
else
  echo "skip repl (no script command)"
fi

# ---- usage errors ----
"$ember" sql --format xml -e "SELECT 1" >/dev/null 2>&1
expect_status "unknown format" 2 $?
"$ember" sql --bogus >/dev/null 2>&1
expect_status "unknown sql option" 2 $?
"$ember" frobnicate >/dev/null 2>&1
expect_status "unknown subcommand" 2 $?
"$ember" >/dev/null 2>&1
expect_status "no subcommand" 2 $?
"$ember" --version >"$tmp/out" 2>&1
if grep -qE '^ember [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"; then pass "--version"; else fail "--version"; fi
"$ember" help >/dev/null 2>&1
expect_status "help" 0 $?

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
