#!/usr/bin/env bash
# The API document of examples/api.rs, checked by tools nobody here wrote: Python's
# openapi-spec-validator reads the served document, then Schemathesis (every phase, every
# check) sends generated requests and holds each response to the status and schema the
# document declares; no input may make a 5xx.
#
#   bash tests/wire/api-conformance.sh      (needs: pip install schemathesis openapi-spec-validator)
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --example api
port=8009
./target/debug/examples/api >/tmp/api-conformance.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/openapi.json" >/dev/null && break
    sleep 0.1
done
kill -0 "$server" 2>/dev/null || { echo "the api example did not start:" >&2; cat /tmp/api-conformance.log >&2; exit 1; }

curl -sf "http://127.0.0.1:$port/openapi.json" | python3 -c '
import json, sys
from openapi_spec_validator import validate
validate(json.load(sys.stdin))
print("openapi-spec-validator: the document is valid OpenAPI 3.1")'

# A fixed seed: the same requests on every run, so a failure reproduces.
schemathesis --config-file tests/wire/schemathesis.toml run \
    "http://127.0.0.1:$port/openapi.json" \
    --checks all --max-examples 100 --seed 20261204 --no-color
