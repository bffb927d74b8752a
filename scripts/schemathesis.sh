#!/usr/bin/env bash
# Schemathesis against the server's own OpenAPI document: it generates requests for every
# operation from the document, and checks that every answer is one the document lists
# (status, content type, schema) and that none is a server error. Bounded: a few examples per
# operation. Needs a server binary (the release build of scripts/build.sh, or the one
# PROMPTVAULT_BIN names) and the test tools (setup.sh --tests).
#   scripts/schemathesis.sh [examples per operation, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-25}
ADDR=127.0.0.1:3932
DATA=$(mktemp -d)
RUST_LOG=warn "${PROMPTVAULT_BIN:-target/release/promptvault}" --addr "$ADDR" --data-dir "$DATA" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 200); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.05; done

# A workspace with a prompt and a few versions to act on; the owner's token authenticates.
token=$(curl -sf -X POST "http://$ADDR/v1/setup" -H 'content-type: application/json' \
  -d '{"workspace":"Schemathesis","email":"st@example.com","password":"correct horse","name":"St"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
api() { curl -sf -o /dev/null -X "$1" "http://$ADDR/v1/manage$2" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' ${3:+-d "$3"}; }
api POST /prompts '{"name":"st"}'
api POST /prompts/st/versions '{"source":"one","message":"first"}'
api POST /prompts/st/versions '{"source":"two","message":"second"}'
api POST /prompts/st/versions/1/promote

end2end/.venv/bin/st --no-color run "http://$ADDR/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$EXAMPLES" \
  --phases examples,coverage,fuzzing
