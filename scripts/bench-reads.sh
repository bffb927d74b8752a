#!/usr/bin/env bash
# The SDK read benchmark: seeds 1,000 prompts x 100 versions of 2 KB, starts the release
# server, and drives GET /v1/prompts/{name} with wrk (64 connections, every prompt, both key
# kinds), then the same with If-None-Match (the 304 path), the same prompts read through a
# label of the workspace's own (`eu`), and a minimal axum handler serving the same bytes with
# no auth and no lookup (the baseline); then the bundle of all 1,000 prompts, GET /v1/prompts
# (4 connections), whole and as a 304. Prints requests/s, p50, p99 and the ratios to the
# baseline. Server and wrk each get one of the two cores.
#   scripts/bench-reads.sh [seconds per run, default 10]      (RESEED=1 to seed again)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
DATA=target/bench-data
SERVER_ADDR=127.0.0.1:3990
BASELINE_ADDR=127.0.0.1:3991

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh
cargo build --release -p bench

# Seeding takes a few minutes; a registry seeded by an earlier run is reused unless
# RESEED=1 is set.
if [ "${RESEED:-0}" = 1 ] || [ ! -f "$DATA/bundle.lua" ]; then
  rm -rf "$DATA"
  echo "==> seeding 1,000 prompts x 100 versions (a few minutes)"
  target/release/bench-seed --data-dir "$DATA"
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_ready() {
  for _ in $(seq 1 200); do curl -sf "http://$1/healthz" >/dev/null && return 0; sleep 0.05; done
  echo "server at $1 did not start" >&2; exit 1
}

# Runs wrk on core 1 against $1 with the script $2 over $3 connections (64 by default);
# prints "rps p50_us p99_us".
drive() {
  local url=$1 script=$2 connections=${3:-64}
  taskset -c 1 wrk -t1 -c"$connections" -d2s -s "$script" "$url" >/dev/null   # warm-up
  local line
  line=$(taskset -c 1 wrk -t1 -c"$connections" -d"${SECONDS_PER_RUN}"s -s "$script" "$url" | grep '^BENCH')
  if ! grep -q 'errors=0 non2xx=0' <<<"$line"; then echo "requests failed: $line" >&2; exit 1; fi
  sed -E 's/.*rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+).*/\1 \2 \3/' <<<"$line"
}

# Both servers wait on core 0; wrk drives one at a time from core 1. The two are driven in
# alternation, three rounds, and the medians compared, so a slow moment of this shared
# machine does not land on one side only.
RUST_LOG=warn taskset -c 0 target/release/promptvault --addr "$SERVER_ADDR" --data-dir "$DATA" >/dev/null &
pids+=($!)
taskset -c 0 target/release/bench-baseline --addr "$BASELINE_ADDR" --body "$DATA/body.json" &
pids+=($!)
wait_ready "$SERVER_ADDR"
wait_ready "$BASELINE_ADDR"
printf 'done = function(s, l, r) io.write(string.format("BENCH rps=%%.0f p50_us=%%d p99_us=%%d errors=%%d non2xx=%%d\\n", s.requests / (s.duration / 1e6), l:percentile(50), l:percentile(99), s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n' > "$DATA/baseline.lua"

real=() base=() cached=() label=() bundle=() bundle_cached=()
for round in 1 2 3; do
  echo "==> round $round of 3"
  real+=("$(drive "http://$SERVER_ADDR" "$DATA/requests.lua")")
  base+=("$(drive "http://$BASELINE_ADDR/v1/prompts/x" "$DATA/baseline.lua")")
  cached+=("$(IF_NONE_MATCH=1 drive "http://$SERVER_ADDR" "$DATA/requests.lua")")
  label+=("$(drive "http://$SERVER_ADDR" "$DATA/requests-label.lua")")
  bundle+=("$(drive "http://$SERVER_ADDR" "$DATA/bundle.lua" 4)")
  bundle_cached+=("$(IF_NONE_MATCH=1 drive "http://$SERVER_ADDR" "$DATA/bundle.lua" 4)")
done

# The median round (by requests/s) of three "rps p50 p99" lines.
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
read -r real_rps real_p50 real_p99 <<<"$(median "${real[@]}")"
read -r base_rps base_p50 base_p99 <<<"$(median "${base[@]}")"
read -r nm_rps nm_p50 nm_p99 <<<"$(median "${cached[@]}")"
read -r label_rps label_p50 label_p99 <<<"$(median "${label[@]}")"
read -r bundle_rps bundle_p50 bundle_p99 <<<"$(median "${bundle[@]}")"
read -r bnm_rps bnm_p50 bnm_p99 <<<"$(median "${bundle_cached[@]}")"

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }
printf '\n%-34s %12s %10s %10s\n' "64 connections, median of 3 x ${SECONDS_PER_RUN}s" "requests/s" "p50" "p99"
printf '%-34s %12s %10s %10s\n' "baseline (same bytes, no auth)" "$base_rps" "$(ms "$base_p50")" "$(ms "$base_p99")"
printf '%-34s %12s %10s %10s\n' "GET /v1/prompts/{name} (200)" "$real_rps" "$(ms "$real_p50")" "$(ms "$real_p99")"
printf '%-34s %12s %10s %10s\n' "GET /v1/prompts/{name} (304)" "$nm_rps" "$(ms "$nm_p50")" "$(ms "$nm_p99")"
printf '%-34s %12s %10s %10s\n' "the same through the label eu" "$label_rps" "$(ms "$label_p50")" "$(ms "$label_p99")"
printf '%-34s %12s %10s %10s\n' "bundle of 1,000 (200, 4 conns)" "$bundle_rps" "$(ms "$bundle_p50")" "$(ms "$bundle_p99")"
printf '%-34s %12s %10s %10s\n' "bundle of 1,000 (304, 4 conns)" "$bnm_rps" "$(ms "$bnm_p50")" "$(ms "$bnm_p99")"
awk -v r="$real_rps" -v b="$base_rps" -v p="$real_p99" -v l="$label_rps" -v bp="$bundle_p99" -v np="$bnm_p99" 'BEGIN {
  ratio = r / b; label = l / b
  printf "\nratio to baseline: %.2f (goal >= 0.80); p99 %.2f ms (goal <= 5 ms): %s\n", ratio, p / 1000,
    (ratio >= 0.8 && p <= 5000) ? "goal met" : "goal missed"
  printf "label reads, ratio to baseline: %.2f (goal: that of live reads, %.2f): %s\n", label, ratio,
    (label >= ratio * 0.95) ? "goal met" : "goal missed"
  printf "bundle p99 %.2f ms (goal < 20 ms), its 304 p99 %.2f ms (goal < 1 ms): %s\n", bp / 1000, np / 1000,
    (bp < 20000 && np < 1000) ? "goal met" : "goal missed"
}'
