# common.bash — shared by tests/cluster/*.sh: start master and worker processes on
# 127.0.0.1 (the master on a free port it writes to a file), wait for conditions
# with bounded loops, and stop every process the test started, whatever happens.
# Source it after setting `ember`; it sets `tmp` and installs the cleanup trap.

command -v jq >/dev/null || { echo "SKIP: jq is not installed"; exit 77; }

tmp=$(mktemp -d)
failures=0
# The daemons log at info level, so the tests can read what they did.
export EMBER_LOG=info
unset EMBER_AUTH_SECRET

# stop_all: SIGTERM to every process the test started that still runs (this
# shell's background jobs, so a reaped pid is never signalled), SIGKILL after 5 s.
stop_all() {
  local p
  for p in $(jobs -pr); do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    [ -z "$(jobs -pr)" ] && break
    sleep 0.1
  done
  for p in $(jobs -pr); do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}

cleanup() {
  stop_all
  rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# finish: stop the daemons (so that sanitizer builds report leaks into their
# logs), check the logs for sanitizer reports, and exit with the verdict.
finish() {
  stop_all
  if grep -l "Sanitizer" "$tmp"/*.log >/dev/null 2>&1; then
    fail "sanitizer reports in $(grep -l Sanitizer "$tmp"/*.log | xargs -n1 basename | tr '\n' ' ')"
  fi
  if [ "$failures" -gt 0 ]; then
    for f in "$tmp"/*.log; do echo "---- $f"; tail -n 40 "$f"; done
    exit 1
  fi
  exit 0
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
  local limit=$1
  shift
  local end=$(($(date +%s%N) + limit * 1000000000))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

# start_master NAME [ARGS...]: sets master_pid and master_port (port 0 unless ARGS say).
start_master() {
  local name=$1
  shift
  rm -f "$tmp/$name.port"
  "$ember" master --port 0 --port-file "$tmp/$name.port" --webui-port -1 "$@" 2>>"$tmp/$name.log" &
  master_pid=$!
  wait_for 10 test -s "$tmp/$name.port" || { echo "FAIL master did not start"; cat "$tmp/$name.log"; exit 1; }
  master_port=$(cat "$tmp/$name.port")
  master_url="ember://127.0.0.1:$master_port"
}

# start_worker NAME [ARGS...]: sets worker_pid; the worker's log is $tmp/NAME.log.
start_worker() {
  local name=$1
  shift
  "$ember" worker --master "$master_url" --work-dir "$tmp/$name.work" "$@" 2>>"$tmp/$name.log" &
  worker_pid=$!
}

# status_json [ARGS...]: the master's status as JSON on stdout.
status_json() {
  "$ember" status --master "$master_url" --format json "$@"
}

# workers_in_state STATE N [STATUS ARGS...]: exactly N workers are in STATE.
workers_in_state() {
  local n
  n=$(status_json "${@:3}" 2>/dev/null | jq --arg s "$1" '[.workers[] | select(.state == $s)] | length') || return 1
  [ "$n" = "$2" ]
}
