#!/usr/bin/env bash
# The composition benchmark, in the release build: reads of a prompt with 5 levels of
# includes against reads of a plain prompt of the same size (alternated, the ratio of their
# median times), and updating 101 prompts that include a piece in one release.
#   scripts/bench-composition.sh [--rounds N] [--reads N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p bench --bin bench-composition
exec target/release/bench-composition "$@"
