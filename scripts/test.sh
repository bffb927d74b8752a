#!/usr/bin/env bash
# Runs every test: the vault's rules, the API against a real server, and the browser
# journeys in Debian's Chromium against the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

echo "==> unit and integration tests (vault, server, sdk)"
cargo test -p vault -p server -p promptvault-sdk

echo "==> release build for the end-to-end tests"
scripts/build.sh

echo "==> end-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)
