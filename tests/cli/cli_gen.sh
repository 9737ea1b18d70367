#!/usr/bin/env bash
# cli_gen.sh EMBER — `ember gen fraud`: the same seed gives byte-identical
# files whatever the thread count, row counts and headers are right, values
# stay in range, and ember itself can read what was written.
set -u
ember=${1:?usage: cli_gen.sh path/to/ember}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() {
  local name=$1
  shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}

# More rows than one generator chunk (65536), so that threads really split the work.
rows=150000
gen() { "$ember" gen fraud --rows "$rows" --seed 7 "$@" >/dev/null; }

gen --threads 1 --out "$tmp/t1" || fail "gen with 1 thread"
gen --threads 3 --out "$tmp/t3" || fail "gen with 3 threads"
gen --out "$tmp/tdefault" || fail "gen with default threads"
check "transactions identical across thread counts" \
  cmp "$tmp/t1/transactions.csv" "$tmp/t3/transactions.csv"
check "transactions identical with default threads" \
  cmp "$tmp/t1/transactions.csv" "$tmp/tdefault/transactions.csv"
check "accounts identical across thread counts" cmp "$tmp/t1/accounts.csv" "$tmp/t3/accounts.csv"

"$ember" gen fraud --rows "$rows" --seed 8 --out "$tmp/s8" >/dev/null
check "another seed gives other data" bash -c "! cmp -s '$tmp/t1/transactions.csv' '$tmp/s8/transactions.csv'"

tx=$tmp/t1/transactions.csv
ac=$tmp/t1/accounts.csv
check "transactions header" test "$(head -1 "$tx")" = \
  "txn_id,account_id,ts,amount,merchant,category,country,channel,is_fraud"
check "accounts header" test "$(head -1 "$ac")" = \
  "account_id,holder,home_country,opened,credit_limit,risk_tier"
check "transaction rows" test "$(wc -l <"$tx")" -eq $((rows + 1))
check "account rows (default rows/50)" test "$(wc -l <"$ac")" -eq $((rows / 50 + 1))

# Field shapes and ranges, checked with awk over every row.
check "transaction fields well-formed" awk -F, -v accounts=$((rows / 50)) '
  NR == 1 { next }
  NF != 9 || $1 != NR - 1 || $2 < 1 || $2 > accounts { bad++; next }
  $3 !~ /^2026-0[1-3]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$/ { bad++; next }
  $4 !~ /^-?[0-9]+\.[0-9][0-9]$/ || $5 !~ /^merchant_[0-9][0-9][0-9][0-9]$/ { bad++; next }
  $6 !~ /^(grocery|travel|electronics|restaurants|fuel|online_services|jewelry|atm)$/ { bad++; next }
  $7 !~ /^[A-Z][A-Z]$/ || $8 !~ /^(pos|online|atm)$/ || $9 !~ /^(true|false)$/ { bad++; next }
  $9 == "true" { fraud++ }
  END { rate = fraud / (NR - 1); exit !(bad == 0 && rate > 0.002 && rate < 0.01) }' "$tx"
check "account fields well-formed" awk -F, '
  NR == 1 { next }
  NF != 6 || $1 != NR - 1 || $3 !~ /^[A-Z][A-Z]$/ || $4 !~ /^20[0-2][0-9]-[01][0-9]-[0-3][0-9]$/ { bad++ }
  $5 !~ /^[0-9]+\.[0-9][0-9]$/ || $6 !~ /^(low|medium|high)$/ { bad++ }
  END { exit bad != 0 }' "$ac"

# --accounts bounds the ids.
"$ember" gen fraud --rows 5000 --accounts 10 --out "$tmp/small" >/dev/null
check "--accounts rows" test "$(wc -l <"$tmp/small/accounts.csv")" -eq 11
check "--accounts bounds account_id" \
  awk -F, 'NR > 1 && ($2 < 1 || $2 > 10) { bad++ } END { exit bad != 0 }' "$tmp/small/transactions.csv"

# ember reads the generated files back.
out=$("$ember" sql --format csv -e "SELECT count(*) AS n FROM read_csv('$tx')" 2>&1)
check "ember reads the transactions" test "$out" = "$(printf 'n\n%s' "$rows")"

# Usage errors.
"$ember" gen fraud --out "$tmp/x" >/dev/null 2>&1
check "--rows is required" test $? -eq 2
"$ember" gen fraud --rows ten >/dev/null 2>&1
check "--rows must be a number" test $? -eq 2
"$ember" gen nonsense --rows 1 >/dev/null 2>&1
check "unknown data set" test $? -eq 2
"$ember" gen fraud --rows 1 --bogus >/dev/null 2>&1
check "unknown gen option" test $? -eq 2

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
