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

# Engines that are up before this run stay up after it; the ones this run starts are stopped at
# the end (scripts/test-env.sh names them: `running` lists the engines of ours that are up).
already_up=" $(bash scripts/test-env.sh running | tr '\n' ' ') "
stop_started() {
  local started=() e
  for e in $(bash scripts/test-env.sh running); do
    case "$already_up" in *" $e "*) ;; *) started+=("$e") ;; esac
  done
  # `down` with no engine named stops them all: only call it for engines this run started.
  if [ "${#started[@]}" -gt 0 ] && [ "${TELEMCP_KEEP_TEST_ENV:-}" != "1" ]; then
    bash scripts/test-env.sh down "${started[@]}" >&2 || true
  fi
}
# Set before `up`, so that a failing `up` (CI) still stops what it did start.
trap stop_started EXIT
read -r -a engines <<<"${TEST_ENGINES:-}"
env_lines=$(bash scripts/test-env.sh up "${engines[@]}")
# The integration suites read TEST_<KEY> (TEST_ES_URL, TEST_PROMETHEUS_URL,
# TEST_NODE_EXPORTER_TEXTFILE_DIR, ...). The plain keys are settings of telemcp itself
# (ES_URL, PROMETHEUS_URL, ...): none of them may silently configure the server under test, so
# every key test-env.sh can print is unset, whether it came from `up` or from the caller's shell.
for key in $(bash scripts/test-env.sh keys); do unset "$key"; done
while IFS= read -r line; do
  case "$line" in *=*) export "TEST_$line" ;; esac
done <<<"$env_lines"

# The tiers are vitest projects (vitest.config.ts): unit and contract in parallel, then the engine tier file by file.
node node_modules/vitest/vitest.mjs run "$@"
bash scripts/conformance.sh
