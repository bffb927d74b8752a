#!/usr/bin/env bash
# Builds PromptVault (profile `quick`, see Cargo.toml) and starts it with the demo workspace,
# data under ./data. Extra arguments go to the server: scripts/run.sh --addr 0.0.0.0:8080
# For production, build the release profile: scripts/build.sh (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=quick scripts/build.sh
exec target/quick/promptvault --demo "$@"
