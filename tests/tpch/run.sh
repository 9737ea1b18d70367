#!/usr/bin/env bash
# run.sh EMBER N — TPC-H query N (1..22) at scale factor 0.1 in ember, checked against
# its golden answer (tests/tpch/answers/sf0.1/qNN.tsv, made by DuckDB: make-answers.sh).
#
# The data is generated once per generator version into a cache next to the ember
# binary (<build>/tpch-cache/sf0.1-v<version>-<checksum of src/gen/tpch*>, or under
# $TPCH_CACHE_DIR) and shared by the 22 tests: a lock serializes the generation and
# the directory appears by an atomic rename, so concurrent tests never see half-written
# files. The tables are views over the CSV files (bench/tpch/views.sh) created in the
# same ember run as the query.
# Extra arguments for `ember sql` may be given in $TPCH_EMBER_ARGS (e.g. --master local[4]).
#
# Queries listed in tests/tpch/known_failing.txt (with the missing feature) may fail
# with an error: the test is then skipped (exit 77) and the reason printed. A listed
# query that passes fails the test, so that the list is kept current; a listed query
# that runs but answers wrongly fails too (a wrong answer is never a missing feature).
set -u
ember=$(realpath "${1:?usage: run.sh path/to/ember QUERY_NUMBER}")
n=${2:?usage: run.sh path/to/ember QUERY_NUMBER}
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${n#q}
q=q$(printf '%02d' "$((10#$n))")
query=$root/bench/tpch/queries/$q.sql
golden=$root/tests/tpch/answers/sf0.1/$q.tsv
[ -f "$query" ] || { echo "run.sh: no query $query"; exit 2; }
[ -f "$golden" ] || { echo "run.sh: no golden answer $golden (run tests/tpch/make-answers.sh)"; exit 1; }
command -v perl >/dev/null || { echo "run.sh: SKIPPED (perl is needed to compare answers)"; exit 77; }

version=$("$ember" gen tpch --version | awk '{ print $NF }')
answers_version=$(cat "$root/tests/tpch/answers/sf0.1/GENERATOR" 2>/dev/null || echo none)
if [ "$version" != "$answers_version" ]; then
  echo "FAIL $q: the golden answers belong to generator version $answers_version, ember's generator is version $version;"
  echo "     run tests/tpch/make-answers.sh path/to/ember and commit the new answers"
  exit 1
fi

# ---- the shared SF 0.1 data ----
# Keyed by the generator's version and, so that a change to the generator's sources is
# never hidden by data generated before it, by a checksum of those sources.
cache_root=${TPCH_CACHE_DIR:-$(dirname "$ember")/tpch-cache}
sum=$(cat "$root"/src/gen/tpch* | cksum | cut -d' ' -f1)
data=$cache_root/sf0.1-v$version-$sum
if [ ! -d "$data" ]; then
  mkdir -p "$cache_root" || exit 1
  (
    # Only one test generates; the others wait here and then find the directory.
    if command -v flock >/dev/null; then flock 9; fi
    if [ ! -d "$data" ]; then
      staging=$(mktemp -d "$cache_root/.sf0.1-v$version.XXXXXX") || exit 1
      if ! "$ember" gen tpch --sf 0.1 --out "$staging" >"$staging/.gen.log" 2>&1; then
        cat "$staging/.gen.log"
        rm -rf "$staging"
        exit 1
      fi
      # The rename is atomic; should another process have won, keep its copy.
      mv -T "$staging" "$data" 2>/dev/null || rm -rf "$staging"
      # Data of other generator versions or sources is of no further use.
      for old in "$cache_root"/sf0.1-v*; do
        [ "$old" = "$data" ] || rm -rf "$old"
      done
    fi
  ) 9>"$cache_root/.lock" || { echo "FAIL $q: generating the SF 0.1 data failed"; exit 1; }
fi

# ---- run the query ----
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ bash "$root/bench/tpch/views.sh" "$data"; cat "$query"; } >"$tmp/script.sql"
# shellcheck disable=SC2086
"$ember" sql ${TPCH_EMBER_ARGS:-} --format csv -f "$tmp/script.sql" >"$tmp/out.csv" 2>"$tmp/err.txt"
status=$?

reason=$(awk -v q="$q" '$1 == q { $1 = ""; sub(/^ +/, ""); print; exit }' \
  "$root/tests/tpch/known_failing.txt" 2>/dev/null)

if [ "$status" -ne 0 ]; then
  if [ -n "$reason" ]; then
    echo "SKIP $q (known failing: $reason)"
    sed 's/^/  ember: /' "$tmp/err.txt" | head -20
    exit 77
  fi
  echo "FAIL $q: ember exited with status $status"
  sed 's/^/  ember: /' "$tmp/err.txt" | head -40
  exit 1
fi

if perl "$root/tests/tpch/compare.pl" "$golden" "$tmp/out.csv" "$query" >"$tmp/cmp.txt"; then
  if [ -n "$reason" ]; then
    echo "FAIL $q now passes: remove $q from tests/tpch/known_failing.txt"
    exit 1
  fi
  echo "ok   $q ($(($(wc -l <"$golden") - 1)) rows)"
  exit 0
fi
echo "FAIL $q: the answer differs from $golden"
sed 's/^/  /' "$tmp/cmp.txt"
[ -n "$reason" ] && echo "  ($q is listed in known_failing.txt as \"$reason\", but it runs: a wrong answer is a bug)"
exit 1
