#!/usr/bin/env bash
# Installs what building PromptVault needs, skipping what is already there.
#   scripts/setup.sh              to build and run: the wasm32 target and wasm-opt
#   scripts/setup.sh --tests      also what the tests need: Chromium, Playwright, the Langfuse
#                                 SDKs, schemathesis
#   scripts/setup.sh --test-tools only what the tests need (scripts/test.sh installs them
#                                 while the Rust tests compile)
# wasm-opt is pinned to a version recent enough for the WASM that Rust emits (Debian's
# binaryen is not: the page dies at hydration). wasm-bindgen's step needs no install: the
# workspace's `bundle` tool runs it (tools/bundle), at the version Cargo.lock pins.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-}
case "$MODE" in
  "" | --tests | --test-tools) ;;
  *)
    echo "usage: scripts/setup.sh [--tests | --test-tools]" >&2
    exit 2
    ;;
esac

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The wasm32 target and wasm-opt: what building needs.
build_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  if [ ! -x tools/wasm-opt/node_modules/.bin/wasm-opt ]; then
    say "installing wasm-opt (npm's binaryen) into tools/wasm-opt"
    (cd tools/wasm-opt && npm ci --no-audit --no-fund)
  fi
}

[ "$MODE" = --test-tools ] || build_tools
[ -n "$MODE" ] || exit 0

if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/@langfuse/client ]; then
  say "installing Playwright and the Langfuse TypeScript SDK into end2end"
  (cd end2end && npm ci --no-audit --no-fund)
fi

# The Langfuse Python SDK and schemathesis (pinned in end2end/requirements.txt), in a venv.
if ! cmp -s end2end/requirements.txt end2end/.venv/installed.txt; then
  say "installing the Python test tools into end2end/.venv"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check -r end2end/requirements.txt
  cp end2end/requirements.txt end2end/.venv/installed.txt
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium for the end-to-end tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
