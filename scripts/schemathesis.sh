#!/usr/bin/env bash
# Runs schemathesis against a real eom-server built in target/debug: the OpenAPI document at
# /api/v1/openapi.json drives generated requests (as an administrator, then as an observer),
# and no answer may be a 5xx. Installs schemathesis into a virtualenv of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/debug/eom-server
[ -x "$bin" ] || cargo build -p eom-server --bin eom-server
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

venv=${SCHEMATHESIS_VENV:-$work/venv}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet schemathesis
fi

db="$work/eom.db"
"$bin" --db "$db" init >/dev/null
"$bin" --db "$db" stations import examples/stations.csv >/dev/null
token_of() { "$bin" --db "$db" "$@" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
admin=$(token_of admin add --name Schemathesis)
observer=$(token_of observer add --name "Team S" --region North)

# No per-token budget: schemathesis sends far faster than a laptop.
EOM_LOG=warn "$bin" --db "$db" serve --listen 127.0.0.1:0 --token-requests-per-second 0 \
  --token-mib-per-hour 0 >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do
  grep -q listening "$work/out" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'http://[0-9.:]*' "$work/out")
echo "== schemathesis against $url"

for token in "$admin" "$observer"; do
  "$venv/bin/schemathesis" run "$url/api/v1/openapi.json" \
    --url "$url" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-30}" \
    --no-color
done
if grep -qi "panicked" "$work/log"; then
  echo "the server panicked:"; cat "$work/log"; exit 1
fi
