#!/usr/bin/env bash
# The security benchmark: on a release build, what hostile input costs and whether everyone
# else is still served meanwhile (a megabyte of braces; an MCP get whose naive output would
# be gigabytes; 10,000 idle connections from one address; one workspace's slow webhook
# receivers beside another's fast one). Prints the median of three runs and their range.
#   scripts/bench-security.sh [runs, default 3] [idle connections, default 10000]
# Loopback only; every wait is bounded; the servers and their data are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
CONNECTIONS=${2:-10000}

scripts/setup.sh
scripts/build.sh server
cargo build --release --locked -p bench --bin bench-security

# 10,000 sockets on each side: this machine allows 20,000 open files per process.
ulimit -n 20000
trap 'rm -rf target/bench-security' EXIT
target/release/bench-security --runs "$RUNS" --connections "$CONNECTIONS"
