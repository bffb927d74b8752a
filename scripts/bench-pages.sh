#!/usr/bin/env bash
# The dashboard page benchmark: starts a server binary on a fresh demo workspace, signs in,
# and drives three server-rendered pages with wrk (8 connections; the server on core 0, wrk
# on core 1): the prompt list, a prompt's page (history, pointers, editor) and the activity
# log. Prints requests/s, p50 and p99 per page, the median of three runs.
# Given two binaries (two builds of the same code, say), it drives them in alternation, so
# a slow moment of a shared machine does not land on one side only, and prints the ratio of
# their requests/s per page.
#   scripts/bench-pages.sh [BINARY [OTHER_BINARY]]   default: target/release/promptvault
#   SECONDS_PER_RUN=10 by default
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
BINARIES=("${@:-target/release/promptvault}")
[ ${#BINARIES[@]} -le 2 ] || { echo "usage: scripts/bench-pages.sh [BINARY [OTHER_BINARY]]" >&2; exit 2; }
PAGES=(/prompts /prompts/support/triage-v2 /activity)
WORK=target/bench-pages

command -v wrk > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }
for binary in "${BINARIES[@]}"; do
  [ -x "$binary" ] || { echo "no server binary at $binary (scripts/build.sh builds it)" >&2; exit 1; }
done

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done; }
trap cleanup EXIT

# Starts binary $1 on port $2 with a demo workspace of its own (in this shell, so that
# cleanup stops it).
start() {
  local binary=$1 addr=127.0.0.1:$2 data=$WORK/data-$2
  if curl -sf "http://$addr/healthz" > /dev/null; then
    echo "port $2 is taken: stop what listens there" >&2
    exit 1
  fi
  rm -rf "$data"
  RUST_LOG=warn taskset -c 0 "$binary" --demo --addr "$addr" --data-dir "$data" > /dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do curl -sf "http://$addr/healthz" > /dev/null && return; sleep 0.05; done
  echo "$binary did not start on $addr" >&2
  exit 1
}

# Signs in to the server at port $1 as the demo owner; prints the session cookie.
sign_in() {
  local addr=127.0.0.1:$1
  # The sign-in form posts to its server function; its path is read from the page.
  local action
  action=$(curl -sf "http://$addr/sign-in" | grep -o 'action="/api/[^"]*"' | head -1 | cut -d'"' -f2)
  curl -sf -o /dev/null -D - "http://$addr$action" -H 'Accept: application/json' -H "Origin: http://$addr" \
    --data-urlencode email=demo@promptvault.dev --data-urlencode password=promptvault-demo |
    grep -i '^set-cookie:' | head -1 | sed -E 's/^[Ss]et-[Cc]ookie: ([^;]*).*/\1/'
}

mkdir -p "$WORK"
printf 'done = function(s, l, r) io.write(string.format("BENCH %%.0f %%d %%d %%d\\n", s.requests / (s.duration / 1e6), l:percentile(50), l:percentile(99), s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout + s.errors.status)) end\n' > "$WORK/report.lua"

# Drives page $2 of the server at port $1 with cookie $3; prints "rps p50_us p99_us".
drive() {
  local url=http://127.0.0.1:$1$2 cookie=$3 line
  taskset -c 1 wrk -t1 -c8 -d2s -H "Cookie: $cookie" "$url" > /dev/null # warm-up
  line=$(taskset -c 1 wrk -t1 -c8 -d"${SECONDS_PER_RUN}"s -H "Cookie: $cookie" -s "$WORK/report.lua" "$url" | grep '^BENCH')
  read -r _ rps p50 p99 errors <<< "$line"
  [ "$errors" = 0 ] || { echo "$errors requests to $url failed" >&2; exit 1; }
  echo "$rps $p50 $p99"
}

cookies=()
for i in "${!BINARIES[@]}"; do
  start "${BINARIES[$i]}" $((3980 + i))
  cookies[i]=$(sign_in $((3980 + i)))
  [ -n "${cookies[$i]}" ] || { echo "signing in to ${BINARIES[$i]} failed" >&2; exit 1; }
done

declare -A results
for round in 1 2 3; do
  echo "==> round $round of 3"
  for page in "${PAGES[@]}"; do
    for i in "${!BINARIES[@]}"; do
      results["$i $page"]+="$(drive $((3980 + i)) "$page" "${cookies[$i]}")"$'\n'
    done
  done
done

# The median of the three runs of each figure.
median() { sort -n | sed -n 2p; }
for page in "${PAGES[@]}"; do
  echo "$page"
  rps=()
  for i in "${!BINARIES[@]}"; do
    runs=${results["$i $page"]}
    rps[i]=$(cut -d' ' -f1 <<< "$runs" | grep . | median)
    p50=$(cut -d' ' -f2 <<< "$runs" | grep . | median)
    p99=$(cut -d' ' -f3 <<< "$runs" | grep . | median)
    range=$(cut -d' ' -f1 <<< "$runs" | grep . | sort -n | sed -n '1p;3p' | paste -sd-)
    printf '  %-40s %6s req/s (runs %s)  p50 %5.2f ms  p99 %5.2f ms\n' "${BINARIES[$i]}" "${rps[$i]}" "$range" \
      "$(awk "BEGIN { print $p50 / 1000 }")" "$(awk "BEGIN { print $p99 / 1000 }")"
  done
  if [ ${#BINARIES[@]} = 2 ]; then
    printf '  ratio (second / first): %.2f\n' "$(awk "BEGIN { print ${rps[1]} / ${rps[0]} }")"
  fi
done
