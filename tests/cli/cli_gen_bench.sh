#!/usr/bin/env bash
# cli_gen_bench.sh EMBER — the benchmark data generators (`ember gen h2o-groupby`,
# `h2o-join`, `words`, `sort`): byte-identical output whatever the thread count, the
# db-benchmark's file names, headers and cardinalities, the join key spaces (unique keys
# where the benchmark has them, 90% of keys shared), the text's size bound and word
# shapes, and ember reading every file back.
set -u
ember=${1:?usage: cli_gen_bench.sh path/to/ember}
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
# One value from ember: the first column of the only row.
value() { "$ember" sql --format csv -e "$1" 2>&1 | sed -n 2p; }

# ---- h2o-groupby: 200000 rows span several 65536-row chunks.
g() { "$ember" gen h2o-groupby --rows 2e5 --groups 10 --seed 3 "$@" >/dev/null; }
g --threads 1 --out "$tmp/g1" || fail "groupby with 1 thread"
g --threads 3 --out "$tmp/g3" || fail "groupby with 3 threads"
gb=$tmp/g1/G1_2e5_1e1_0_0.csv
check "groupby file name" test -f "$gb"
check "groupby identical across thread counts" cmp "$gb" "$tmp/g3/G1_2e5_1e1_0_0.csv"
check "groupby header" test "$(head -1 "$gb")" = "id1,id2,id3,id4,id5,id6,v1,v2,v3"
check "groupby rows" test "$(wc -l <"$gb")" -eq 200001
check "groupby fields well-formed" awk -F, '
  NR == 1 { next }
  NF != 9 || $1 !~ /^id0(0[1-9]|10)$/ || $2 !~ /^id0(0[1-9]|10)$/ || $3 !~ /^id[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/ { bad++; next }
  $4 < 1 || $4 > 10 || $5 < 1 || $5 > 10 || $6 < 1 || $6 > 20000 { bad++; next }
  $7 < 1 || $7 > 5 || $8 < 1 || $8 > 15 || $9 !~ /^[0-9]+(\.[0-9][0-9]?[0-9]?[0-9]?[0-9]?[0-9]?)?$/ || $9 >= 100 { bad++ }
  END { exit bad != 0 }' "$gb"
# Values are drawn with replacement, so a level can be missing by chance: N/K = 20000
# levels over 200000 rows leave about one out.
check "groupby cardinalities (K, K, about N/K)" test "$(value "SELECT (count(DISTINCT id1) = 10 AND count(DISTINCT id5) = 10 AND count(DISTINCT id3) > 19990 AND count(DISTINCT id6) > 19990 AND max(id6) <= 20000) FROM read_csv('$gb')")" = true
"$ember" gen h2o-groupby --rows 2e5 --groups 10 --seed 4 --out "$tmp/g4" >/dev/null
check "another seed gives other data" bash -c "! cmp -s '$gb' '$tmp/g4/G1_2e5_1e1_0_0.csv'"

# ---- h2o-join: x and big of 1e5 rows, small of 1, medium of 100.
j() { "$ember" gen h2o-join --rows 100000 --seed 5 "$@" >/dev/null; }
j --threads 1 --out "$tmp/j1" || fail "join with 1 thread"
j --threads 2 --out "$tmp/j2" || fail "join with 2 threads"
for f in J1_1e5_NA_0_0.csv J1_1e5_1_0_0.csv J1_1e5_1e2_0_0.csv J1_1e5_1e5_0_0.csv; do
  check "join file $f identical across thread counts" cmp "$tmp/j1/$f" "$tmp/j2/$f"
done
x=$tmp/j1/J1_1e5_NA_0_0.csv
small=$tmp/j1/J1_1e5_1_0_0.csv
medium=$tmp/j1/J1_1e5_1e2_0_0.csv
big=$tmp/j1/J1_1e5_1e5_0_0.csv
check "join headers" test "$(head -1 "$x") $(head -1 "$small") $(head -1 "$medium") $(head -1 "$big")" = \
  "id1,id2,id3,id4,id5,id6,v1 id1,id4,v2 id1,id2,id4,id5,v2 id1,id2,id3,id4,id5,id6,v2"
check "join rows" test "$(cat "$x" "$small" "$medium" "$big" | wc -l)" -eq $((100001 + 2 + 101 + 100001))
check "join text ids follow integer ids" awk -F, 'NR > 1 && ($4 != "id" $1 || $5 != "id" $2 || $6 != "id" $3) { bad++ } END { exit bad != 0 }' "$x"
# x holds each of its N id3 keys once (a shuffled pool of N keys), big too; medium.id2 unique.
check "x.id3 and big.id3 are unique" test "$(value "SELECT count(DISTINCT id3) FROM read_csv('$x')")-$(value "SELECT count(DISTINCT id3) FROM read_csv('$big')")" = "100000-100000"
check "medium.id2 is unique" test "$(value "SELECT count(DISTINCT id2) FROM read_csv('$medium')")" = "100"
check "90% of id3 keys on both sides" test "$(awk -F, 'NR == FNR { if (FNR > 1) keys[$3]; next }
  FNR > 1 && ($3 in keys) { n++ } END { print n }' "$x" "$big")" = 90000
check "--tables writes only the named tables" bash -c "'$ember' gen h2o-join --rows 10000 --tables x,big --out '$tmp/jx' >/dev/null && ls '$tmp/jx' | tr '\n' ' ' | grep -qx 'J1_1e4_1e4_0_0.csv J1_1e4_NA_0_0.csv '"

# ---- words: the size bound, word shapes, and the one-per-line variant.
w() { "$ember" gen words --bytes 3m --seed 9 "$@" >/dev/null; }
w --threads 1 --out "$tmp/w1" || fail "words with 1 thread"
w --threads 3 --out "$tmp/w3" || fail "words with 3 threads"
w --one-per-line --out "$tmp/w1" || fail "words one per line"
text=$tmp/w1/text.txt
check "words identical across thread counts" cmp "$text" "$tmp/w3/text.txt"
size=$(wc -c <"$text")
check "words stay within --bytes and close to it" test "$size" -le 3145728 -a "$size" -gt 3000000
check "words end with a line end" test "$(tail -c 1 "$text" | od -An -c | tr -d ' ')" = '\n'
check "lines hold 4 to 16 lowercase words" awk '
  NF < 4 || NF > 16 || $0 !~ /^[a-z]+( [a-z]+)*$/ { bad++ } END { exit bad != 0 }' "$text"
check "one word per line" awk 'NF != 1 || $0 !~ /^[a-z]+$/ { bad++ } END { exit bad != 0 }' "$tmp/w1/one_word_per_line.txt"
# Zipf: the most frequent word is far more frequent than the hundredth.
check "word frequencies are skewed" bash -c "tr ' ' '\n' <'$text' | sort | uniq -c | sort -rn | awk 'NR == 1 { top = \$1 } NR == 100 { hundredth = \$1 } END { exit !(top > 20 * hundredth) }'"

# ---- sort: BIGINTs over the whole range.
"$ember" gen sort --rows 150000 --threads 1 --out "$tmp/s1" >/dev/null || fail "sort with 1 thread"
"$ember" gen sort --rows 150000 --threads 4 --out "$tmp/s4" >/dev/null || fail "sort with 4 threads"
check "sort identical across thread counts" cmp "$tmp/s1/sort.csv" "$tmp/s4/sort.csv"
check "sort rows and header" test "$(head -1 "$tmp/s1/sort.csv") $(wc -l <"$tmp/s1/sort.csv")" = "x 150001"
check "sort values are signed 64-bit integers of both signs" awk '
  NR == 1 { next } $0 !~ /^-?[0-9]+$/ || length($0) > 20 { bad++ } /^-/ { neg++ }
  END { exit !(bad == 0 && neg > 70000 && neg < 80000) }' "$tmp/s1/sort.csv"
check "ember reads the sort input as BIGINT" test "$(value "SELECT count(*) FROM read_csv('$tmp/s1/sort.csv') WHERE x < 0")" -gt 70000

# ---- versions and usage errors.
check "--version" bash -c "'$ember' gen h2o-groupby --version | grep -q '^ember h2o-groupby generator [0-9]'"
"$ember" gen h2o-groupby --out "$tmp/e" >/dev/null 2>&1
check "--rows is required" test $? -eq 2
"$ember" gen h2o-join --rows 100 --out "$tmp/e" >/dev/null 2>&1
check "join needs 10000 rows" test $? -eq 1
"$ember" gen h2o-join --rows 10000 --tables x,huge --out "$tmp/e" >/dev/null 2>&1
check "unknown join table" test $? -eq 1
"$ember" gen words --bytes lots >/dev/null 2>&1
check "--bytes must be a size" test $? -eq 2
"$ember" gen sort --rows 1e >/dev/null 2>&1
check "--rows must be a count" test $? -eq 2

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
