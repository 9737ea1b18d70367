# cluster.sh — sourced by tests that need a real cluster on 127.0.0.1:
#   cluster_start NWORKERS CORES [extra master/worker args...]   sets $MASTER (ember://...)
#     ($CLUSTER_MASTER_ARGS, word-split, go to the master only)
#   cluster_add_worker CORES [worker args...]   one more worker (waits until it is alive)
#   cluster_kill_worker I      SIGKILL worker I (1-based) and the executors it started
#   cluster_stop               stop everything this script started (also on EXIT)
# Every process is started by this script and ended by its pid; each wait is bounded.
# Needs $EMBER (the binary). Work and log files live in $CLUSTER_DIR (a temp dir).

CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ember-cluster.XXXXXX")
CLUSTER_PIDS=()
WORKER_PIDS=()

cluster_stop() {
  local p
  for p in "${WORKER_PIDS[@]}" "${CLUSTER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${WORKER_PIDS[@]}" "${CLUSTER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${WORKER_PIDS[@]}" "${CLUSTER_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # Executors of killed workers (found by their work directory) go too.
  pkill -KILL -f -- "--work-dir $CLUSTER_DIR/" 2>/dev/null
  WORKER_PIDS=()
  CLUSTER_PIDS=()
  # Under ASan/UBSan every process's report fails the test (executors write
  # theirs to stderr files in their work directories).
  local reports
  reports=$(grep -rlE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$CLUSTER_DIR" 2>/dev/null)
  if [ -n "$reports" ]; then
    echo "FAIL: sanitizer reports in:"
    for f in $reports; do echo "---- $f"; grep -A30 -E "Sanitizer|runtime error" "$f" | head -50; done
    rm -rf "$CLUSTER_DIR"
    exit 1
  fi
  rm -rf "$CLUSTER_DIR"
}
trap cluster_stop EXIT
[ -n "${CLUSTER_KEEP:-}" ] && trap - EXIT

cluster_logs() {
  local f
  for f in "$CLUSTER_DIR"/*.log; do echo "---- $f"; tail -n 30 "$f"; done
}

# cluster_start NWORKERS CORES [args for master and workers, e.g. --secret S]
cluster_start() {
  local n=$1 cores=$2
  shift 2
  # shellcheck disable=SC2086
  "$EMBER" master --port 0 --webui-port -1 --port-file "$CLUSTER_DIR/port" "$@" ${CLUSTER_MASTER_ARGS:-} \
    >"$CLUSTER_DIR/master.log" 2>&1 &
  CLUSTER_PIDS+=($!)
  for _ in $(seq 100); do [ -s "$CLUSTER_DIR/port" ] && break; sleep 0.05; done
  [ -s "$CLUSTER_DIR/port" ] || { echo "the master did not start"; cluster_logs; return 1; }
  MASTER=ember://127.0.0.1:$(cat "$CLUSTER_DIR/port")
  local i
  for i in $(seq "$n"); do
    mkdir -p "$CLUSTER_DIR/w$i"
    "$EMBER" worker --master "$MASTER" --cores "$cores" --memory 2g \
      --work-dir "$CLUSTER_DIR/w$i" "$@" >"$CLUSTER_DIR/worker$i.log" 2>&1 &
    WORKER_PIDS+=($!)
  done
  # Wait until the master lists every worker alive.
  for _ in $(seq 100); do
    local alive
    alive=$("$EMBER" status --master "$MASTER" --format json "$@" 2>/dev/null |
      grep -o '"state": *"ALIVE"' | wc -l)
    [ "$alive" -ge "$n" ] && return 0
    sleep 0.1
  done
  echo "the workers did not all register"
  cluster_logs
  return 1
}

cluster_add_worker() {
  local cores=$1 i=$(( ${#WORKER_PIDS[@]} + 1 ))
  shift
  mkdir -p "$CLUSTER_DIR/w$i"
  "$EMBER" worker --master "$MASTER" --cores "$cores" --memory 2g \
    --work-dir "$CLUSTER_DIR/w$i" "$@" >"$CLUSTER_DIR/worker$i.log" 2>&1 &
  WORKER_PIDS+=($!)
  for _ in $(seq 100); do
    local alive
    alive=$("$EMBER" status --master "$MASTER" --format json 2>/dev/null |
      grep -o '"state": *"ALIVE"' | wc -l)
    [ "$alive" -ge "$i" ] && return 0
    sleep 0.1
  done
  echo "worker $i did not register"; cluster_logs; return 1
}

# cluster_restart_master [args]: SIGKILL the master and start it again on the same
# port; returns once every worker still running has registered again.
cluster_restart_master() {
  local port=${MASTER##*:} old=${CLUSTER_PIDS[0]}
  kill -KILL "$old" 2>/dev/null
  wait "$old" 2>/dev/null
  # shellcheck disable=SC2086
  "$EMBER" master --port "$port" --webui-port -1 "$@" ${CLUSTER_MASTER_ARGS:-} \
    >>"$CLUSTER_DIR/master.log" 2>&1 &
  CLUSTER_PIDS[0]=$!
  local want=0 p
  for p in "${WORKER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && want=$((want + 1)); done
  for _ in $(seq 200); do
    local alive
    alive=$("$EMBER" status --master "$MASTER" --format json "$@" 2>/dev/null |
      grep -o '"state": *"ALIVE"' | wc -l)
    [ "$alive" -ge "$want" ] && return 0
    sleep 0.1
  done
  echo "the workers did not register with the restarted master"; cluster_logs; return 1
}

# cluster_kill_worker I: SIGKILL worker I; its executors die with it.
cluster_kill_worker() {
  local pid=${WORKER_PIDS[$(($1 - 1))]}
  kill -KILL "$pid" 2>/dev/null
}
