#!/usr/bin/env bash
# Installs what building and testing PromptVault needs, skipping what is already there.
#   scripts/setup.sh           tools to build and run (wasm target, cargo-leptos, wasm-bindgen, wasm-opt)
#   scripts/setup.sh --tests   also what the tests need (Chromium, Playwright, the Langfuse SDKs)
# Versions are pinned to the ones known to work on this stack (see ../shared/TOOLCHAIN.md).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once per machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

# Must match the wasm-bindgen in Cargo.lock exactly. Without --locked: a locked dependency
# of the CLI is missing from the registry.
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt from npm's binaryen (Debian's is too old and breaks hydration); Playwright and
# the Langfuse TypeScript SDK for the tests.
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || { [ "${1:-}" = "--tests" ] && {
  [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/@langfuse/client ]; }; }; then
  say "installing npm packages (binaryen, Playwright, the Langfuse TypeScript SDK)"
  (cd end2end && npm ci --no-audit --no-fund)
fi

# The Langfuse Python SDK (pinned in end2end/langfuse/requirements.txt), in its own venv.
if [ "${1:-}" = "--tests" ] && ! cmp -s end2end/langfuse/requirements.txt end2end/.venv/installed.txt; then
  say "installing the Langfuse Python SDK into end2end/.venv"
  python3 -m venv end2end/.venv
  end2end/.venv/bin/pip install --quiet --disable-pip-version-check -r end2end/langfuse/requirements.txt
  cp end2end/langfuse/requirements.txt end2end/.venv/installed.txt
fi

if [ "${1:-}" = "--tests" ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's Chromium for the end-to-end tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
