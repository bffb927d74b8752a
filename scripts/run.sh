#!/usr/bin/env bash
# Builds PromptVault (release) and starts it with the demo workspace, data under ./data.
# Extra arguments go to the server: scripts/run.sh --addr 0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec target/release/promptvault --demo "$@"
