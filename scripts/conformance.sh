#!/usr/bin/env bash
# Runs the official MCP conformance suite (server scenarios) against a real telemcp server.
# The suite needs Node 22; it is pinned in test/conformance/ and installed from npm.
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIOS=${CONFORMANCE_SCENARIOS:-"server-initialize ping tools-list prompts-list resources-list dns-rebinding-protection"}
[ -x test/conformance/node_modules/.bin/node ] || npm ci --prefix test/conformance --no-audit --no-fund >&2
NODE22=test/conformance/node_modules/node/bin/node
SUITE=test/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT=$(free_port); PROXY_PORT=$(free_port)
KEY="conformance-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
WORK=$(mktemp -d)
cleanup() { kill "${SERVER_PID:-}" "${PROXY_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

API_KEYS="$KEY:elk_viewer" DATA_DIR="$WORK/data" PORT=$PORT LOG_LEVEL=warn node dist/cli/main.js serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
node test/conformance/auth-proxy.mjs "$PROXY_PORT" "$PORT" "$KEY" >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && grep -q ready "$WORK/proxy.log" && break
  sleep 0.1
done

failed=0
for scenario in $SCENARIOS; do
  if out=$("$NODE22" "$SUITE" server --url "http://localhost:$PROXY_PORT/mcp" --scenario "$scenario" 2>&1); then
    echo "conformance $scenario: passed"
  else
    echo "conformance $scenario: FAILED"; echo "$out" | tail -40; failed=1
  fi
done
if [ "$failed" = 1 ]; then echo "--- server log"; tail -20 "$WORK/server.log"; exit 1; fi
