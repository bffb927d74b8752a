#!/usr/bin/env bash
# The long-history benchmark: 1,000 prompts and about a million versions (one prompt with
# 100,000), then p50/p99 of the first and the 2,000th history page, and of search in the big
# prompt and across the workspace, measured server-side in the release build.
#   scripts/bench-history.sh          (RESEED=1 to seed again; seeding takes a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p bench --bin bench-history
args=()
[ "${RESEED:-0}" = 1 ] && args+=(--reseed)
exec target/release/bench-history "${args[@]}" "$@"
