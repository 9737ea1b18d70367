#!/usr/bin/env bash
# cluster_basic.sh EMBER — a master and three workers on 127.0.0.1: `ember status`
# lists the three alive with the cores and memory they offer (JSON and table),
# the JSON page serves the same, a worker stopped with SIGTERM is reported dead
# at once, and command-line mistakes are usage errors (exit 2).
set -u
ember=${1:?usage: cluster_basic.sh path/to/ember}
. "$(dirname "$0")/lib/common.bash"

start_master master --webui-port 0
start_worker w1 --cores 1 --memory 512m
w1=$worker_pid
start_worker w2 --cores 2 --memory 1g
start_worker w3 --cores 3 --memory 2048m

check "three workers alive" "wait_for 10 workers_in_state ALIVE 3"
status_json >"$tmp/status.json"
check "cores offered" \
  '[ "$(jq -c "[.workers[].cores] | sort" "$tmp/status.json")" = "[1,2,3]" ]'
check "memory offered" \
  '[ "$(jq -c "[.workers[].memory] | sort" "$tmp/status.json")" = "[536870912,1073741824,2147483648]" ]'
check "no cores used" '[ "$(jq "[.workers[].cores_used] | add" "$tmp/status.json")" = 0 ]'
check "recent heartbeats" \
  '[ "$(jq "[.workers[] | select(.seconds_since_heartbeat < 5)] | length" "$tmp/status.json")" = 3 ]'
check "no applications" '[ "$(jq ".applications | length" "$tmp/status.json")" = 0 ]'

"$ember" status --master "$master_url" >"$tmp/status.txt" 2>&1
check "table: exit status" '[ $? -eq 0 ]'
check "table: header" 'grep -q "workers: 3 alive, 0 dead" "$tmp/status.txt"'
check "table: columns" 'grep -q "CORES .*MEMORY .*LAST HEARTBEAT" "$tmp/status.txt"'
check "table: a worker line" 'grep -qE "^worker-.*127\.0\.0\.1 +ALIVE +0/3 +0 B/2\.0 GiB" "$tmp/status.txt"'

# The JSON page (--webui-port 0 picked a free port; the master logs it).
web=$(sed -n 's|.*web UI (JSON) on \(http://[^ ]*\)|\1|p' "$tmp/master.log" | head -n 1)
if [ -n "$web" ] && command -v curl >/dev/null; then
  check "web page lists the workers" \
    '[ "$(curl -s --max-time 5 "$web" | jq "[.workers[] | select(.state == \"ALIVE\")] | length")" = 3 ]'
else
  fail "web page address in the master's log"
fi

# A worker that is stopped says so: dead at once, not after the timeout.
kill -TERM "$w1"
check "stopped worker exits 0" 'wait_for 10 bash -c "! kill -0 $w1 2>/dev/null"; wait "$w1"; [ $? -eq 0 ]'
check "stopped worker is dead" "wait_for 5 workers_in_state DEAD 1"
check "others alive" "workers_in_state ALIVE 2"
check "master logs the shutdown" 'grep -q "is dead: it shut down" "$tmp/master.log"'

# Mistakes on the command line.
"$ember" worker --cores 2 >/dev/null 2>"$tmp/err"
check "worker without --master: usage" '[ $? -eq 2 ] && grep -q "needs --master" "$tmp/err"'
"$ember" worker --master "$master_url" --memory lots >/dev/null 2>"$tmp/err"
check "bad --memory: usage" '[ $? -eq 2 ] && grep -q "512m or 4g" "$tmp/err"'
"$ember" master --conf ember.worker.timeout=never >/dev/null 2>"$tmp/err"
check "bad timeout: usage" '[ $? -eq 2 ] && grep -q "seconds" "$tmp/err"'
"$ember" status --master "$master_url" --format yaml >/dev/null 2>"$tmp/err"
check "bad --format: usage" '[ $? -eq 2 ]'
"$ember" status --master ember://nohost >/dev/null 2>"$tmp/err"
check "bad address" '[ $? -eq 1 ] && grep -q "malformed address" "$tmp/err"'

# Nobody listening: a clear error, promptly.
"$ember" status --master "ember://127.0.0.1:1" >/dev/null 2>"$tmp/err"
check "no master: error" '[ $? -eq 1 ] && grep -q "cannot connect" "$tmp/err"'

finish
