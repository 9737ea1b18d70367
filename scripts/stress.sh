#!/usr/bin/env bash
# stress.sh EMBER — repeat the kill test (tests/cluster/kill_worker.sh) with a random
# victim and a random kill time, and print how many runs gave the right answer.
# Bounded: STRESS_RUNS runs (default 10), stopping early after STRESS_SECONDS (default 900).
set -u
ember=$(realpath "${1:?usage: stress.sh path/to/ember}")
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${STRESS_RUNS:-10}
budget=${STRESS_SECONDS:-900}
data=$(mktemp -d "${TMPDIR:-/tmp}/ember-stress.XXXXXX")
trap 'rm -rf "$data"' EXIT
"$ember" gen tpch --sf 0.1 --out "$data/tpch" >/dev/null || { echo "cannot generate data"; exit 1; }
start=$(date +%s)
ok=0
done_runs=0
for i in $(seq "$runs"); do
  [ $(( $(date +%s) - start )) -ge "$budget" ] && break
  victim=$(( RANDOM % 3 + 1 ))
  delay=$(printf '0.%02d' $(( RANDOM % 100 )))
  if KILL_WORKER=$victim KILL_DELAY=$delay TPCH_DATA=$data/tpch \
      bash "$root/tests/cluster/kill_worker.sh" "$ember" >"$data/run$i.log" 2>&1; then
    ok=$((ok + 1))
    echo "run $i: worker $victim killed after +${delay}s: ok ($(grep -o 'recomputed ([0-9]* of [0-9]*)' "$data/run$i.log"))"
  else
    echo "run $i: worker $victim killed after +${delay}s: FAILED"
    tail -n 20 "$data/run$i.log"
  fi
  done_runs=$i
done
echo "stress: $ok of $done_runs runs gave the right answer"
[ "$ok" -eq "$done_runs" ]
