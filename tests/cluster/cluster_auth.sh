#!/usr/bin/env bash
# cluster_auth.sh EMBER — ember.authenticate.secret: with a secret on the master,
# a worker and `ember status` with the same secret get in (from --secret, --conf
# or EMBER_AUTH_SECRET), while a wrong or missing secret is refused: the client
# says "authentication failed" and the master's log says why, with the peer's
# address. A master without a secret refuses clients that bring one.
set -u
ember=${1:?usage: cluster_auth.sh path/to/ember}
. "$(dirname "$0")/lib/common.bash"

start_master master --conf ember.authenticate.secret=open-sesame
start_worker good --cores 2 --memory 1g --secret open-sesame
check "worker with the secret alive" \
  "wait_for 10 workers_in_state ALIVE 1 --secret open-sesame"
EMBER_AUTH_SECRET=open-sesame status_json >/dev/null 2>&1
check "status with the secret from the environment" '[ $? -eq 0 ]'
status_json --conf ember.authenticate.secret=open-sesame >/dev/null 2>&1
check "status with the secret from --conf" '[ $? -eq 0 ]'

status_json >/dev/null 2>"$tmp/err"
check "status without a secret: refused" '[ $? -eq 1 ] && grep -q "authentication failed" "$tmp/err"'
check "  ... and the master logs why" \
  'wait_for 5 grep -qE "WARN\] refused connection from 127\.0\.0\.1:[0-9]+ \(role status\): missing secret" "$tmp/master.log"'
status_json --secret guess >/dev/null 2>"$tmp/err"
check "status with a wrong secret: refused" '[ $? -eq 1 ] && grep -q "authentication failed" "$tmp/err"'
check "  ... and the master logs why" \
  'wait_for 5 grep -qE "WARN\] refused connection from 127\.0\.0\.1:[0-9]+ \(role status\): wrong secret" "$tmp/master.log"'

# A worker with the wrong secret gives up (exit 1) instead of retrying forever.
start_worker bad --cores 2 --memory 1g --secret guess
bad=$worker_pid
check "worker with a wrong secret exits" 'wait_for 10 bash -c "! kill -0 $bad 2>/dev/null"'
wait "$bad"
check "  ... with status 1" '[ $? -eq 1 ]'
check "  ... saying why" 'grep -q "cannot register with the master: authentication failed" "$tmp/bad.log"'
check "  ... and the master logs why" \
  'grep -qE "refused connection from 127\.0\.0\.1:[0-9]+ \(role worker\): wrong secret" "$tmp/master.log"'
check "only the good worker is registered" \
  '[ "$(status_json --secret open-sesame | jq ".workers | length")" = 1 ]'

# The other way round: a master without a secret refuses a client that has one.
start_master open
status_json --secret something >/dev/null 2>"$tmp/err"
check "secret where none is expected: refused" \
  '[ $? -eq 1 ] && grep -q "authentication failed" "$tmp/err"'
check "  ... and the master logs why" \
  'wait_for 5 grep -q "the client has a secret but ember.authenticate.secret is not set here" "$tmp/open.log"'

finish
