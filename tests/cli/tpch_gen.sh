#!/usr/bin/env bash
# tpch_gen.sh EMBER — `ember gen tpch`: the same scale factor gives byte-identical files
# whatever the thread count; at SF 0.01 the tables have the specification's
# cardinalities and headers, and the values follow its rules (sparse order keys, 1..7
# lineitems per order, suppliers from partsupp, customers not divisible by 3, flags and
# statuses from the dates, total prices from the lineitems, phone codes from nations,
# the supplier comments Q16 looks for); ember reads the files back through the views
# of bench/tpch/views.sh; usage errors exit 2.
set -u
ember=${1:?usage: tpch_gen.sh path/to/ember}
root=$(cd "$(dirname "$0")/../.." && pwd)
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
tables="region nation supplier customer part partsupp orders lineitem"

# ---- determinism: SF 0.05 has several chunks of orders and parts ----
"$ember" gen tpch --sf 0.05 --threads 1 --out "$tmp/t1" >/dev/null || fail "gen with 1 thread"
"$ember" gen tpch --sf 0.05 --threads 3 --out "$tmp/t3" >/dev/null || fail "gen with 3 threads"
"$ember" gen tpch --sf 0.05 --out "$tmp/tdefault" >/dev/null || fail "gen with default threads"
for t in $tables; do
  check "$t identical across thread counts" cmp "$tmp/t1/$t.csv" "$tmp/t3/$t.csv"
  check "$t identical with default threads" cmp "$tmp/t1/$t.csv" "$tmp/tdefault/$t.csv"
done
rm -rf "$tmp/t3" "$tmp/tdefault"

# ---- SF 0.01: cardinalities and headers ----
d=$tmp/sf
"$ember" gen tpch --sf 0.01 --out "$d" >"$tmp/gen.out" || fail "gen --sf 0.01"
check "summary line names the tables" grep -q 'lineitem' "$tmp/gen.out"
rows() { echo $(($(wc -l <"$d/$1.csv") - 1)); }
check "region has 5 rows" test "$(rows region)" -eq 5
check "nation has 25 rows" test "$(rows nation)" -eq 25
check "supplier has SF * 10000 rows" test "$(rows supplier)" -eq 100
check "customer has SF * 150000 rows" test "$(rows customer)" -eq 1500
check "part has SF * 200000 rows" test "$(rows part)" -eq 2000
check "partsupp has 4 rows per part" test "$(rows partsupp)" -eq 8000
check "orders has SF * 1500000 rows" test "$(rows orders)" -eq 15000
li=$(rows lineitem)
check "lineitem has about 4 rows per order ($li)" test "$li" -gt 56000 -a "$li" -lt 64000

header() { head -1 "$d/$1.csv"; }
check "region header" test "$(header region)" = "r_regionkey,r_name,r_comment"
check "nation header" test "$(header nation)" = "n_nationkey,n_name,n_regionkey,n_comment"
check "supplier header" test "$(header supplier)" = \
  "s_suppkey,s_name,s_address,s_nationkey,s_phone,s_acctbal,s_comment"
check "customer header" test "$(header customer)" = \
  "c_custkey,c_name,c_address,c_nationkey,c_phone,c_acctbal,c_mktsegment,c_comment"
check "part header" test "$(header part)" = \
  "p_partkey,p_name,p_mfgr,p_brand,p_type,p_size,p_container,p_retailprice,p_comment"
check "partsupp header" test "$(header partsupp)" = \
  "ps_partkey,ps_suppkey,ps_availqty,ps_supplycost,ps_comment"
check "orders header" test "$(header orders)" = \
  "o_orderkey,o_custkey,o_orderstatus,o_totalprice,o_orderdate,o_orderpriority,o_clerk,o_shippriority,o_comment"
check "lineitem header" test "$(header lineitem)" = \
  "l_orderkey,l_partkey,l_suppkey,l_linenumber,l_quantity,l_extendedprice,l_discount,l_tax,l_returnflag,l_linestatus,l_shipdate,l_commitdate,l_receiptdate,l_shipinstruct,l_shipmode,l_comment"

# ---- values (awk: only the last column, a comment, may hold a quoted comma, except
# in supplier and customer whose addresses may too) ----
check "fixed nations and regions" awk -F, '
  FNR == 1 { next }
  FILENAME ~ /region/ { r[$1] = $2; next }
  { n[$1] = $2 "/" r[$3] }
  END {
    exit !(r[0] == "AFRICA" && r[4] == "MIDDLE EAST" && n[0] == "ALGERIA/AFRICA" &&
           n[7] == "GERMANY/EUROPE" && n[20] == "SAUDI ARABIA/MIDDLE EAST" &&
           n[24] == "UNITED STATES/AMERICA" && length(n) == 25)
  }' "$d/region.csv" "$d/nation.csv"

check "sparse order keys, customers not divisible by 3, valid values" awk -F, '
  NR == 1 { next }
  ($1 - 1) % 32 >= 8 || $1 <= prev { bad++ }
  { prev = $1 }
  $2 % 3 == 0 || $2 < 1 || $2 > 1500 { bad++ }
  $3 !~ /^[OFP]$/ || $4 !~ /^[0-9]+\.[0-9][0-9]$/ { bad++ }
  $5 < "1992-01-01" || $5 > "1998-08-02" { bad++ }
  $6 !~ /^(1-URGENT|2-HIGH|3-MEDIUM|4-NOT SPECIFIED|5-LOW)$/ { bad++ }
  $7 !~ /^Clerk#0000000[0-9][0-9]$/ || $8 != 0 { bad++ }
  END { exit !(bad == 0 && prev == (15000 / 8 - 1) * 32 + 8) }' "$d/orders.csv"

check "lineitem values follow the rules" awk -F, '
  NR == 1 { next }
  $4 < 1 || $4 > 7 || $5 < 1 || $5 > 50 || $7 < 0 || $7 > 0.10 || $8 < 0 || $8 > 0.08 { bad++ }
  # dates: receipt after ship, flags from 1995-06-17
  $13 <= $11 { bad++ }
  ($13 <= "1995-06-17") != ($9 == "R" || $9 == "A") || ($9 != "N" && $9 != "R" && $9 != "A") { bad++ }
  ($11 > "1995-06-17") != ($10 == "O") { bad++ }
  $14 !~ /^(DELIVER IN PERSON|COLLECT COD|NONE|TAKE BACK RETURN)$/ { bad++ }
  $15 !~ /^(REG AIR|AIR|RAIL|SHIP|TRUCK|MAIL|FOB)$/ { bad++ }
  END { exit bad != 0 }' "$d/lineitem.csv"

check "linenumbers run 1..n per order, every order has lines" awk -F, '
  NR == 1 { next }
  $1 != key { if ($4 != 1) bad++; key = $1; orders++ }
  $1 == key && $4 != 1 && $4 != last + 1 { bad++ }
  { last = $4 }
  END { exit !(bad == 0 && orders == 15000) }' "$d/lineitem.csv"

check "extended price is quantity times the retail price" awk -F, '
  FNR == 1 { next }
  FILENAME ~ /part\.csv$/ { price[$1] = $8; next }
  { if (sprintf("%.2f", $5 * price[$2]) != $6) bad++ }
  END { exit bad != 0 }' "$d/part.csv" "$d/lineitem.csv"

check "every lineitem (part, supplier) is in partsupp" awk -F, '
  FNR == 1 { next }
  FILENAME ~ /partsupp/ { ps[$1 "," $2] = 1; n[$1]++; next }
  !(($2 "," $3) in ps) { bad++ }
  END { for (p in n) if (n[p] != 4) bad++; exit bad != 0 }' "$d/partsupp.csv" "$d/lineitem.csv"

check "order status and total price follow from the lineitems" awk -F, '
  FNR == 1 { next }
  FILENAME ~ /lineitem/ {
    cents = int($6 * 100 + 0.5); tax = int($8 * 100 + 0.5); disc = int($7 * 100 + 0.5)
    total[$1] += int((cents * (100 + tax) * (100 - disc) + 5000) / 10000)
    if ($10 == "O") open[$1]++; else done[$1]++
    next
  }
  {
    s = open[$1] && done[$1] ? "P" : open[$1] ? "O" : "F"
    if ($3 != s || sprintf("%.2f", total[$1] / 100) != $4) bad++
  }
  END { exit bad != 0 }' "$d/lineitem.csv" "$d/orders.csv"

check "part names, brands, types and containers" awk -F, '
  NR == 1 { next }
  {
    split($2, w, " "); if (length(w) != 5) bad++
    for (i = 1; i <= 5; i++) for (j = i + 1; j <= 5; j++) if (w[i] == w[j]) bad++
    m = substr($3, 14); if ($3 !~ /^Manufacturer#[1-5]$/ || $4 !~ ("^Brand#" m "[1-5]$")) bad++
    if ($5 !~ /^(STANDARD|SMALL|MEDIUM|LARGE|ECONOMY|PROMO) (ANODIZED|BURNISHED|PLATED|POLISHED|BRUSHED) (TIN|NICKEL|BRASS|STEEL|COPPER)$/) bad++
    if ($6 < 1 || $6 > 50 || $7 !~ /^(SM|LG|MED|JUMBO|WRAP) (CASE|BOX|BAG|JAR|PKG|PACK|CAN|DRUM)$/) bad++
    price = (90000 + int($1 / 10) % 20001 + 100 * ($1 % 1000)) / 100
    if (sprintf("%.2f", price) != $8) bad++
    if ($2 ~ /^forest /) forest++
  }
  END { exit !(bad == 0 && forest > 0) }' "$d/part.csv"

check "phone country codes follow the nation" bash -c "
  grep -oE ',[0-9]+,[0-9]{2}-[0-9]{3}-[0-9]{3}-[0-9]{4},' '$d/customer.csv' '$d/supplier.csv' |
    awk -F'[,-]' '\$2 + 10 != \$3 { bad++ } END { exit !(bad == 0 && NR == 1600) }'"
check "supplier comments for Q16 (Customer ... Complaints)" grep -qE 'Customer .*Complaints' "$d/supplier.csv"
check "supplier comments (Customer ... Recommends)" grep -qE 'Customer .*Recommends' "$d/supplier.csv"
check "one customer in three never orders" awk -F, '
  FNR == 1 { next }
  FILENAME ~ /orders/ { seen[$2] = 1; next }
  { if ($1 in seen) with++; else without++ }
  END { exit !(without >= 500 && with + without == 1500) }' "$d/orders.csv" "$d/customer.csv"

# ---- ember reads the files back through the views ----
{
  bash "$root/bench/tpch/views.sh" "$d"
  echo "SELECT (SELECT count(*) FROM lineitem) AS l, (SELECT count(*) FROM orders) AS o,"
  echo "  (SELECT count(*) FROM customer) AS c, (SELECT sum(s_acctbal) FROM supplier) IS NOT NULL AS s;"
} >"$tmp/read.sql"
out=$("$ember" sql --format csv -f "$tmp/read.sql" 2>&1)
check "ember reads the tables" test "$out" = "$(printf 'l,o,c,s\n%s,15000,1500,true' "$li")"

# ---- Parquet (through the format writer, when this build has one) ----
# Every table read from Parquet must print exactly as the same table read from CSV.
sorted_by() {
  case $1 in
    partsupp) echo "ps_partkey, ps_suppkey" ;;
    lineitem) echo "l_orderkey, l_linenumber" ;;
    *) echo 1 ;;
  esac
}
if "$ember" gen tpch --sf 0.01 --format parquet --threads 1 --out "$tmp/pq" >"$tmp/pq.out" 2>&1; then
  "$ember" gen tpch --sf 0.01 --format parquet --threads 3 --out "$tmp/pq3" >/dev/null 2>&1
  for t in $tables; do
    check "parquet $t identical across thread counts" cmp "$tmp/pq/$t.parquet" "$tmp/pq3/$t.parquet"
    for f in csv parquet; do
      src=$d
      [ $f = parquet ] && src=$tmp/pq
      { bash "$root/bench/tpch/views.sh" "$src" $f
        echo "SELECT * FROM $t ORDER BY $(sorted_by "$t");"; } >"$tmp/$f.sql"
      "$ember" sql --format csv -f "$tmp/$f.sql" >"$tmp/$t.$f.out" 2>&1
    done
    check "parquet $t holds the values of the CSV" cmp "$tmp/$t.csv.out" "$tmp/$t.parquet.out"
    check "parquet $t has all rows" test "$(wc -l <"$tmp/$t.parquet.out")" -eq "$(wc -l <"$d/$t.csv")"
  done
else
  check "parquet unavailable is explained" grep -qi 'parquet' "$tmp/pq.out"
fi

# ---- usage errors ----
"$ember" gen tpch --out "$tmp/x" >/dev/null 2>&1
check "--sf is required" test $? -eq 2
"$ember" gen tpch --sf 0 --out "$tmp/x" >/dev/null 2>&1
check "--sf must be positive" test $? -eq 2
"$ember" gen tpch --sf ten --out "$tmp/x" >/dev/null 2>&1
check "--sf must be a number" test $? -eq 2
"$ember" gen tpch --sf 1 --format xml --out "$tmp/x" >/dev/null 2>&1
check "unknown format" test $? -eq 2
"$ember" gen tpch --sf 1 --bogus >/dev/null 2>&1
check "unknown option" test $? -eq 2
check "no files left behind by failed runs" test ! -e "$tmp/x"
check "--version" bash -c "'$ember' gen tpch --version | grep -qE '^ember tpch generator [0-9]+$'"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
