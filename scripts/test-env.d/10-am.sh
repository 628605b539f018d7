# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# Alertmanager, started before Prometheus: Prometheus drops the first alert it cannot send and
# resends only after --rules.alert.resend-delay.
E_DESC=Alertmanager
E_VERSION=0.35.0
E_PORT=19093
E_URL_KEY=ALERTMANAGER_URL E_VER_KEY=ALERTMANAGER_VERSION
E_BIN=alertmanager
E_HEALTH=/-/ready
E_VERSION_METRIC=alertmanager_build_info
# An empty --cluster.listen-address: a single instance, no gossip port.
E_ARGS=(--config.file="$E_DIR/config/alertmanager.yml" --storage.path="$E_DIR/data"
  --web.listen-address="127.0.0.1:$E_PORT" --cluster.listen-address=)

# `go install` fails: the module embeds ui/app/dist, which only its release tarballs carry.
# The API does not need the web UI, so stub pages stand in for it.
svc_build() {
  go_module_build github.com/prometheus/alertmanager "v$E_VERSION" ./cmd/alertmanager \
    "-X github.com/prometheus/common/version.Version=$E_VERSION" am_stub_ui
}
am_stub_ui() {
  local d
  for d in ui/app/dist/elm ui/app/dist/mantine; do
    mkdir -p "$d" || return
    echo '<!doctype html><title>Alertmanager</title><p>Web UI not built (telemcp test environment).' >"$d/index.html" || return
  done
}

# The configuration belongs to the tests (routes, inhibition, receivers): copied at each start.
svc_prepare() { cp "$FIXTURES_DIR/metrics/alertmanager.yml" "$E_DIR/config/alertmanager.yml"; }
