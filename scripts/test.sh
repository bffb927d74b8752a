#!/usr/bin/env bash
# Runs every test: the wire types, the vault's rules, the dashboard's URL state, the API and
# the server functions against a real server, the SDK; then, on the release build, the
# password flood, schemathesis against the OpenAPI document, and the browser journeys in
# Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

echo "==> unit and integration tests (types, vault, app, server, sdk)"
cargo test --locked -p promptvault-types -p vault -p app -p server -p promptvault-sdk

echo "==> release build"
scripts/build.sh

echo "==> password flood: bounded hashing keeps memory under 200 MB"
scripts/load-passwords.py target/release/promptvault

echo "==> schemathesis against /v1/openapi.json"
scripts/schemathesis.sh

echo "==> end-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)
