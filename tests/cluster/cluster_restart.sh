#!/usr/bin/env bash
# cluster_restart.sh EMBER — the master is killed (SIGKILL, no goodbye) and
# started again on the same port while the workers stay up: the workers notice,
# keep running, reconnect with backoff and register again under the same ids, so
# `ember status` on the new master lists them alive again. A second, graceful
# restart (SIGTERM) works the same way.
set -u
ember=${1:?usage: cluster_restart.sh path/to/ember}
. "$(dirname "$0")/lib/common.bash"

start_master master --conf ember.worker.timeout=5
port=$master_port
first_master=$master_pid
start_worker w1 --cores 2 --memory 1g
w1=$worker_pid
start_worker w2 --cores 3 --memory 1g
w2=$worker_pid
check "two workers alive" "wait_for 10 workers_in_state ALIVE 2"
ids_before=$(status_json | jq -c '[.workers[].id] | sort')

kill -KILL "$first_master"
wait "$first_master" 2>/dev/null
check "workers notice the lost master" \
  'wait_for 10 grep -q "lost the connection to the master" "$tmp/w1.log" &&
   wait_for 10 grep -q "lost the connection to the master" "$tmp/w2.log"'
status_json >/dev/null 2>&1
check "no master: status fails" '[ $? -ne 0 ]'
sleep 1
check "workers keep running without a master" 'kill -0 "$w1" && kill -0 "$w2"'

start_master master2 --port "$port" --conf ember.worker.timeout=5
check "restarted on the same port" '[ "$master_port" = "$port" ]'
check "both workers registered again" "wait_for 15 workers_in_state ALIVE 2"
ids_after=$(status_json | jq -c '[.workers[].id] | sort')
check "under the same ids" '[ "$ids_before" = "$ids_after" ]'
check "worker logs say so" \
  'grep -q "registered again with the master" "$tmp/w1.log" && grep -q "registered again with the master" "$tmp/w2.log"'
check "cores as before" '[ "$(status_json | jq -c "[.workers[].cores] | sort")" = "[2,3]" ]'

# A graceful stop of the master is no different for the workers.
kill -TERM "$master_pid"
wait "$master_pid"
check "master stops cleanly on SIGTERM" '[ $? -eq 0 ]'
start_master master3 --port "$port" --conf ember.worker.timeout=5
check "workers registered with the third master" "wait_for 15 workers_in_state ALIVE 2"
check "same worker processes throughout" 'kill -0 "$w1" && kill -0 "$w2"'

finish
