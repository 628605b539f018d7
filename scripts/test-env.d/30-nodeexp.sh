# shellcheck shell=bash disable=SC2034  # sourced by scripts/test-env.sh, which reads these variables
# node exporter, built from its Go module (Debian's is 1.5.0): Prometheus's `node` job scrapes it.
E_DESC='node exporter'
E_VERSION=1.12.1
E_PORT=19100
E_URL_KEY=NODE_EXPORTER_URL E_VER_KEY=NODE_EXPORTER_VERSION
E_BIN=node_exporter
E_VERSION_METRIC=node_exporter_build_info
# The textfile collector reads *.prom files that tests drop into NODE_EXPORTER_TEXTFILE_DIR
# (certificate expiry and the like).
E_ARGS=(--web.listen-address="127.0.0.1:$E_PORT" --collector.textfile.directory="$E_DIR/textfile")
# The systemd collector needs a running systemd (D-Bus); containers and CI machines often have none.
if [[ -d /run/systemd/system ]]; then E_ARGS+=(--collector.systemd); fi

svc_build() {
  go_install_build "github.com/prometheus/node_exporter@v$E_VERSION" \
    "-X github.com/prometheus/common/version.Version=$E_VERSION"
}
# A fresh start has no textfile metrics left over from an earlier run.
svc_prepare() {
  rm -rf "$E_DIR/textfile"
  mkdir -p "$E_DIR/textfile"
}
svc_env() { echo "NODE_EXPORTER_TEXTFILE_DIR=$E_DIR/textfile"; }
