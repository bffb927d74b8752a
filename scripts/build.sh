#!/usr/bin/env bash
# The release build: the server binary (target/release/promptvault) and the site it serves
# (target/site: the dashboard's WASM bundle and its JavaScript glue, the CSS, the static
# assets). These are the steps cargo-leptos runs, done with cargo, wasm-bindgen and wasm-opt
# directly, so that a new machine needs no cargo-leptos (a 15-minute install). Cargo skips
# what has not changed.
#   scripts/build.sh            both halves
#   scripts/build.sh server     only the server binary
#   scripts/build.sh site       only the site
set -euo pipefail
cd "$(dirname "$0")/.."

SITE=target/site
WASM=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
PATH="$PWD/tools/wasm-opt/node_modules/.bin:$PATH"

build_server() {
  echo "==> server (release)"
  cargo build --release --locked -p server --bin promptvault
}

build_site() {
  echo "==> dashboard bundle (wasm32, size-optimised)"
  cargo build --profile wasm-release --locked -p frontend --lib --target wasm32-unknown-unknown
  local staging=$SITE.new
  rm -rf "$staging"
  mkdir -p "$staging/pkg"
  # The names the server's pages load: pkg/promptvault.js and pkg/promptvault_bg.wasm.
  wasm-bindgen --target web --no-typescript --out-dir "$staging/pkg" --out-name promptvault "$WASM"
  wasm-opt -Oz "$staging/pkg/promptvault_bg.wasm" -o "$staging/pkg/promptvault_bg.wasm"
  cp style/main.css "$staging/pkg/promptvault.css"
  cp -R public/. "$staging/"
  # Swapped in whole, so a running server never serves half a site.
  rm -rf "$SITE"
  mv "$staging" "$SITE"
}

case "${1:-all}" in
  server) build_server ;;
  site) build_site ;;
  all)
    build_server
    build_site
    ;;
  *)
    echo "usage: scripts/build.sh [server|site]" >&2
    exit 2
    ;;
esac
