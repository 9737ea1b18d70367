#!/usr/bin/env bash
# demo.sh EMBER DIR ROWS — the fraud-detection demo: generate ROWS card
# transactions into DIR with `ember gen fraud` (only when DIR holds no data set
# made with the same parameters: DIR/.params records them), then run
# examples/fraud/job.sql from inside DIR and report the total time.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 EMBER DIR ROWS" >&2
  exit 2
fi
case $3 in
  '' | *[!0-9]*) echo "demo: ROWS must be a number, got '$3'" >&2; exit 2 ;;
esac
if [ ! -x "$1" ]; then
  echo "demo: $1 is not an executable (run make build first)" >&2
  exit 1
fi
ember=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$2
rows=$3
seed=42
job=$(cd "$(dirname "$0")/.." && pwd)/examples/fraud/job.sql

# The generator's output depends on its version as well as on its arguments.
params="fraud rows=$rows seed=$seed $("$ember" --version)"
if [ -f "$dir/transactions.csv" ] && [ -f "$dir/accounts.csv" ] &&
   [ "$(cat "$dir/.params" 2>/dev/null)" = "$params" ]; then
  echo "demo: reusing the data in $dir ($params)"
else
  echo "demo: generating $rows transactions into $dir"
  mkdir -p "$dir"
  rm -f "$dir/.params"
  "$ember" gen fraud --rows "$rows" --seed "$seed" --out "$dir"
  echo "$params" > "$dir/.params"
fi

echo "demo: running $job"
start=$(date +%s.%N)
(cd "$dir" && "$ember" sql --timer -f "$job")
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "demo: total time %.2f s\n", e - s }'
