#!/usr/bin/env bash
# `npm test`: everything the suite needs, on a fresh machine: dependencies, a build, real
# search engines (scripts/test-env.sh), the vitest suites, then the official MCP
# conformance suite against a running server. Engines this script started are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# Dependencies, the embedded store's SQLite addon for this Node, and the build: as `npm start` does.
node scripts/ensure-built.mjs
# Types, and the layering of DESIGN.md: eslint.config.js holds the table of what each src/ folder may import.
node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit
node node_modules/eslint/bin/eslint.js src test bench scripts

already_up=$(bash scripts/test-env.sh env | sed -n 's/^\(ES_URL\|ES9_URL\|ES7_URL\|OPENSEARCH_URL\)=.*/\1/p' | tr '\n' ' ')
env_lines=$(bash scripts/test-env.sh up ${TEST_ENGINES:-})
stop_started() {
  local started=()
  for pair in "es8:ES_URL" "es9:ES9_URL" "es7:ES7_URL" "os2:OPENSEARCH_URL"; do
    case " $already_up " in *" ${pair#*:} "*) ;; *) started+=("${pair%%:*}") ;; esac
  done
  # `down` with no engine named stops them all: only call it for engines this run started.
  if [ "${#started[@]}" -gt 0 ] && [ "${TELEMCP_KEEP_TEST_ENV:-}" != "1" ]; then
    bash scripts/test-env.sh down "${started[@]}" >&2 || true
  fi
}
trap stop_started EXIT
while IFS= read -r line; do
  case "$line" in *=*) export "$line" ;; esac
done <<<"$env_lines"
# The integration suites read these; OPENSEARCH_URL must not silently configure the server under test.
export TEST_ES_URL="${ES_URL:-}" TEST_ES9_URL="${ES9_URL:-}" TEST_ES7_URL="${ES7_URL:-}" TEST_OPENSEARCH_URL="${OPENSEARCH_URL:-}"
unset ES_URL ES9_URL ES7_URL OPENSEARCH_URL

# The tiers are vitest projects (vitest.config.ts): unit and contract in parallel, then the engine tier file by file.
node node_modules/vitest/vitest.mjs run "$@"
bash scripts/conformance.sh
