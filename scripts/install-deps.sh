#!/usr/bin/env bash
# Installs the Debian packages ember needs to build and test, when missing.
# Idempotent: a no-op when everything is present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libpg-query-dev libprotobuf-c-dev protobuf-c-compiler librdkafka-dev
      libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev libxxhash-dev libuv1-dev libcivetweb-dev
      libjansson-dev libmimalloc-dev libreadline-dev libcmocka-dev libssl-dev
      jq)  # jq: the cluster tests read `ember status --format json`
# node + npm run the independent engines tests compare against (DuckDB from npm).
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
