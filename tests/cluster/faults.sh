#!/usr/bin/env bash
# faults.sh EMBER — injected faults on a real 3-worker cluster, each query checked
# against local mode's answer and the scheduler's counters (EXPLAIN ANALYZE):
#   1. a task attempt fails (fail:stage=0,task=1,attempt=0): retried, one failed attempt;
#   2. an executor exits after its 2nd task (exit:executor=1,after=2): its outputs are
#      recomputed elsewhere;
#   3. one block's fetch fails (fetchfail:shuffle=0,map=2): the scheduler recomputes
#      the map outputs of the executor that held it and reruns the reduce task;
#   4. a straggler is overtaken by a speculative copy (ember.speculation);
#   5. a task failing every attempt aborts the job, naming the cause;
#   6. garbage on the driver's and an executor's ports closes only those connections;
#   7. the master is killed and restarted during a query;
#   8. a driver with the wrong secret is refused, and the master's log says why;
#   9. a master without workers: the driver gives up in time, saying why.
set -u
EMBER=$(realpath "${1:?usage: faults.sh path/to/ember}")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/cluster.sh"

data=$CLUSTER_DIR/tpch
"$EMBER" gen tpch --sf 0.01 --out "$data" >/dev/null || { echo "cannot generate data"; exit 1; }
query="SELECT o_orderpriority, count(*) AS n, sum(l_quantity) AS q
FROM read_csv('$data/orders.csv') JOIN read_csv('$data/lineitem.csv') ON o_orderkey = l_orderkey
GROUP BY 1 ORDER BY 1"
conf=(--conf ember.files.maxPartitionBytes=256k --conf ember.sql.shuffle.partitions=6
      --conf ember.sql.autoBroadcastJoinThreshold=-1 --format csv)
"$EMBER" sql --master 'local[2]' "${conf[@]}" -e "$query" >"$CLUSTER_DIR/expected.csv" ||
  { echo "FAIL: the local run failed"; exit 1; }

secret=s3cr3t-for-tests
cluster_start 3 1 --secret "$secret" || exit 1
fails=0

# run NAME INJECT CHECK [ARGS]: run the query with the injection (and extra ember
# sql ARGS); CHECK is a shell test over $explain (the EXPLAIN ANALYZE text).
run() {
  local name=$1 inject=$2 check=$3
  shift 3
  local out=$CLUSTER_DIR/$name
  if ! "$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
      --conf "ember.test.inject=$inject" "$@" -e "EXPLAIN ANALYZE $query" >"$out.explain" 2>"$out.log" ||
     ! "$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
      --conf "ember.test.inject=$inject" "$@" -e "$query" >"$out.csv" 2>>"$out.log"; then
    echo "FAIL $name: the query failed"; cat "$out.log"; fails=$((fails + 1)); return
  fi
  if ! cmp -s "$CLUSTER_DIR/expected.csv" "$out.csv"; then
    echo "FAIL $name: wrong answer"; diff "$CLUSTER_DIR/expected.csv" "$out.csv" | head
    fails=$((fails + 1)); return
  fi
  explain=$(cat "$out.explain")
  local summary
  summary=$(grep -E '^tasks:|^task attempts|^recovery:' "$out.explain" | tr '\n' ' ')
  if eval "$check"; then
    echo "ok   $name: $summary"
  else
    echo "FAIL $name: counters do not show the recovery ($check): $summary"
    cat "$out.log"; fails=$((fails + 1))
  fi
}

run task-failure 'fail:stage=0,task=1,attempt=0' \
  'grep -q "(1 failed attempts)" <<<"$explain"'
run executor-exit 'exit:executor=1,after=2' \
  'grep -qE "^tasks: [0-9]+ \([1-9][0-9]* failed" <<<"$explain" || grep -qE "recovery: [1-9]" <<<"$explain"'
run fetch-failure 'fetchfail:shuffle=0,map=2' \
  'grep -qE "recovery: [1-9][0-9]* lost map outputs? recomputed, [1-9]" <<<"$explain"'

# A straggler (its first attempt sleeps 20 s) is overtaken by a speculative copy.
t0=$(date +%s)
run speculation 'sleep:stage=0,task=0,attempt=0,ms=20000' \
  'grep -qE "[1-9][0-9]* speculative tasks?" <<<"$explain"' --conf ember.speculation=true
if [ $(( $(date +%s) - t0 )) -ge 20 ]; then
  echo "FAIL speculation: the queries waited for the straggler"; fails=$((fails + 1))
fi

# `ember submit` runs a job file as an application.
printf '%s;\n' "$query" >"$CLUSTER_DIR/job.sql"
if "$EMBER" submit --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
    "$CLUSTER_DIR/job.sql" >"$CLUSTER_DIR/submit.csv" 2>"$CLUSTER_DIR/submit.log" &&
   cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/submit.csv"; then
  echo "ok   submit: ember submit job.sql gave the right answer"
else
  echo "FAIL submit: ember submit job.sql"; cat "$CLUSTER_DIR/submit.log"; fails=$((fails + 1))
fi

# A task that fails every attempt aborts the job, and the error shows the root cause.
if "$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
    --conf "ember.test.inject=fail:stage=0,task=1" -e "$query" >"$CLUSTER_DIR/abort.out" 2>&1; then
  echo "FAIL abort: a task failing every attempt did not fail the query"; fails=$((fails + 1))
elif ! grep -q "task 0.1 failed 4 times.*injected failure of task 0.1 attempt 3" "$CLUSTER_DIR/abort.out"; then
  echo "FAIL abort: the error does not show the root cause:"; cat "$CLUSTER_DIR/abort.out"
  fails=$((fails + 1))
else
  echo "ok   abort: $(grep -m1 'failed 4 times' "$CLUSTER_DIR/abort.out")"
fi

# Garbage sent to the driver's port and to an executor's block server while a query
# runs closes only those connections: the query still gives the right answer.
EMBER_LOG=info "$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
  --conf "ember.test.inject=sleep:stage=1,ms=1500" -e "$query" \
  >"$CLUSTER_DIR/garbage.csv" 2>"$CLUSTER_DIR/garbage.log" &
driver=$!
for _ in $(seq 200); do grep -q "blocks on port" "$CLUSTER_DIR/garbage.log" 2>/dev/null && break; sleep 0.05; done
bport=$(grep -o 'blocks on port [0-9]*' "$CLUSTER_DIR/garbage.log" | head -1 | grep -o '[0-9]*$')
dport=$(grep -o 'listening for executors on port [0-9]*' "$CLUSTER_DIR/garbage.log" | head -1 | grep -o '[0-9]*$')
for port in $bport $dport; do
  # random bytes, then a frame header claiming 2 GiB
  head -c 300 /dev/urandom >/dev/tcp/127.0.0.1/"$port" 2>/dev/null
  printf '\x7f\xff\xff\xff\x00\x01' >/dev/tcp/127.0.0.1/"$port" 2>/dev/null
done
if ! wait "$driver" || ! cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/garbage.csv"; then
  echo "FAIL garbage: the query did not survive garbage on the driver and block ports"
  cat "$CLUSTER_DIR/garbage.log"; fails=$((fails + 1))
elif [ -z "$bport" ] || [ -z "$dport" ]; then
  echo "FAIL garbage: could not find the driver's and executors' ports in the driver's log"
  fails=$((fails + 1))
else
  echo "ok   garbage: driver port $dport and block port $bport refused garbage, the query was right"
fi

# The master is killed and restarted while a query runs: the driver keeps its
# executors (they talk to it directly), the query is right, and a new driver
# gets executors from the restarted master.
"$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
  --conf "ember.test.inject=sleep:stage=1,ms=1500" -e "$query" \
  >"$CLUSTER_DIR/restart.csv" 2>"$CLUSTER_DIR/restart.log" &
driver=$!
sleep 1
if ! cluster_restart_master --secret "$secret"; then
  echo "FAIL master-restart: the workers did not come back"; fails=$((fails + 1))
elif ! wait "$driver" || ! cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/restart.csv"; then
  echo "FAIL master-restart: the running query did not survive"; cat "$CLUSTER_DIR/restart.log"
  fails=$((fails + 1))
elif ! "$EMBER" sql --master "$MASTER" "${conf[@]}" --conf "ember.authenticate.secret=$secret" \
    -e "$query" >"$CLUSTER_DIR/restart2.csv" 2>>"$CLUSTER_DIR/restart.log" ||
     ! cmp -s "$CLUSTER_DIR/expected.csv" "$CLUSTER_DIR/restart2.csv"; then
  echo "FAIL master-restart: a new application failed on the restarted master"
  cat "$CLUSTER_DIR/restart.log"; fails=$((fails + 1))
else
  echo "ok   master-restart: a query across the restart and one after it were right"
fi

# A driver with the wrong secret is refused with a clear reason.
if "$EMBER" sql --master "$MASTER" --conf ember.authenticate.secret=wrong \
    --conf ember.cluster.executorWaitSeconds=5 -e "SELECT 1" >"$CLUSTER_DIR/wrong.out" 2>&1; then
  echo "FAIL wrong-secret: a driver with the wrong secret ran a query"; fails=$((fails + 1))
elif ! grep -qi "authentication" "$CLUSTER_DIR/wrong.out"; then
  echo "FAIL wrong-secret: the error does not say why:"; cat "$CLUSTER_DIR/wrong.out"; fails=$((fails + 1))
elif ! grep -qi "auth" "$CLUSTER_DIR/master.log"; then
  echo "FAIL wrong-secret: the master's log does not say why it refused the driver"; fails=$((fails + 1))
else
  echo "ok   wrong-secret: $(head -1 "$CLUSTER_DIR/wrong.out")"
fi

# A master whose workers have no free cores: the driver gives up after
# ember.cluster.executorWaitSeconds with a message that says why.
"$EMBER" master --port 0 --webui-port -1 --port-file "$CLUSTER_DIR/bare.port" \
  >"$CLUSTER_DIR/bare-master.log" 2>&1 &
CLUSTER_PIDS+=($!)
for _ in $(seq 100); do [ -s "$CLUSTER_DIR/bare.port" ] && break; sleep 0.05; done
if "$EMBER" sql --master "ember://127.0.0.1:$(cat "$CLUSTER_DIR/bare.port")" \
    --conf ember.cluster.executorWaitSeconds=1 -e "SELECT 1" >"$CLUSTER_DIR/bare.out" 2>&1; then
  echo "FAIL no-executors: a query ran on a master without workers"; fails=$((fails + 1))
elif ! grep -q "no executor connected within 1 s" "$CLUSTER_DIR/bare.out"; then
  echo "FAIL no-executors: the error does not say why:"; cat "$CLUSTER_DIR/bare.out"
  fails=$((fails + 1))
else
  echo "ok   no-executors: $(head -1 "$CLUSTER_DIR/bare.out")"
fi

[ "$fails" -eq 0 ] || { cluster_logs; echo "FAIL: $fails fault test(s) failed"; exit 1; }
echo "ok: every injected fault was recovered from with the right answer"
