# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# VictoriaLogs single-node: a LogsQL log store. Tests ingest through its write APIs (JSON lines,
# Loki push, OTLP) and must call /internal/force_flush before querying (test/helpers/vlogs-env.ts).
E_DESC=VictoriaLogs
E_VERSION=1.52.2
E_PORT=19428
E_URL_KEY=VICTORIALOGS_URL E_VER_KEY=VICTORIALOGS_VERSION
E_BIN=victoria-logs
E_HEALTH=/health
# -retentionPeriod=100y: planted history of any age stays (the default, 7d, drops older records
# at ingestion).
E_ARGS=(-httpListenAddr="127.0.0.1:$E_PORT" -storageDataPath="$E_DIR/data" -retentionPeriod=100y)

# VictoriaLogs uses VictoriaMetrics' lib/buildinfo: without the -X, `-version` and
# vm_app_version say nothing.
svc_build() {
  go_install_build "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v$E_VERSION" \
    "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-v$E_VERSION"
}
svc_binary_version() { "$1" -version 2>&1 | sed -n 's/^victoria-logs-v\([0-9][0-9.]*\)$/\1/p'; }
svc_running_version() { metric_label "$E_URL/metrics" vm_app_version short_version | sed 's/^v//'; }
