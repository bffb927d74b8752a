#!/usr/bin/env bash
# The release build: the server binary (target/release/promptvault) and the site assets
# (target/site), through cargo-leptos. Cargo skips it when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/end2end/node_modules/.bin:$PATH" cargo leptos build --release
