#!/usr/bin/env bash
# Runs every test: the wire types, the vault's rules, the dashboard's URL state, the API and
# the server functions against a real server, the SDK, on SQLite and on PostgreSQL; then, on
# the server binary those tests built and the dashboard's WASM bundle, the password flood,
# schemathesis against the OpenAPI document, and the browser journeys in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
# Each step says when it starts, counted from the start of the run: where the time goes.
step() { echo "==> $* (at $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s)"; }
scripts/setup.sh

# The test tools (Playwright and the Langfuse SDKs, the Python tools, Debian's Chromium) wait
# on the network and the Rust tests' compile on the CPU, so they install meanwhile; their
# output is shown if they fail.
mkdir -p target
scripts/setup.sh --test-tools > target/test-tools.log 2>&1 &
test_tools=$!
cleanup() {
  kill "$test_tools" 2> /dev/null || true
  if [ -n "${PG_DATABASES:-}" ]; then drop_test_databases; fi
}
trap cleanup EXIT

# The generated-input tests (vault/tests/vault/fuzz.rs, model.rs) draw from one fixed seed here, so
# a run is repeatable; run them directly (cargo test -p vault --test vault fuzz::) to explore new seeds,
# and keep what they find as a named case in the ordinary tests.
export PROPTEST_RNG_SEED=${PROPTEST_RNG_SEED:-20261125}

# One set of packages for both passes, so the second reuses the first one's build.
PACKAGES=(-p promptvault-types -p vault -p app -p server -p promptvault-sdk)
step "unit and integration tests (types, vault, app, server, sdk) on SQLite"
cargo test --locked "${PACKAGES[@]}"

# The same tests again on PostgreSQL: the vault's rules, the API, the server functions, and
# two server processes sharing one database. Each test makes a database of its own
# (pv_test_…) on this server, dropped when the run ends. PROMPTVAULT_TEST_POSTGRES points
# elsewhere.
PG=${PROMPTVAULT_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
drop_test_databases() {
  psql "$PG/postgres" -tAc "select datname from pg_database where datname like 'pv\_test\_%'" |
    while read -r db; do psql "$PG/postgres" -qc "drop database if exists \"$db\" with (force)"; done
}
step "the same tests on PostgreSQL ($PG)"
if ! psql "$PG/postgres" -qtAc "select 1" > /dev/null; then
  echo "PostgreSQL is not reachable at $PG; start it, or set PROMPTVAULT_TEST_POSTGRES" >&2
  exit 1
fi
# The databases are dropped when the run ends, passed or failed (cleanup, above).
PG_DATABASES=1
PROMPTVAULT_TEST_DATABASE_URL=$PG cargo test --locked "${PACKAGES[@]}"

# The rest runs the server binary the tests above built (debug, with argon2 optimised):
# building the release server too would compile every dependency a second time, for the
# same behaviour. scripts/run.sh builds the release server; CI builds it as well.
export PROMPTVAULT_BIN=target/debug/promptvault
step "dashboard bundle (WASM)"
scripts/build.sh site

step "the test tools"
if ! wait "$test_tools"; then
  cat target/test-tools.log
  echo "installing the test tools failed" >&2
  exit 1
fi
cat target/test-tools.log

step "password flood: bounded hashing keeps memory under 200 MB"
scripts/load-passwords.py "$PROMPTVAULT_BIN"

step "schemathesis against /v1/openapi.json"
scripts/schemathesis.sh

step "end-to-end tests (Playwright, Chromium)"
(cd end2end && npx playwright test)

elapsed=$((SECONDS - started))
echo "==> every test passed in $((elapsed / 60)) min $((elapsed % 60)) s"
