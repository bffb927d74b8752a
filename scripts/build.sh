#!/usr/bin/env bash
# Builds PromptVault: the server binary (target/<profile>/promptvault) and the site it serves
# (target/site: the dashboard's WASM bundle and its JavaScript glue, the CSS, the static
# assets). These are the steps cargo-leptos runs, done with cargo, the workspace's own
# `bundle` tool (wasm-bindgen's library) and wasm-opt directly, so that a new machine needs
# neither cargo-leptos (a 15-minute install) nor the wasm-bindgen CLI. Cargo skips what has
# not changed.
#   scripts/build.sh            both halves, side by side
#   scripts/build.sh server     only the server binary
#   scripts/build.sh site       only the site
# PROFILE picks the server's cargo profile: `release` (the default: what production and the
# benchmarks run) or `quick` (what scripts/run.sh builds: see Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
SITE=target/site
# The site compiles in a target folder of its own, so that it can build while the server
# does (cargo builds one thing at a time per folder); they share no compiled crate anyway
# (other target, other profile).
WASM_TARGET_DIR=target/wasm
WASM=$WASM_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm
BUNDLE=$WASM_TARGET_DIR/quick/bundle
PATH="$PWD/tools/wasm-opt/node_modules/.bin:$PATH"

build_server() {
  echo "==> server (profile $PROFILE)"
  cargo build --profile "$PROFILE" --locked -p server --bin promptvault
}

build_site() {
  echo "==> dashboard bundle (wasm32, size-optimised)"
  # The wasm32 target and wasm-opt, when missing.
  scripts/setup.sh
  cargo build --profile quick --locked -p promptvault-bundle --target-dir "$WASM_TARGET_DIR"
  cargo build --profile wasm-release --locked -p frontend --lib --target wasm32-unknown-unknown \
    --target-dir "$WASM_TARGET_DIR"
  # What the site is made of; when it has not changed since the last build, neither has
  # the site (bundling and wasm-opt take most of a minute).
  local stamp
  stamp=$({
    cat "$WASM" style/main.css
    find public -type f | sort
    find public -type f -print0 | sort -z | xargs -0r cat
  } | sha256sum | cut -d' ' -f1)
  if [ -d "$SITE" ] && [ "$(cat "$SITE.built-from" 2> /dev/null)" = "$stamp" ]; then
    echo "==> the site is up to date"
    return
  fi
  local staging=$SITE.new
  rm -rf "$staging"
  mkdir -p "$staging/pkg"
  # The names the server's pages load: pkg/promptvault.js and pkg/promptvault_bg.wasm.
  "$BUNDLE" "$WASM" "$staging/pkg"
  wasm-opt -Oz "$staging/pkg/promptvault_bg.wasm" -o "$staging/pkg/promptvault_bg.wasm"
  cp style/main.css "$staging/pkg/promptvault.css"
  cp -R public/. "$staging/"
  # Swapped in whole, so a running server never serves half a site.
  rm -rf "$SITE"
  mv "$staging" "$SITE"
  echo "$stamp" > "$SITE.built-from"
}

case "${1:-all}" in
  server) build_server ;;
  site) build_site ;;
  all)
    # Both at once: each build has stretches where one crate compiles alone (the server's
    # last crates, the site's wasm-opt), and the other fills the idle core. (Giving the
    # server priority made the whole later: the site's single-threaded wasm-opt then ran
    # alone at the end.) The site's output goes to a log, shown if it fails.
    echo "==> dashboard bundle, alongside (output in target/site-build.log)"
    mkdir -p target
    build_site > target/site-build.log 2>&1 &
    site=$!
    # A failed server build stops the bundle's too (its cargo, then the shell running it).
    # Each step may find nothing to stop, which must not fail the build (set -e holds in traps).
    stop_site() {
      pkill -TERM -P "$site" 2> /dev/null || true
      kill "$site" 2> /dev/null || true
    }
    trap stop_site EXIT
    build_server
    if ! wait "$site"; then
      cat target/site-build.log
      echo "building the dashboard bundle failed" >&2
      exit 1
    fi
    echo "==> dashboard bundle built"
    ;;
  *)
    echo "usage: [PROFILE=release|quick] scripts/build.sh [server|site]" >&2
    exit 2
    ;;
esac
