# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# Prometheus 2 as Debian packages it (2.42): the 2.x HTTP API differs from 3's (no quoted label
# names, no series `limit`), and many servers still run it. test/fixtures/metrics/prometheus2.yml.
E_DESC='Prometheus 2'
E_VERSION=2.42.0+ds
E_PORT=19091
E_URL_KEY=PROMETHEUS2_URL E_VER_KEY=PROMETHEUS2_VERSION
E_BIN=prometheus2
E_HEALTH=/-/ready
E_VERSION_METRIC=prometheus_build_info
E_ARGS=(--config.file="$E_DIR/config/prometheus.yml" --storage.tsdb.path="$E_DIR/data"
  --web.listen-address="127.0.0.1:$E_PORT")

# Not built: Debian's package (its service stays off), copied into the cache under its own name.
svc_build() {
  if [[ ! -x /usr/bin/prometheus ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends prometheus || { apt-get update -q && apt-get install -y -q --no-install-recommends prometheus; }
  fi
  cp /usr/bin/prometheus "$BUILD_OUT"
}
svc_prepare() {
  cp "$FIXTURES_DIR/metrics/prometheus2.yml" "$E_DIR/config/prometheus.yml"
  cp "$FIXTURES_DIR/metrics/rules.yml" "$E_DIR/config/"
}
