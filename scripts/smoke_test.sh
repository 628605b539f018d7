#!/usr/bin/env bash
# End-to-end smoke test of a running telemcp (seed 000): every tool the keys may call, the
# seed's JSON-RPC methods, and the 401/403/413 refusals. Fails loudly on the first wrong answer.
#
#   MCP_BASE_URL=http://localhost:8080 MCP_VIEWER_KEY=dev-key MCP_OPERATOR_KEY=ops-key ./scripts/smoke_test.sh
#
# With MCP_SEED_MANIFEST pointing at the manifest `telemcp seed` wrote (DATA_DIR/seed-manifest.json),
# the answers are also checked against what the seeded data contains.
set -euo pipefail

BASE=${MCP_BASE_URL:-http://localhost:8080}
VIEWER=${MCP_VIEWER_KEY:?set MCP_VIEWER_KEY (a key with role elk_viewer)}
OPERATOR=${MCP_OPERATOR_KEY:?set MCP_OPERATOR_KEY (a key with role elk_operator)}
MANIFEST=${MCP_SEED_MANIFEST:-}
# The index pattern the elk_query checks search (the server's LOG_INDEX_PATTERN).
LOG_PATTERN=${MCP_LOG_PATTERN:-logs-*}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok   $*"; }

# request METHOD PATH KEY [BODY] -> writes $WORK/body, prints the HTTP status
request() {
  local method=$1 path=$2 key=$3 body=${4:-}
  local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$method" "$BASE$path" -H "X-API-Key: $key")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  curl "${args[@]}"
}

# check JS_EXPRESSION DESCRIPTION: evaluates against the last body (as `r`) and the manifest (as `m`)
check() {
  node -e '
    const fs = require("fs");
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const m = process.argv[3] ? JSON.parse(fs.readFileSync(process.argv[3], "utf8")) : null;
    let pass = false;
    try { pass = Boolean(eval(process.argv[2])); } catch (e) { console.error(String(e)); }
    if (!pass) { console.error(JSON.stringify(r).slice(0, 800)); process.exit(1); }
  ' "$WORK/body" "$1" "$MANIFEST" || fail "$2"
  ok "$2"
}

execute() { # KEY TOOL INPUT EXPECTED_STATUS
  local status
  status=$(request POST /mcp/execute "$1" "{\"tool_name\":\"$2\",\"input\":$3}")
  [ "$status" = "$4" ] || { cat "$WORK/body" >&2; fail "$2 answered HTTP $status, expected $4"; }
}

status=$(curl -sS -o "$WORK/body" -w '%{http_code}' "$BASE/healthz")
[ "$status" = 200 ] || fail "/healthz answered $status"
ok "/healthz 200"
status=$(curl -sS -o "$WORK/body" -w '%{http_code}' "$BASE/readyz")
[ "$status" = 200 ] || fail "/readyz answered $status: $(cat "$WORK/body")"
ok "/readyz 200 (every configured backend reachable)"
metrics=$(curl -sS "$BASE/metrics")
grep -q '^# TYPE telemcp_tool_calls_total counter' <<<"$metrics" || fail "/metrics has no telemcp_tool_calls_total counter"
ok "/metrics is Prometheus text"

status=$(request GET /mcp/tools "$VIEWER")
[ "$status" = 200 ] || fail "GET /mcp/tools answered $status"
check 'r.ok && r.tools.some(t => t.name === "telemcp_status") && !r.tools.some(t => t.name === "elk_query")' "viewer tool list (no operator tools)"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.tools.map(t => t.name).join(" "))' "$WORK/body" >"$WORK/tools"
has() { grep -qw "$1" "$WORK/tools"; }

status=$(request POST /mcp "$VIEWER" '{"jsonrpc":"2.0","id":"1","method":"mcp.list_tools","params":{}}')
[ "$status" = 200 ] || fail "JSON-RPC mcp.list_tools answered $status"
check 'r.result.tools.length > 0' "JSON-RPC mcp.list_tools"

execute "$VIEWER" telemcp_status '{}' 200
check 'r.ok && r.data.status === "ok" && r.data.caller.role === "elk_viewer"' "telemcp_status"

if has elk_cluster_health; then
  execute "$VIEWER" elk_cluster_health '{"include_shards":true}' 200
  check '["green","yellow","red"].includes(r.data.status) && r.data.summary.startsWith("Cluster ") && Array.isArray(r.data.recommendation)' "elk_cluster_health"
  execute "$VIEWER" elk_nodes_stats '{"include_thread_pool":true}' 200
  check 'r.data.nodes.length > 0 && r.data.metrics.watermarks.low' "elk_nodes_stats"
  execute "$VIEWER" elk_indices_summary '{"sort_by":"size","limit":5}' 200
  check 'Array.isArray(r.data.indices) && r.data.indices.length <= 5' "elk_indices_summary"
  execute "$VIEWER" elk_search_logs '{"start_time":"now-24h","end_time":"now","log_level":"error","limit":5}' 200
  check 'Array.isArray(r.data.hits) && r.data.hits.length <= 5 && r.data.window.start' "elk_search_logs"
  execute "$VIEWER" elk_detect_errors '{"start_time":"now-24h","end_time":"now","top_n":5}' 200
  check 'typeof r.data.total_errors === "number" && Array.isArray(r.data.top_error_messages)' "elk_detect_errors"
  if [ -n "$MANIFEST" ]; then
    check 'r.data.top_error_messages[0].message.startsWith(m.incident.top_error_pattern.pattern.split("<*>")[0]) && r.data.top_error_messages[0].count === m.incident.top_error_pattern.count' "elk_detect_errors names the seeded top pattern with its exact count"
    check 'Math.abs(Date.parse(r.data.rising_since) - Date.parse(m.incident.start)) <= 60000' "elk_detect_errors dates the seeded incident's onset within a minute"
  fi
  execute "$VIEWER" elk_filebeat_status '{"max_delay_minutes":5}' 200
  check 'Array.isArray(r.data.delayed_hosts)' "elk_filebeat_status"
  if [ -n "$MANIFEST" ]; then
    check 'm.filebeat.delayed_hosts.every(h => JSON.stringify(r.data.delayed_hosts).includes(h))' "elk_filebeat_status finds the seeded delayed host"
  fi
  execute "$VIEWER" elk_apm_summary '{"start_time":"now-24h","end_time":"now"}' 200
  check 'typeof r.data.summary === "string"' "elk_apm_summary"
  execute "$OPERATOR" elk_query "{\"index_pattern\":\"$LOG_PATTERN\",\"body\":{\"size\":1,\"query\":{\"match_all\":{}}}}" 200
  check 'typeof r.data.total === "number" && r.data.partial === false' "elk_query (operator)"
  execute "$VIEWER" elk_query "{\"index_pattern\":\"$LOG_PATTERN\",\"body\":{\"size\":1}}" 403
  check 'r.error.code === "permission_denied"' "viewer calling an operator tool is 403 permission_denied"
  execute "$OPERATOR" elk_query "{\"index_pattern\":\"$LOG_PATTERN\",\"body\":{\"query\":{\"script\":{\"script\":{\"source\":\"true\"}}}}}" 403
  check 'r.error.code === "query_denied"' "a script query is 403 query_denied"
  execute "$VIEWER" elk_indices_summary '{"index_pattern":".security-7"}' 403
  check 'r.error.code === "index_pattern_denied"' "a system index is 403 index_pattern_denied"
fi
if has incident_summary; then
  # The seeded window when a manifest is given (one-minute buckets), else the last 24 hours.
  WINDOW='"start_time":"now-24h","end_time":"now"'
  if [ -n "$MANIFEST" ]; then
    WINDOW=$(node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(`"start_time":"${m.window.start}","end_time":"${m.window.end}"`)' "$MANIFEST")
  fi
  execute "$VIEWER" logs_patterns "{$WINDOW,\"log_level\":\"error\",\"top_n\":5}" 200
  check 'Array.isArray(r.data.patterns) && typeof r.data.total === "number" && r.data.source.name' "logs_patterns"
  if [ -n "$MANIFEST" ]; then
    check 'r.data.patterns[0].template === "timeout to fraud-service after <*>" && r.data.total === m.logs.per_level.error' "logs_patterns names the seeded top error template"
  fi
  execute "$VIEWER" logs_bursts "{$WINDOW}" 200
  check 'Array.isArray(r.data.bursts) && typeof r.data.bucket_seconds === "number"' "logs_bursts"
  if [ -n "$MANIFEST" ]; then
    check 'r.data.bursts.some(b => b.status === "ongoing" && Math.abs(Date.parse(b.onset) - Date.parse(m.incident.start)) <= 120000)' "logs_bursts finds the seeded incident ongoing from its minute"
  fi
  execute "$VIEWER" logs_correlate "{$WINDOW}" 200
  check 'Array.isArray(r.data.steady) && "incident" in r.data' "logs_correlate"
  execute "$VIEWER" incident_summary "{$WINDOW}" 200
  check '["ongoing","resolved","none"].includes(r.data.status) && Array.isArray(r.data.next_checks)' "incident_summary"
  if [ -n "$MANIFEST" ]; then
    check 'r.data.likely_cause.service === m.incident.root_cause.service && r.data.symptoms[0].service === m.incident.top_error_pattern.service && Math.abs(Date.parse(r.data.since) - Date.parse(m.incident.start)) <= 60000' "incident_summary names the seeded cause first, the symptom second, the onset within a minute"
  fi
fi
if has elk_kibana_status; then
  execute "$VIEWER" elk_kibana_status '{"include_plugins":true}' 200
  check '["available","degraded","unavailable","critical"].includes(r.data.status)' "elk_kibana_status"
fi
status=$(request GET /mcp/tools "$OPERATOR")
[ "$status" = 200 ] || fail "GET /mcp/tools (operator) answered $status"
if grep -q '"elk_logstash_health"' "$WORK/body"; then
  execute "$OPERATOR" elk_logstash_health '{}' 200
  check 'typeof r.data.summary === "string"' "elk_logstash_health (operator)"
  execute "$VIEWER" elk_logstash_health '{}' 403
  check 'r.error.code === "permission_denied"' "viewer calling elk_logstash_health is 403 (seed acceptance)"
fi
execute "$VIEWER" elk_recommend_fix '{"findings":{"cluster_health":{"status":"yellow","metrics":{"unassigned_shards":2}}}}' 200
check 'r.data.recommendations.length > 0' "elk_recommend_fix (seed example)"

status=$(request POST /mcp/execute "not-a-valid-key" '{"tool_name":"telemcp_status","input":{}}')
[ "$status" = 401 ] || fail "an invalid key answered $status, expected 401"
check 'r.error.code === "authentication_failed"' "invalid key is 401 authentication_failed"

# 413: a body over MAX_REQUEST_BYTES (default 1 MiB) is refused before it is read whole.
node -e 'process.stdout.write(JSON.stringify({tool_name:"telemcp_status",input:{pad:"x".repeat(2*1024*1024)}}))' >"$WORK/big.json"
status=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X POST "$BASE/mcp/execute" -H "X-API-Key: $VIEWER" -H 'Content-Type: application/json' --data-binary "@$WORK/big.json")
[ "$status" = 413 ] || fail "a 2 MiB request answered $status, expected 413"
check 'r.error.code === "request_too_large"' "oversized request is 413 request_too_large"

echo "smoke test passed: $passed checks against $BASE"
