#!/usr/bin/env bash
# Rollouts and the fleet under load: starts a release server (SQLite, a fresh data directory,
# on the first core; the load on the second) and prints (see bench/src/bin/bench-rollouts.rs)
# the requests/s of reads of a label split at 10 % by unit against plain reads (alternating
# wrk runs, their ratio), the p50/p99 of 1,000 reads/s alone and while 5,000 usage reports/s
# arrive, the most reports/s the server takes, and how long a promote takes to show on the
# fleet view as served by 100 SDK instances.
#   scripts/bench-rollouts.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
ADDR=127.0.0.1:3997
WORK=target/bench-rollouts

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh server
cargo build --release --locked -p bench --bin bench-rollouts

rm -rf "$WORK" && mkdir -p "$WORK"
RUST_LOG=warn taskset -c 0 target/release/promptvault --addr "$ADDR" --data-dir "$WORK/data" --streams-per-key 500 >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done

taskset -c 1 target/release/bench-rollouts --server "http://$ADDR" --seconds "$SECONDS_PER_RUN" --work "$WORK"
