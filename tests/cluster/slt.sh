#!/usr/bin/env bash
# slt.sh EMBER — the whole SQL suite (tests/sql/**/*.slt) on a real cluster: a master
# and three workers on 127.0.0.1. Every file runs as its own application, so in-memory
# tables, file scans, COPY, joins, windows and adaptive execution all cross the wire.
set -u
EMBER=$(realpath "${1:?usage: slt.sh path/to/ember}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib/cluster.sh"
cluster_start 3 1 || exit 1
cd "$root" || exit 1
files=$(find tests/sql -name '*.slt' | sort)
# shellcheck disable=SC2086
if ! "$EMBER" slt --master "$MASTER" --conf ember.sql.shuffle.partitions=4 $files \
    >"$CLUSTER_DIR/slt.out" 2>&1; then
  grep -v '^\[ember' "$CLUSTER_DIR/slt.out" | tail -n 60
  cluster_logs
  echo "FAIL: the SQL suite failed on the cluster"
  exit 1
fi
tail -n 1 "$CLUSTER_DIR/slt.out"
