#!/usr/bin/env bash
# Live updates under load: starts a release server (SQLite, a fresh data directory), opens
# 2,000 streams on it, and prints how long a promote takes to reach every stream (p50, p99,
# max over all streams and promotes), the server's memory per stream, and the SDK read
# throughput with no stream open against with all of them open.
#   scripts/bench-stream.sh [streams, default 2000] [promotes, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-2000}
PROMOTES=${2:-20}
ADDR=127.0.0.1:3996
WORK=target/bench-stream

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh server
cargo build --release --locked -p bench --bin bench-stream

rm -rf "$WORK" && mkdir -p "$WORK"
RUST_LOG=warn target/release/promptvault --addr "$ADDR" --data-dir "$WORK/data" --streams-per-key "$STREAMS" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done

target/release/bench-stream --server "http://$ADDR" --pid "$server" --streams "$STREAMS" --promotes "$PROMOTES" \
  --wrk-script "$WORK/read.lua"
