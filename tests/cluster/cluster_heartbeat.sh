#!/usr/bin/env bash
# cluster_heartbeat.sh EMBER — a worker that stops heartbeating (the test-only
# ember.test.worker.pauseHeartbeatAfter) is declared dead within
# ember.worker.timeout, while a healthy worker stays alive; both processes keep
# running (the master only stops counting on the silent one).
set -u
ember=${1:?usage: cluster_heartbeat.sh path/to/ember}
. "$(dirname "$0")/lib/common.bash"

timeout=2
start_master master --conf ember.worker.timeout=$timeout
start_worker healthy --cores 2 --memory 1g
healthy=$worker_pid
start_worker silent --cores 2 --memory 1g --conf ember.test.worker.pauseHeartbeatAfter=1
silent=$worker_pid
check "both alive" "wait_for 10 workers_in_state ALIVE 2"

# The silent worker stops at 1 s and is dead once `timeout` more seconds pass;
# allow generous slack for a loaded machine, but far less than the default 60 s.
t0=$(date +%s)
check "silent worker declared dead" "wait_for 15 workers_in_state DEAD 1"
elapsed=$(($(date +%s) - t0))
check "declared dead within the timeout (+ slack): ${elapsed}s" '[ "$elapsed" -le 12 ]'
check "healthy worker still alive" "workers_in_state ALIVE 1"
status_json >"$tmp/status.json"
last_hb=$(jq '[.workers[] | select(.state == "DEAD")][0].seconds_since_heartbeat' "$tmp/status.json")
check "dead worker's last heartbeat is older than the timeout ($last_hb s)" \
  "awk -v s=$last_hb -v t=$timeout 'BEGIN { exit !(s > t) }'"
check "master says why" 'grep -q "is dead: no heartbeat for" "$tmp/master.log"'
check "worker says it paused" 'grep -q "heartbeats paused" "$tmp/silent.log"'
check "both processes still run" 'kill -0 "$healthy" && kill -0 "$silent"'
# Still dead a while later: without heartbeats it does not come back by itself.
sleep 1
check "still dead" "workers_in_state DEAD 1 && workers_in_state ALIVE 1"

finish
