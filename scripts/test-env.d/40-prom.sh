# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# Prometheus 3: scrapes the other servers, evaluates test/fixtures/metrics/rules.yml and sends
# its alerts to Alertmanager (test/fixtures/metrics/prometheus.yml says what and why).
E_DESC=Prometheus
E_VERSION=3.16.0
E_PORT=19090
E_URL_KEY=PROMETHEUS_URL E_VER_KEY=PROMETHEUS_VERSION
E_BIN=prometheus
E_HEALTH=/-/ready
E_VERSION_METRIC=prometheus_build_info
# --rules.alert.resend-delay=5s: an alert that could not be sent is resent after 5 s, not 1 min.
# --web.enable-otlp-receiver: tests plant history through /api/v1/otlp/v1/metrics (with the
# out-of-order window of prometheus.yml).
E_ARGS=(--config.file="$E_DIR/config/prometheus.yml" --storage.tsdb.path="$E_DIR/data"
  --web.listen-address="127.0.0.1:$E_PORT" --rules.alert.resend-delay=5s --web.enable-otlp-receiver)

# Prometheus X.Y.Z is the Go module version v0.(X*100+Y).Z (3.16.0: v0.316.0); the -X gives
# `--version` and prometheus_build_info the release's number.
svc_build() {
  local minor_patch=${E_VERSION#*.}
  go_install_build "github.com/prometheus/prometheus/cmd/prometheus@v0.$((${E_VERSION%%.*} * 100 + ${minor_patch%%.*})).${minor_patch#*.}" \
    "-X github.com/prometheus/common/version.Version=$E_VERSION"
}
svc_prepare() { cp "$FIXTURES_DIR/metrics/prometheus.yml" "$FIXTURES_DIR/metrics/rules.yml" "$E_DIR/config/"; }
