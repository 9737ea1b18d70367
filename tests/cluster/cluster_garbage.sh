#!/usr/bin/env bash
# cluster_garbage.sh EMBER — bytes that are not ember frames, sent to the
# master's port (random bytes, an oversized length prefix, a frame that is not
# a handshake, an HTTP request, a connection that says nothing), close only
# their own connection: each is logged at warn level with the peer's address,
# the master keeps serving `ember status`, and a registered worker's connection
# is untouched. (Workers do not listen on any port, so there is nothing to
# send garbage to on their side.)
set -u
ember=${1:?usage: cluster_garbage.sh path/to/ember}
. "$(dirname "$0")/lib/common.bash"

start_master master
start_worker w1 --cores 2 --memory 1g
check "worker alive" "wait_for 10 workers_in_state ALIVE 1"

# send_and_wait_close NAME: write stdin to the master, then wait until the master
# hangs up (cat sees end of file); fails if it keeps the connection open.
send_and_wait_close() {
  exec 3<>"/dev/tcp/127.0.0.1/$master_port" || return 1
  cat >&3
  timeout 15 cat <&3 >/dev/null
  local rc=$?
  exec 3<&-
  [ $rc -eq 0 ]
}

# A connection that never speaks stays open meanwhile and must block nobody.
exec 4<>"/dev/tcp/127.0.0.1/$master_port"

head -c 4096 /dev/urandom | send_and_wait_close
check "random bytes: connection closed" '[ $? -eq 0 ]'
printf '\xff\xff\xff\xff\x00\x01garbage' | send_and_wait_close
check "oversized length prefix: connection closed" '[ $? -eq 0 ]'
printf '\x00\x00\x00\x06\x00\x10abcd' | send_and_wait_close
check "a frame before the handshake: connection closed" '[ $? -eq 0 ]'
printf 'GET /json HTTP/1.1\r\nHost: x\r\n\r\n' | send_and_wait_close
check "HTTP request: connection closed" '[ $? -eq 0 ]'
printf '\x00\x00' | send_and_wait_close &
half=$!

check "status works while a silent connection is open" "workers_in_state ALIVE 1"
exec 4<&-
wait "$half"
check "half a header, then the master's handshake deadline closes it" '[ $? -eq 0 ]'

check "master still runs" 'kill -0 "$master_pid"'
check "status still served" "workers_in_state ALIVE 1"
check "worker never lost its connection" '! grep -q "lost the connection" "$tmp/w1.log"'
check "logged: oversized frame, with the peer" \
  'grep -qE "WARN\] closing the connection with 127\.0\.0\.1:[0-9]+: malformed frame: 4294967295 bytes exceed the limit" "$tmp/master.log"'
check "logged: wrong frame type during the handshake" \
  'grep -qE "WARN\] protocol error from 127\.0\.0\.1:[0-9]+: frame of type 16 where the handshake expects type 1" "$tmp/master.log"'
check "logged: the silent connection timed out" \
  'grep -qE "WARN\] closing the connection with 127\.0\.0\.1:[0-9]+: the handshake did not complete in time" "$tmp/master.log"'

finish
