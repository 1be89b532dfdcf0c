#!/usr/bin/env bash
# schemathesis against /api/v1/openapi.json of a real server on the demo data (what .ci/run calls).
# Bounded: a few examples per operation and a time budget per run. Fails on any 500, any response
# that breaks the document (status, content type, body schema).
set -euo pipefail
cd "$(dirname "$0")/../../.."
BIN="$PWD/.venv/bin"
WORK=$(mktemp -d)
PORT=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DUBAN_DATABASE_URL="sqlite:///$WORK/schemathesis.sqlite3" DUBAN_SECRET_KEY=schemathesis
export DUBAN_CONFIG="$PWD/config.toml"
$BIN/duban db upgrade >/dev/null
$BIN/duban demo load >/dev/null
$BIN/duban serve --no-scheduler --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 50); do curl -sf "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

token() {
  curl -sf -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"duban-2024\"}" | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# Every token before any fuzzing: the runs fuzz the login endpoint too, and the throttle on failed
# logins from this address would then refuse the next run's own login (it would fuzz unauthenticated).
declare -A TOKENS
for who in duchashi qfzgghjjxxhj admin; do
  TOKENS[$who]=$(token "$who") || { echo "could not log in as $who: $(tail -5 "$WORK/server.log")" >&2; exit 1; }
  [ -n "${TOKENS[$who]}" ] || { echo "empty token for $who" >&2; exit 1; }
done

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() {  # run WHO MAX_SECONDS [schemathesis options…]
  local who=$1 seconds=$2
  shift 2
  echo "== schemathesis as $who (≤ ${seconds}s)"
  # Run from the scratch directory: schemathesis keeps a cache in its working directory.
  (cd "$WORK" && "$BIN/st" run "$BASE/api/v1/openapi.json" -H "Authorization: Bearer ${TOKENS[$who]}" \
    --checks "$CHECKS" --max-examples 15 --max-time "$seconds" --seed "${SCHEMATHESIS_SEED:-20240401}" \
    --request-timeout 30 --exclude-path-regex "/auth/(token|tokens/.*|logout)$" "$@")
}
# The supervisor reaches nearly everything; a unit head and the admin the rest (users, own steps).
run duchashi 75
run qfzgghjjxxhj 25 --include-path-regex '/(inbox|human-tasks|key-tasks|cycles|audit)'
run admin 25 --include-path-regex '/(users|plans|units)'
