#!/usr/bin/env bash
# Several instances on PostgreSQL: starts two release servers on one new database, prints
# how long a promote made through the first takes to be served by the second (p50, p99
# over 100 promotes) and to reach a live-update stream on the second (over 100 more), then
# the SDK read throughput of one instance and of both together (wrk, 64 connections in all,
# median of 3 rounds) and their ratio.
#   scripts/bench-instances.sh [seconds per run, default 10]
# PROMPTVAULT_TEST_POSTGRES names the server (default postgres://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
PG=${PROMPTVAULT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
DB=pv_bench_instances
WORK=target/bench-instances
FIRST=127.0.0.1:3994
SECOND=127.0.0.1:3995

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh
cargo build --release -p bench --bin bench-instances

rm -rf "$WORK" && mkdir -p "$WORK/first" "$WORK/second"
psql "$PG/postgres" -qc "drop database if exists $DB with (force)" -c "create database $DB"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG/postgres" -qc "drop database if exists $DB with (force)" || true
}
trap cleanup EXIT

wait_ready() {
  for _ in $(seq 1 200); do curl -sf "http://$1/healthz" >/dev/null && return 0; sleep 0.05; done
  echo "server at $1 did not start" >&2; exit 1
}
for instance in first:$FIRST second:$SECOND; do
  RUST_LOG=warn target/release/promptvault --addr "${instance#*:}" --data-dir "$WORK/${instance%%:*}" \
    --database-url "$PG/$DB" >/dev/null &
  pids+=($!)
done
wait_ready "$FIRST"
wait_ready "$SECOND"

echo "==> propagation"
target/release/bench-instances --first "http://$FIRST" --second "http://$SECOND" --wrk-script "$WORK/read.lua"

# Prints the requests/s of wrk against the given addresses at once, 64 connections in all.
drive() {
  local connections=$((64 / $#)) out=() total=0
  for addr in "$@"; do wrk -t1 -c"$connections" -d2s -s "$WORK/read.lua" "http://$addr" >/dev/null; done  # warm-up
  for addr in "$@"; do
    wrk -t1 -c"$connections" -d"${SECONDS_PER_RUN}"s -s "$WORK/read.lua" "http://$addr" > "$WORK/wrk-$addr.out" &
    out+=($!)
  done
  wait "${out[@]}"
  for addr in "$@"; do
    line=$(grep '^BENCH' "$WORK/wrk-$addr.out")
    if ! grep -q 'errors=0 non2xx=0' <<<"$line"; then echo "requests failed: $line" >&2; exit 1; fi
    total=$((total + $(sed -E 's/.*rps=([0-9]+).*/\1/' <<<"$line")))
  done
  echo "$total"
}

echo "==> SDK read throughput, one instance against two"
one=() two=()
for round in 1 2 3; do
  one+=("$(drive "$FIRST")")
  two+=("$(drive "$FIRST" "$SECOND")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
one_rps=$(median "${one[@]}")
two_rps=$(median "${two[@]}")
printf '%-40s %12s\n' "64 connections, median of 3 x ${SECONDS_PER_RUN}s" "requests/s"
printf '%-40s %12s\n' "one instance" "$one_rps"
printf '%-40s %12s\n' "two instances (32 connections each)" "$two_rps"
awk -v a="$one_rps" -v b="$two_rps" -v cores="$(nproc)" 'BEGIN {
  printf "two against one: %.2f (both instances and wrk share this machine'"'"'s %d cores)\n", b / a, cores
}'
