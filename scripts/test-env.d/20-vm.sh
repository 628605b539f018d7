# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# VictoriaMetrics single-node: a second Prometheus-compatible query API (MetricsQL).
E_DESC=VictoriaMetrics
E_VERSION=1.151.0
E_PORT=19094
E_URL_KEY=VICTORIAMETRICS_URL E_VER_KEY=VICTORIAMETRICS_VERSION
E_BIN=victoria-metrics
E_HEALTH=/health
# -search.latencyOffset=0s: by default samples younger than 30 s are invisible to queries.
# -retentionPeriod=100y: planted history of any age stays.
E_ARGS=(-httpListenAddr="127.0.0.1:$E_PORT" -storageDataPath="$E_DIR/data"
  -retentionPeriod=100y -search.latencyOffset=0s)

# Without the -X, `-version` and vm_app_version say nothing.
svc_build() {
  go_install_build "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@v$E_VERSION" \
    "-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-metrics-v$E_VERSION"
}
svc_binary_version() { "$1" -version 2>&1 | sed -n 's/^victoria-metrics-v\([0-9][0-9.]*\)$/\1/p'; }
svc_running_version() { metric_label "$E_URL/metrics" vm_app_version short_version | sed 's/^v//'; }
