#!/usr/bin/env bash
# scripts/test-env.sh — start/stop REAL servers on loopback for the test suite.
#
# No Docker. Search engines: the official "integ-test-zip" distributions are downloaded from
# Maven Central (cached), extracted once per version and run as plain JVMs, single-node,
# bound to 127.0.0.1, without authentication. Metric servers: built from their Go modules
# (cached as binaries) and run as plain processes on 127.0.0.1, one definition file each
# under scripts/test-env.d/ (see "Server definitions" below).
#
#   scripts/test-env.sh up [engine...]     start (or reuse) engines, print env lines
#   scripts/test-env.sh env                KEY=value lines for engines that are up
#   scripts/test-env.sh down [engine...]   stop engines started by this script
#   scripts/test-env.sh status             human-readable status
#   scripts/test-env.sh running            names of the engines of ours that are up, one a line
#   scripts/test-env.sh keys               every KEY that `env` can print, one a line
#
#   eval "$(scripts/test-env.sh env | sed 's/^/export /')"
#
# Engines (default set: ${TEST_ENGINES:-all of them}):
#   es8      Elasticsearch 8.19.21         127.0.0.1:19200  Java 17      ES_URL / ES_VERSION
#   es9      Elasticsearch 9.2.x (probed)  127.0.0.1:19201  Java 21+     ES9_URL / ES9_VERSION
#   es7      Elasticsearch 7.17.29         127.0.0.1:19202  Java 17      ES7_URL / ES7_VERSION
#   os2      OpenSearch 2.19.x (probed)    127.0.0.1:19203  Java 17      OPENSEARCH_URL / OPENSEARCH_VERSION
#   am       Alertmanager 0.35.0           127.0.0.1:19093  Go build     ALERTMANAGER_URL / ALERTMANAGER_VERSION
#   vm       VictoriaMetrics 1.151.0       127.0.0.1:19094  Go build     VICTORIAMETRICS_URL / VICTORIAMETRICS_VERSION
#   nodeexp  node exporter 1.12.1          127.0.0.1:19100  Go build     NODE_EXPORTER_URL / NODE_EXPORTER_VERSION
#                                                                         NODE_EXPORTER_TEXTFILE_DIR (textfile collector)
#   prom     Prometheus 3.16.0             127.0.0.1:19090  Go build     PROMETHEUS_URL / PROMETHEUS_VERSION
#   vlogs    VictoriaLogs 1.52.2           127.0.0.1:19428  Go build     VICTORIALOGS_URL / VICTORIALOGS_VERSION
# Ports in use besides: 19300-19402 (JVM transport ranges); 19095 (a test's controlled scrape
# target), 19096 (a telemcp under test), 19098 (Alertmanager's webhook receivers, closed),
# 19099 (a scrape target that never listens): test/fixtures/metrics/prometheus.yml names them.
# Metric servers start in the order of their definition files (Alertmanager before Prometheus),
# each with an empty data dir; a reused (already healthy) one keeps its data.
#
# Only KEY=value lines go to stdout (from `up` and `env`); everything else goes to stderr.
#
# Environment knobs (all optional):
#   TELEMCP_CACHE              download/build cache (default ~/.cache/telemcp; zips in es/ and
#                              opensearch/, built binaries in bin/)
#   TELEMCP_GO_CACHE           GOPATH, module and build caches for the Go builds (default $TELEMCP_CACHE/go)
#   TELEMCP_TEST_ENV_DIR       runtime dir: installs, config, data, logs, pids
#                              (default ~/.cache/telemcp/test-env; when running as root
#                              /var/lib/telemcp/test-env, because /root is not traversable
#                              by the unprivileged engine user)
#   TEST_ENGINES               default engine list for `up`
#   CI=true / TELEMCP_STRICT=1 every requested engine must start (missing JDK, download or build = failure)
#   TELEMCP_START_TIMEOUT      seconds to wait for each engine to become healthy (default 180)
#   TELEMCP_STOP_TIMEOUT       seconds to wait for an engine to exit on `down` (default 60)
#   TELEMCP_HEAP               JVM heap per engine (default 512m)
#   TELEMCP_ENGINE_USER        user the engines run as when this script runs as root (default telemcp)
#   TELEMCP_JAVA17_HOME        JDK for es8/es7/os2 (default /usr/lib/jvm/java-17-openjdk-amd64, then autodetect)
#   TELEMCP_JAVA21_HOME        JDK 21+ for es9 (default /usr/lib/jvm/temurin-25-jdk-amd64, then autodetect)
#   TELEMCP_ES8_VERSION / TELEMCP_ES9_VERSION / TELEMCP_ES7_VERSION / TELEMCP_OS2_VERSION
#                              pin a version (disables probing for es9/os2)
#   TELEMCP_ES8_PORT / TELEMCP_ES9_PORT / TELEMCP_ES7_PORT / TELEMCP_OS2_PORT   HTTP ports
#   TELEMCP_PROBE_TTL_MIN      minutes a version-probe result stays cached (default 1440)
#   TELEMCP_MAVEN_URL          Maven repository base (default https://repo1.maven.org/maven2)
#
# Server definitions (scripts/test-env.d/NN-<engine>.sh, started in NN order): a file is sourced
# by engine_load with E_NAME and E_DIR (its runtime dir) set, and sets
#   E_DESC, E_VERSION, E_PORT, E_URL_KEY, E_VER_KEY   what and where; E_URL defaults to http://127.0.0.1:E_PORT
#   E_BIN                      binary name: cached as $TELEMCP_CACHE/bin/E_BIN, run as E_BIN-E_VERSION
#   E_ARGS=(...)               its arguments; they must name a path under $E_DIR/ (that path and
#                              the binary's name are how `down` and `status` recognise our process)
#   E_HEALTH                   path answering 2xx once it serves (default /)
#   E_VERSION_METRIC           a /metrics series whose version="..." label is the running version
# and may override the hooks svc_build (default: none; use go_install_build/go_module_build),
# svc_prepare (config into $E_DIR/config at each start), svc_env (extra KEY=value lines),
# svc_binary_version <binary> (default: `<binary> --version`, "<name>, version X ..."),
# svc_running_version and svc_healthy.
set -euo pipefail

JVM_ENGINES=(es8 es9 es7 os2)
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DEFS_DIR=$SCRIPT_DIR/test-env.d
# shellcheck disable=SC2034 # read by the definitions (their config files live there)
FIXTURES_DIR=$(dirname "$SCRIPT_DIR")/test/fixtures
# Server definitions: the engine name is the file name without its NN- order prefix.
declare -A SVC_DEF=()
SVC_ENGINES=()
for _def in "$DEFS_DIR"/[0-9]*-*.sh; do
  [[ -f $_def ]] || continue
  _name=${_def##*/}
  _name=${_name#*-}
  _name=${_name%.sh}
  SVC_ENGINES+=("$_name")
  SVC_DEF[$_name]=$_def
done
unset _def _name
ALL_ENGINES=("${JVM_ENGINES[@]}" "${SVC_ENGINES[@]+"${SVC_ENGINES[@]}"}")

CACHE_DIR=${TELEMCP_CACHE:-$HOME/.cache/telemcp}
BIN_DIR=$CACHE_DIR/bin
GO_DIR=${TELEMCP_GO_CACHE:-$CACHE_DIR/go}
if [[ -n ${TELEMCP_TEST_ENV_DIR:-} ]]; then
  RUN_DIR=$TELEMCP_TEST_ENV_DIR
elif [[ $EUID -eq 0 ]]; then
  RUN_DIR=/var/lib/telemcp/test-env
else
  RUN_DIR=$HOME/.cache/telemcp/test-env
fi
ENGINE_USER=${TELEMCP_ENGINE_USER:-telemcp}
START_TIMEOUT=${TELEMCP_START_TIMEOUT:-180}
STOP_TIMEOUT=${TELEMCP_STOP_TIMEOUT:-60}
HEAP=${TELEMCP_HEAP:-512m}
MAVEN_URL=${TELEMCP_MAVEN_URL:-https://repo1.maven.org/maven2}
PROBE_TTL_MIN=${TELEMCP_PROBE_TTL_MIN:-1440}
PROBE_MAX_MISSES=5 # Maven Central has gaps (e.g. 9.2.5-9.2.7 missing, 9.2.8 present)

log() { printf '[test-env] %s\n' "$*" >&2; }
warn() { printf '[test-env] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[test-env] ERROR: %s\n' "$*" >&2
  exit 1
}
is_strict() { [[ ${CI:-} == true || ${CI:-} == 1 || ${TELEMCP_STRICT:-} == 1 ]]; }
now() { date +%s; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
}

# ---------------------------------------------------------------------------
# Engine definitions
# ---------------------------------------------------------------------------
# engine_load <engine> sets the E_* globals.
engine_load() {
  E_NAME=$1 E_KIND=jvm
  E_PROBE_PREFIX='' E_PROBE_MIN='' E_FALLBACK=''
  case $1 in
    es8)
      E_FLAVOR=elasticsearch E_PORT=${TELEMCP_ES8_PORT:-19200}
      E_URL_KEY=ES_URL E_VER_KEY=ES_VERSION E_JAVA_KIND=17
      E_VERSION=${TELEMCP_ES8_VERSION:-8.19.21}
      ;;
    es9)
      E_FLAVOR=elasticsearch E_PORT=${TELEMCP_ES9_PORT:-19201}
      E_URL_KEY=ES9_URL E_VER_KEY=ES9_VERSION E_JAVA_KIND=21
      E_VERSION=${TELEMCP_ES9_VERSION:-}
      E_PROBE_PREFIX=9.2 E_PROBE_MIN=4 E_FALLBACK=9.2.4
      ;;
    es7)
      E_FLAVOR=elasticsearch E_PORT=${TELEMCP_ES7_PORT:-19202}
      E_URL_KEY=ES7_URL E_VER_KEY=ES7_VERSION E_JAVA_KIND=17
      E_VERSION=${TELEMCP_ES7_VERSION:-7.17.29}
      ;;
    os2)
      E_FLAVOR=opensearch E_PORT=${TELEMCP_OS2_PORT:-19203}
      E_URL_KEY=OPENSEARCH_URL E_VER_KEY=OPENSEARCH_VERSION E_JAVA_KIND=17
      E_VERSION=${TELEMCP_OS2_VERSION:-}
      E_PROBE_PREFIX=2.19 E_PROBE_MIN=6 E_FALLBACK=2.19.6
      ;;
    *)
      [[ -n ${SVC_DEF[$1]:-} ]] || die "unknown engine '$1' (known: ${ALL_ENGINES[*]})"
      svc_load "$1"
      return 0
      ;;
  esac
  # Transport: a range starting at HTTP port + 100, so overriding the HTTP port
  # (e.g. a second runtime dir) never collides on a fixed transport port.
  E_TPORT="$((E_PORT + 100))-$((E_PORT + 199))"
  E_CLUSTER=telemcp-test-$1
  E_URL=http://127.0.0.1:$E_PORT
  E_DIR=$RUN_DIR/$1
  E_CONF=$E_DIR/config
  E_PIDFILE=$E_DIR/run/engine.pid
  if [[ $E_FLAVOR == opensearch ]]; then
    E_YML=opensearch.yml
  else
    E_YML=elasticsearch.yml
  fi
}

zip_dir() { if [[ $1 == opensearch ]]; then echo "$CACHE_DIR/opensearch"; else echo "$CACHE_DIR/es"; fi; }
zip_url() { # flavor version
  local group=org/elasticsearch
  [[ $1 == opensearch ]] && group=org/opensearch
  echo "$MAVEN_URL/$group/distribution/integ-test-zip/$1/$2/$1-$2.zip"
}

# ---------------------------------------------------------------------------
# Metric servers (and any other single-binary server): scripts/test-env.d/NN-<engine>.sh
# ---------------------------------------------------------------------------
# The hooks' defaults, restored before each definition is sourced so that one server's
# override never leaks into the next.
svc_defaults() {
  svc_build() {
    echo "no build recipe for $E_NAME"
    return 1
  }
  svc_prepare() { :; }
  svc_env() { :; }
  # Prometheus-style `--version`: "prometheus, version 3.16.0 (branch: ...)".
  svc_binary_version() { "$1" --version 2>&1 | sed -n 's/^[^ ]*, version \([^ ]*\).*/\1/p' | sed -n 1p; }
  svc_running_version() { metric_label "$E_URL/metrics" "$E_VERSION_METRIC" version; }
  svc_healthy() { curl -fs -o /dev/null --max-time 5 "$E_URL$E_HEALTH" 2>/dev/null; }
}

svc_load() {
  E_KIND=svc E_NAME=$1 E_DIR=$RUN_DIR/$1
  E_DESC=$1 E_VERSION='' E_PORT='' E_URL='' E_URL_KEY='' E_VER_KEY='' E_BIN=''
  E_HEALTH=/ E_VERSION_METRIC='' E_ARGS=()
  svc_defaults
  # shellcheck source=/dev/null
  source "${SVC_DEF[$1]}"
  [[ -n $E_VERSION && -n $E_PORT && -n $E_BIN && -n $E_URL_KEY && -n $E_VER_KEY ]] ||
    die "${SVC_DEF[$1]}: E_VERSION, E_PORT, E_BIN, E_URL_KEY and E_VER_KEY are required"
  E_URL=${E_URL:-http://127.0.0.1:$E_PORT}
  E_FLAVOR=$E_DESC # what the shared messages call it
  E_PIDFILE=$E_DIR/run/engine.pid
  E_LOG=$E_DIR/logs/$E_BIN.log
  E_RUNBIN=$RUN_DIR/dist/bin/$E_BIN-$E_VERSION
}

metric_label() { # url metric label: the label's value on the metric's first series
  [[ -n $2 ]] || return 1
  curl -fs --max-time 5 "$1" 2>/dev/null |
    sed -n "/^$2{/{s/.*[{,][[:space:]]*$3=\"\([^\"]*\)\".*/\1/p;q;}" || true
}

# A pid is ours if its executable is named E_BIN-<version> (comm is cut to 15 characters, so
# it only pre-filters) and its arguments name a path under E_DIR.
svc_pid_is_engine() {
  local comm='' args argv0 want=$E_BIN-
  [[ -n $1 && -d /proc/$1 ]] || return 1
  read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
  [[ $comm == "$want"* || (${#comm} -eq 15 && $want == "$comm"*) ]] || return 1
  args=$(cmdline "$1")
  argv0=${args%% *}
  [[ ${argv0##*/} == "$want"* && $args == *"$E_DIR/"* ]]
}

svc_is_ours_up() {
  UP_VERSION=''
  [[ -n $(engine_pids) ]] || return 1
  svc_healthy || return 1
  UP_VERSION=$(svc_running_version || true)
  [[ -n $UP_VERSION ]]
}

# Build helpers for svc_build: they run in a subshell with GOPATH/GOMODCACHE/GOCACHE under
# $GO_DIR and must leave the binary at $BUILD_OUT (BUILD_TMP is a scratch dir, removed after).
# `set -e` does not hold there (the caller tests the subshell's status), hence `|| return`.
# shellcheck disable=SC2317 # called from the definitions' svc_build
# go_install_build <package>@<version> [ldflags]
go_install_build() {
  local name=${1%@*}
  name=${name##*/}
  GOBIN=$BUILD_TMP/gobin go install -ldflags "${2:-}" "$1" || return
  mv "$BUILD_TMP/gobin/$name" "$BUILD_OUT"
}
# shellcheck disable=SC2317 # called from the definitions' svc_build
# go_module_build <module> <version> <package> [ldflags] [prepare-function]: for modules that
# `go install` cannot build (embedded assets that are not in the module, replace directives):
# a writable copy of the module, prepared by the function (run inside it), then `go build`.
go_module_build() {
  local dir
  cd "$BUILD_TMP" || return
  dir=$(go mod download -json "$1@$2" | json_str Dir)
  [[ -n $dir && -d $dir ]] || {
    echo "go mod download $1@$2 named no module dir"
    return 1
  }
  cp -R "$dir" "$BUILD_TMP/src" || return
  chmod -R u+w "$BUILD_TMP/src" || return
  cd "$BUILD_TMP/src" || return
  if [[ -n ${5:-} ]]; then "$5" || return; fi
  go build -ldflags "${4:-}" -o "$BUILD_OUT" "$3"
}

# svc_ensure_binary: the cached binary at the wanted version (built when missing or another
# version), copied into the runtime dir (the engine user cannot traverse /root).
svc_ensure_binary() {
  local cached=$BIN_DIR/$E_BIN have='' t0 rc=0 blog
  [[ -x $cached ]] && have=$(svc_binary_version "$cached" || true)
  if [[ $have != "$E_VERSION" ]]; then
    if [[ -e $cached ]]; then
      log "$E_NAME: cached $cached is version '${have:-?}', want $E_VERSION: rebuilding"
    else
      log "$E_NAME: building $E_BIN $E_VERSION into $BIN_DIR (Go caches: $GO_DIR)"
    fi
    # The official Go install is not on every PATH (a login shell adds it; CI's environment may not).
    if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
      PATH=/usr/local/go/bin:$PATH
    fi
    if ! command -v go >/dev/null 2>&1; then
      warn "$E_NAME: Go is not installed; cannot build $E_BIN $E_VERSION"
      return 1
    fi
    mkdir -p "$BIN_DIR" "$GO_DIR"
    BUILD_TMP=$(mktemp -d "$BIN_DIR/.build-$E_BIN.XXXXXX")
    BUILD_OUT=$BUILD_TMP/out
    blog=$BIN_DIR/.build-$E_BIN.log
    t0=$(now)
    (
      export GOPATH=$GO_DIR GOMODCACHE=$GO_DIR/pkg/mod GOCACHE=$GO_DIR/build GOFLAGS=-buildvcs=false
      svc_build
    ) </dev/null >"$blog" 2>&1 || rc=$?
    have=''
    [[ $rc -eq 0 && -x $BUILD_OUT ]] && have=$(svc_binary_version "$BUILD_OUT" || true)
    if [[ $have != "$E_VERSION" ]]; then
      warn "$E_NAME: build failed after $(($(now) - t0))s (exit $rc, built version '${have:-none}'); last lines of $blog:"
      tail -n 40 "$blog" >&2
      chmod -R u+w "$BUILD_TMP" 2>/dev/null || true
      rm -rf "$BUILD_TMP"
      return 1
    fi
    mv -f "$BUILD_OUT" "$cached"
    chmod -R u+w "$BUILD_TMP" 2>/dev/null || true
    rm -rf "$BUILD_TMP"
    log "$E_NAME: built $E_BIN $E_VERSION in $(($(now) - t0))s"
  fi
  mkdir -p "$RUN_DIR/dist/bin"
  if ! cmp -s "$cached" "$E_RUNBIN"; then
    cp -f "$cached" "$E_RUNBIN.tmp"
    chmod 755 "$E_RUNBIN.tmp"
    mv -f "$E_RUNBIN.tmp" "$E_RUNBIN"
  fi
}

svc_prepare_dir() {
  local prev=''
  [[ -f $E_DIR/version ]] && prev=$(<"$E_DIR/version")
  if [[ $prev != "$E_BIN-$E_VERSION" ]]; then
    if [[ -n $prev ]]; then
      log "$E_NAME: version changed ($prev -> $E_BIN-$E_VERSION); resetting its dir"
    fi
    rm -rf "$E_DIR"
  fi
  # Every start begins with empty data: series planted, silences made and alerts fired by an
  # earlier run must not show up in this one's answers.
  rm -rf "$E_DIR/data"
  mkdir -p "$E_DIR"/{data,logs,run,config}
  echo "$E_BIN-$E_VERSION" >"$E_DIR/version"
  svc_prepare
  if [[ $EUID -eq 0 ]]; then
    chown -R "$ENGINE_USER:" "$E_DIR"
  fi
}

svc_launch() {
  local -a runas=()
  # setpriv execs (runuser forks and waits), so the pid of the background job is the server's.
  [[ $EUID -eq 0 ]] && runas=(setpriv --reuid="$ENGINE_USER" --regid="$ENGINE_USER" --init-groups)
  rm -f "$E_PIDFILE"
  : >"$E_LOG"
  log "$E_NAME: starting $E_DESC $E_VERSION on $E_URL"
  # setsid detaches it from our process group so it outlives this script and the caller's
  # Ctrl-C; fd 9 (the lock) must not leak into the server.
  (
    exec 9>&-
    cd "$E_DIR"
    exec setsid "${runas[@]}" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 HOME="$E_DIR" "$E_RUNBIN" "${E_ARGS[@]}" </dev/null >>"$E_LOG" 2>&1
  ) &
  echo $! >"$E_PIDFILE"
  STARTED_AT[$E_NAME]=$(now)
}

pid_alive() { # not gone and not a zombie
  local _pid _comm state=''
  read -r _pid _comm state _ 2>/dev/null <"/proc/$1/stat" || return 1
  [[ -n $state && $state != Z ]]
}

# ---------------------------------------------------------------------------
# HTTP helpers (no jq dependency)
# ---------------------------------------------------------------------------
json_str() { # key  (reads JSON on stdin, prints first string value of key)
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# NB: not `GET /` — since 8.10 the root endpoint lives in the rest-root module, which the
# Elasticsearch integ-test-zip does not ship (GET / answers 405 there). _nodes is core everywhere.
node_info() { curl -s --max-time "${2:-3}" "$1/_nodes/_local?filter_path=cluster_name,nodes.*.version" 2>/dev/null || true; }

# is_ours_up: engine answers on its port with our cluster name. Sets UP_VERSION.
is_ours_up() {
  local body
  if [[ $E_KIND == svc ]]; then
    svc_is_ours_up
    return
  fi
  UP_VERSION=''
  body=$(node_info "$E_URL" 3)
  [[ -n $body ]] || return 1
  [[ $(json_str cluster_name <<<"$body") == "$E_CLUSTER" ]] || return 1
  UP_VERSION=$(json_str version <<<"$body")
}

# healthy: cluster health is yellow or green (and it is our cluster).
healthy() {
  local body
  if [[ $E_KIND == svc ]]; then
    svc_healthy
    return
  fi
  body=$(curl -s --max-time 5 "$E_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null || true)
  [[ $(json_str cluster_name <<<"$body") == "$E_CLUSTER" ]] || return 1
  [[ $(json_str status <<<"$body") =~ ^(green|yellow)$ ]]
}

# ---------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------
cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" || true; }
# A pid belongs to engine $E_NAME if it is a JVM whose java.io.tmpdir is the engine's tmp dir
# (set via ES_TMPDIR / OPENSEARCH_TMPDIR; the ES 8+ server JVM has no path.conf on its command line).
pid_is_engine() {
  local comm=''
  if [[ $E_KIND == svc ]]; then
    svc_pid_is_engine "$1"
    return
  fi
  [[ -n $1 && -d /proc/$1 ]] || return 1
  read -r comm 2>/dev/null <"/proc/$1/comm" || true
  [[ $comm == java ]] || return 1
  [[ $(cmdline "$1") == *"-Djava.io.tmpdir=$E_DIR/tmp "* ]]
}
engine_pids() { # all live JVMs (server + launcher) of the current engine
  local p seen=' '
  if [[ -f $E_PIDFILE ]]; then
    p=$(tr -dc '0-9' <"$E_PIDFILE" || true)
    if pid_is_engine "$p"; then
      echo "$p"
      seen+="$p "
    fi
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ $seen == *" $p "* ]] && continue
    pid_is_engine "$p" && echo "$p"
  done
  return 0
}
clear_stale_pidfile() {
  [[ -f $E_PIDFILE ]] || return 0
  local p
  p=$(tr -dc '0-9' <"$E_PIDFILE" || true)
  if ! pid_is_engine "$p"; then
    log "$E_NAME: removing stale pid file ($E_PIDFILE, pid '${p:-?}' is not running)"
    rm -f "$E_PIDFILE"
  fi
}

ensure_engine_user() {
  [[ $EUID -eq 0 ]] || return 0
  if ! id -u "$ENGINE_USER" >/dev/null 2>&1; then
    log "creating system user '$ENGINE_USER' (Elasticsearch refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /var/lib/telemcp \
      --shell /usr/sbin/nologin "$ENGINE_USER" >&2
  fi
}

ensure_unzip() {
  command -v unzip >/dev/null 2>&1 && return 0
  [[ $EUID -eq 0 ]] || die "'unzip' is not installed (and not root, so cannot apt-get install it)"
  command -v apt-get >/dev/null 2>&1 || die "'unzip' is not installed and apt-get is unavailable"
  log "installing unzip via apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q unzip >&2; then
    apt-get update -q >&2
    apt-get install -y -q unzip >&2
  fi
}

# ---------------------------------------------------------------------------
# JDK selection
# ---------------------------------------------------------------------------
java_major() { # java_home
  local v
  v=$("$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)
  v=${v#1.}
  echo "${v%%[.+-]*}"
}
find_java() { # kind (17|21) -> prints JAVA_HOME or returns 1
  local kind=$1 c m
  local -a cands
  if [[ $kind == 17 ]]; then
    cands=("${TELEMCP_JAVA17_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 "${JAVA_HOME_17_X64:-}"
      /usr/lib/jvm/temurin-17-jdk-amd64 /usr/lib/jvm/*-17-* /usr/lib/jvm/*17*)
  else
    cands=("${TELEMCP_JAVA21_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 "${JAVA_HOME_25_X64:-}"
      "${JAVA_HOME_21_X64:-}" /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64
      /usr/lib/jvm/*-25-* /usr/lib/jvm/*-21-* /usr/lib/jvm/*25* /usr/lib/jvm/*21*)
  fi
  for c in "${cands[@]}"; do
    [[ -n $c && -x $c/bin/java ]] || continue
    m=$(java_major "$c")
    [[ $m =~ ^[0-9]+$ ]] || continue
    if [[ $kind == 17 ]]; then
      ((m >= 17 && m <= 21)) || continue
    else
      ((m >= 21)) || continue
    fi
    readlink -f "$c"
    return 0
  done
  return 1
}

# ---------------------------------------------------------------------------
# Versions, downloads, extraction
# ---------------------------------------------------------------------------
http_head() { curl -s -o /dev/null -I -w '%{http_code}' --connect-timeout 10 --max-time 20 "$1" 2>/dev/null || true; }

newest_cached() { # flavor prefix
  local d
  d=$(zip_dir "$1")
  find "$d" -maxdepth 1 -name "$1-$2.*.zip" -printf '%f\n' 2>/dev/null |
    sed "s/^$1-//; s/\.zip\$//" | sort -V | tail -n1
}

# resolve_version: sets E_VERSION for probed engines.
resolve_version() {
  [[ -n $E_VERSION ]] && return 0
  local cache=$CACHE_DIR/probe/$E_NAME.version
  if [[ -s $cache ]] && [[ -n $(find "$cache" -mmin "-$PROBE_TTL_MIN" 2>/dev/null) ]]; then
    E_VERSION=$(<"$cache")
    log "$E_NAME: using probed version $E_VERSION (cached in $cache)"
    return 0
  fi
  log "$E_NAME: probing Maven Central for the newest $E_FLAVOR $E_PROBE_PREFIX.N integ-test-zip"
  local n=$E_PROBE_MIN best='' misses=0 code
  code=$(http_head "$(zip_url "$E_FLAVOR" "$E_PROBE_PREFIX.$n")")
  if [[ $code == 200 ]]; then
    best=$E_PROBE_PREFIX.$n
    while ((misses < PROBE_MAX_MISSES && n < E_PROBE_MIN + 100)); do
      n=$((n + 1))
      code=$(http_head "$(zip_url "$E_FLAVOR" "$E_PROBE_PREFIX.$n")")
      if [[ $code == 200 ]]; then
        best=$E_PROBE_PREFIX.$n misses=0
      elif [[ $code == 404 ]]; then
        misses=$((misses + 1))
      else
        warn "$E_NAME: probe of $E_PROBE_PREFIX.$n got HTTP '$code'; stopping probe"
        break
      fi
    done
    mkdir -p "$(dirname "$cache")"
    echo "$best" >"$cache"
    E_VERSION=$best
    log "$E_NAME: newest available is $E_VERSION"
  else
    E_VERSION=$(newest_cached "$E_FLAVOR" "$E_PROBE_PREFIX")
    E_VERSION=${E_VERSION:-$E_FALLBACK}
    warn "$E_NAME: Maven Central probe failed (HTTP '$code'); using $E_VERSION"
  fi
}

download() { # url dest
  local url=$1 dest=$2 tmp sha
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.XXXXXX.part")
  log "downloading $url"
  if ! curl -fL -sS --retry 3 --retry-delay 2 --connect-timeout 20 -o "$tmp" "$url"; then
    rm -f "$tmp"
    return 1
  fi
  sha=$(curl -fsS --max-time 20 "$url.sha1" 2>/dev/null | awk '{print $1}' || true)
  if [[ $sha =~ ^[0-9a-f]{40}$ ]]; then
    if [[ $(sha1sum "$tmp" | awk '{print $1}') != "$sha" ]]; then
      rm -f "$tmp"
      warn "checksum mismatch for $url"
      return 1
    fi
  else
    warn "no .sha1 published for $url; not verified"
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$dest"
  log "saved $dest ($(du -h "$dest" | cut -f1))"
}

# ensure_dist: makes sure E_VERSION is downloaded and extracted; sets E_HOME.
ensure_dist() {
  local zdir zip dest tmpd _attempt
  zdir=$(zip_dir "$E_FLAVOR")
  zip=$zdir/$E_FLAVOR-$E_VERSION.zip
  dest=$RUN_DIR/dist/$E_FLAVOR-$E_VERSION
  E_HOME=$dest
  [[ -f $dest/.telemcp-extracted ]] && return 0
  for _attempt in 1 2; do
    if [[ ! -s $zip ]]; then
      if ! download "$(zip_url "$E_FLAVOR" "$E_VERSION")" "$zip"; then
        warn "$E_NAME: download of $E_FLAVOR $E_VERSION failed"
        return 1
      fi
    fi
    ensure_unzip
    mkdir -p "$RUN_DIR/dist"
    rm -rf "$dest"
    tmpd=$(mktemp -d "$RUN_DIR/dist/.extract-$E_FLAVOR-$E_VERSION.XXXXXX")
    log "$E_NAME: extracting $(basename "$zip") -> $dest"
    if unzip -q "$zip" -d "$tmpd" && [[ -d $tmpd/$E_FLAVOR-$E_VERSION ]]; then
      mv "$tmpd/$E_FLAVOR-$E_VERSION" "$dest"
      rm -rf "$tmpd"
      chmod -R a+rX "$dest"
      touch "$dest/.telemcp-extracted"
      return 0
    fi
    rm -rf "$tmpd"
    warn "$E_NAME: $zip looks corrupt; deleting it"
    rm -f "$zip"
  done
  return 1
}

# ---------------------------------------------------------------------------
# Per-engine runtime dir + config
# ---------------------------------------------------------------------------
prepare_engine_dir() {
  local prev=''
  [[ -f $E_DIR/version ]] && prev=$(<"$E_DIR/version")
  if [[ $prev != "$E_FLAVOR-$E_VERSION" ]]; then
    if [[ -n $prev ]]; then
      log "$E_NAME: version changed ($prev -> $E_FLAVOR-$E_VERSION); resetting config and data"
    fi
    rm -rf "$E_DIR"
  fi
  mkdir -p "$E_DIR"/{data,logs,tmp,run}
  if [[ ! -d $E_CONF ]]; then
    cp -R "$E_HOME/config" "$E_CONF"
  fi
  echo "$E_FLAVOR-$E_VERSION" >"$E_DIR/version"
  echo "$E_JAVA" >"$E_DIR/java_home"
  write_config
  if [[ $EUID -eq 0 ]]; then
    chown -R "$ENGINE_USER:" "$E_DIR"
  fi
}

write_config() {
  local f=$E_CONF/$E_YML
  # jvm.options of ES 7 / OpenSearch use paths relative to the (root-owned, shared)
  # install dir: logs/gc.log, logs/hs_err_pid%p.log, HeapDumpPath=data. Point them at
  # this engine's own dirs.
  sed -i -e "s#file=logs/#file=$E_DIR/logs/#g" \
    -e "s#ErrorFile=logs/#ErrorFile=$E_DIR/logs/#g" -e "s#Xloggc:logs/#Xloggc:$E_DIR/logs/#g" \
    -e "s#HeapDumpPath=data\$#HeapDumpPath=$E_DIR/data#" "$E_CONF/jvm.options"
  {
    echo "# Generated by scripts/test-env.sh on every 'up' — edits are overwritten."
    echo "cluster.name: $E_CLUSTER"
    echo "node.name: telemcp-$E_NAME"
    echo "path.data: $E_DIR/data"
    echo "path.logs: $E_DIR/logs"
    echo "network.host: 127.0.0.1"
    echo "http.port: $E_PORT"
    echo "transport.port: \"$E_TPORT\""
    echo "discovery.type: single-node"
    echo "bootstrap.memory_lock: false"
    echo "action.destructive_requires_name: true"
    echo "# Disk-based allocation stays enabled, but with absolute free-space thresholds"
    echo "# instead of the default 85/90/95 % (large, mostly-full dev/CI disks)."
    echo "cluster.routing.allocation.disk.threshold_enabled: true"
    echo "cluster.routing.allocation.disk.watermark.low: 1gb"
    echo "cluster.routing.allocation.disk.watermark.high: 512mb"
    echo "cluster.routing.allocation.disk.watermark.flood_stage: 256mb"
    if [[ $E_FLAVOR == elasticsearch ]]; then
      echo "# The integ-test-zip ships x-pack-core + x-pack-security: turn security off (plain HTTP, no auth)."
      echo "xpack.security.enabled: false"
    fi
  } >"$f"
}

launch_engine() {
  local launcher_log=$E_DIR/run/launcher.log rc_file=$E_DIR/run/launcher.rc
  local -a envv RUNAS=()
  [[ $EUID -eq 0 ]] && RUNAS=(runuser -u "$ENGINE_USER" --)
  rm -f "$E_PIDFILE" "$rc_file"
  : >"$launcher_log"
  [[ $EUID -eq 0 ]] && chown "$ENGINE_USER:" "$launcher_log"
  envv=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME="$E_DIR")
  if [[ $E_FLAVOR == opensearch ]]; then
    envv+=(OPENSEARCH_JAVA_HOME="$E_JAVA" OPENSEARCH_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP"
      OPENSEARCH_PATH_CONF="$E_CONF" OPENSEARCH_TMPDIR="$E_DIR/tmp")
  else
    envv+=(ES_JAVA_HOME="$E_JAVA" ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP"
      ES_PATH_CONF="$E_CONF" ES_TMPDIR="$E_DIR/tmp")
  fi
  log "$E_NAME: starting $E_FLAVOR $E_VERSION on $E_URL (java $(java_major "$E_JAVA"): $E_JAVA)"
  # -d daemonizes; -p makes the node write its own pid. setsid detaches it from our
  # process group so it outlives this script and the caller's Ctrl-C. fd 9 (the lock)
  # must not leak into the daemon, or the lock would be held for the engine's lifetime.
  (
    exec 9>&-
    cd "$E_DIR"
    rc=0
    setsid -w "${RUNAS[@]}" env -i "${envv[@]}" "$E_HOME/bin/$E_FLAVOR" -d -p "$E_PIDFILE" \
      </dev/null >>"$launcher_log" 2>&1 || rc=$?
    echo "$rc" >"$rc_file"
  ) &
  STARTED_AT[$E_NAME]=$(now)
}

engine_log_file() {
  local f
  for f in "$E_DIR/logs/$E_CLUSTER.log" "$E_DIR/logs/$E_CLUSTER"_server.json; do
    [[ -s $f ]] && {
      echo "$f"
      return
    }
  done
  echo "$E_DIR/logs/$E_CLUSTER.log"
}

dump_logs() {
  local f
  if [[ $E_KIND == svc ]]; then
    log "---- $E_NAME: last 40 lines of $E_LOG ----"
    tail -n 40 "$E_LOG" >&2 || true
    return 0
  fi
  f=$E_DIR/run/launcher.log
  if [[ -s $f ]]; then
    log "---- $E_NAME: last 40 lines of $f ----"
    tail -n 40 "$f" >&2
  fi
  f=$(engine_log_file)
  if [[ -s $f ]]; then
    log "---- $E_NAME: last 40 lines of $f ----"
    tail -n 40 "$f" >&2
  else
    log "---- $E_NAME: no engine log at $f ----"
  fi
}

stop_engine() { # quiet=1 to suppress "not running"
  local quiet=${1:-0} pids p deadline
  clear_stale_pidfile
  pids=$(engine_pids | sort -u | tr '\n' ' ')
  if [[ -z ${pids// /} ]]; then
    if [[ $quiet != 1 ]]; then
      if is_ours_up; then
        warn "$E_NAME: answers on $E_URL but no process of ours found (started elsewhere?); leaving it alone"
      else
        log "$E_NAME: not running"
      fi
    fi
    rm -f "$E_PIDFILE"
    return 0
  fi
  log "$E_NAME: stopping (pids: ${pids% })"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  deadline=$(($(now) + STOP_TIMEOUT))
  while :; do
    local alive=''
    for p in $pids; do
      if pid_is_engine "$p"; then alive+="$p "; fi
    done
    [[ -z $alive ]] && break
    if (($(now) >= deadline)); then
      warn "$E_NAME: still running after ${STOP_TIMEOUT}s; sending SIGKILL to $alive"
      # shellcheck disable=SC2086
      kill -KILL $alive 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$E_PIDFILE"
  log "$E_NAME: stopped"
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------
with_lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$RUN_DIR/.lock"
  if ! flock -n 9; then
    log "another test-env.sh is running; waiting for its lock ($RUN_DIR/.lock)"
    flock -w $((START_TIMEOUT + STOP_TIMEOUT + 120)) 9 ||
      die "timed out waiting for $RUN_DIR/.lock (held by: $(fuser "$RUN_DIR/.lock" 2>/dev/null || echo '?'))"
  fi
}

validate_engines() {
  local e
  for e in "$@"; do engine_load "$e"; done
}

cmd_env() {
  local e
  for e in "${ALL_ENGINES[@]}"; do
    engine_load "$e"
    if is_ours_up; then
      echo "$E_URL_KEY=$E_URL"
      echo "$E_VER_KEY=$UP_VERSION"
      if [[ $E_KIND == svc ]]; then svc_env; fi
    fi
  done
}

cmd_keys() {
  local e
  for e in "${ALL_ENGINES[@]}"; do
    engine_load "$e"
    echo "$E_URL_KEY"
    echo "$E_VER_KEY"
    if [[ $E_KIND == svc ]]; then svc_env | sed 's/=.*//'; fi
  done
}

cmd_running() {
  local e
  for e in "${ALL_ENGINES[@]}"; do
    engine_load "$e"
    if is_ours_up; then echo "$e"; fi
  done
}

# in_start_order engine...: the engines in the order of ALL_ENGINES (search engines, then the
# servers in the order of their definition files), each once.
in_start_order() {
  local e r
  for e in "${ALL_ENGINES[@]}"; do
    for r in "$@"; do
      if [[ $r == "$e" ]]; then
        echo "$e"
        break
      fi
    done
  done
}

declare -A STARTED_AT=() RESULT=() ELAPSED=()

# await_engines engine...: waits for launched engines (in parallel) until each is healthy,
# has failed or timed out; sets RESULT/ELAPSED.
await_engines() {
  local -a pending=("$@")
  local e poll=0.25
  for e in "${pending[@]}"; do
    if [[ $(engine_load "$e" && echo "$E_KIND") == jvm ]]; then poll=1; fi
  done
  while ((${#pending[@]})); do
    local -a still=()
    for e in "${pending[@]}"; do
      engine_load "$e"
      local t=$(($(now) - STARTED_AT[$e])) rc='' p=''
      if healthy && { [[ $E_KIND == jvm ]] || is_ours_up; }; then
        if [[ $E_KIND == svc ]]; then
          # The pid file names the server itself (not a wrapper) from here on.
          p=$(engine_pids | sed -n 1p)
          [[ -n $p ]] && echo "$p" >"$E_PIDFILE"
        else
          is_ours_up || true
        fi
        RESULT[$e]=started ELAPSED[$e]=$t
        log "$e: healthy after ${t}s ($E_FLAVOR $UP_VERSION on $E_URL)"
        continue
      fi
      [[ -f $E_DIR/run/launcher.rc ]] && rc=$(<"$E_DIR/run/launcher.rc")
      [[ -f $E_PIDFILE ]] && p=$(tr -dc '0-9' <"$E_PIDFILE" || true)
      if [[ $E_KIND == svc ]] && ! pid_alive "${p:-0}" && [[ -z $(engine_pids) ]]; then
        warn "$e: process exited after ${t}s"
        RESULT[$e]=failed
      elif [[ -n $rc && $rc != 0 ]]; then
        warn "$e: launcher exited with status $rc after ${t}s"
        RESULT[$e]=failed
      elif [[ -n $rc ]] && ((t > 5)) && [[ -z $(engine_pids) ]]; then
        warn "$e: process exited after ${t}s"
        RESULT[$e]=failed
      elif ((t >= START_TIMEOUT)); then
        if [[ $E_KIND == svc ]] && healthy; then
          warn "$e: answers on $E_URL but not as ours, or without a version, after ${START_TIMEOUT}s"
        else
          warn "$e: not healthy after ${START_TIMEOUT}s"
        fi
        RESULT[$e]=failed
      else
        still+=("$e")
        continue
      fi
      dump_logs
      stop_engine 1
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) && sleep "$poll"
  done
  return 0
}

cmd_up() {
  local -a engines=("$@")
  ((${#engines[@]})) || read -r -a engines <<<"${TEST_ENGINES:-${ALL_ENGINES[*]}}"
  validate_engines "${engines[@]}"
  # Start order matters for the servers (Alertmanager before Prometheus, or Prometheus's first
  # alert notification is lost); it is the order of ALL_ENGINES whatever the command line says.
  mapfile -t engines < <(in_start_order "${engines[@]}")
  with_lock
  log "runtime dir: $RUN_DIR   cache: $CACHE_DIR   engines: ${engines[*]}$(is_strict && echo '   (strict: CI)')"
  [[ $EUID -eq 0 ]] && log "running as root: engines run as user '$ENGINE_USER'"
  mkdir -p "$RUN_DIR"
  ensure_engine_user
  if [[ $EUID -eq 0 ]]; then
    chmod 755 "$RUN_DIR"
    if ! runuser -u "$ENGINE_USER" -- test -x "$RUN_DIR"; then
      die "user '$ENGINE_USER' cannot access $RUN_DIR (a parent dir is not traversable); set TELEMCP_TEST_ENV_DIR"
    fi
  fi

  local e
  local -a to_start=() svc_to_start=()
  for e in "${engines[@]}"; do
    engine_load "$e"
    [[ -n ${RESULT[$e]:-} ]] && continue # listed twice
    clear_stale_pidfile
    if is_ours_up && healthy; then
      log "$e: already up and healthy on $E_URL ($E_FLAVOR $UP_VERSION); reusing"
      RESULT[$e]=reused ELAPSED[$e]=0
      continue
    fi
    if [[ -n $(engine_pids) ]]; then
      log "$e: a process of ours exists but is not healthy; restarting it"
      stop_engine 1
    fi
    if port_open "$E_PORT"; then
      warn "$e: port $E_PORT is in use by something that is not ours ($E_FLAVOR for $E_NAME)"
      RESULT[$e]=failed
      continue
    fi
    if [[ $E_KIND == svc ]]; then
      if svc_ensure_binary; then
        svc_to_start+=("$e")
      else
        RESULT[$e]=skipped
      fi
      continue
    fi
    E_JAVA=$(find_java "$E_JAVA_KIND" || true)
    if [[ -z $E_JAVA ]]; then
      warn "$e: no suitable JDK found (need Java $([[ $E_JAVA_KIND == 17 ]] && echo 17 || echo '21+'); set TELEMCP_JAVA${E_JAVA_KIND}_HOME)"
      RESULT[$e]=skipped
      continue
    fi
    resolve_version
    if ! ensure_dist; then
      # offline fallback for probed engines: newest cached zip of the same line
      local alt=''
      [[ -n $E_PROBE_PREFIX ]] && alt=$(newest_cached "$E_FLAVOR" "$E_PROBE_PREFIX")
      if [[ -n $alt && $alt != "$E_VERSION" ]]; then
        warn "$e: falling back to cached $E_FLAVOR $alt"
        E_VERSION=$alt
        ensure_dist || true
      fi
      if [[ ! -f ${E_HOME:-/nonexistent}/.telemcp-extracted ]]; then
        RESULT[$e]=skipped
        continue
      fi
    fi
    prepare_engine_dir
    to_start+=("$e")
  done

  for e in "${to_start[@]}"; do
    engine_load "$e"
    E_JAVA=$(<"$E_DIR/java_home")
    E_VERSION=$(sed "s/^$E_FLAVOR-//" "$E_DIR/version")
    E_HOME=$RUN_DIR/dist/$E_FLAVOR-$E_VERSION
    launch_engine
  done

  # The servers start one after the other, each healthy before the next (they take seconds),
  # while the JVMs boot.
  for e in "${svc_to_start[@]}"; do
    engine_load "$e"
    svc_prepare_dir
    svc_launch
    await_engines "$e"
  done

  # Wait for all launched JVMs in parallel.
  ((${#to_start[@]})) && log "waiting for ${to_start[*]} to report yellow/green (timeout ${START_TIMEOUT}s each)"
  await_engines "${to_start[@]+"${to_start[@]}"}"

  local status=0 summary=''
  for e in "${engines[@]}"; do
    case ${RESULT[$e]} in
      started) summary+=" $e=started(${ELAPSED[$e]}s)" ;;
      reused) summary+=" $e=reused" ;;
      skipped)
        summary+=" $e=SKIPPED"
        if is_strict; then status=1; fi
        ;;
      *)
        summary+=" $e=FAILED"
        status=1
        ;;
    esac
  done
  log "summary:$summary"
  if is_strict && ((status)); then
    log "CI/strict mode: every requested engine must start"
  fi
  cmd_env
  return $status
}

cmd_down() {
  local -a engines=("$@")
  ((${#engines[@]})) || engines=("${ALL_ENGINES[@]}")
  validate_engines "${engines[@]}"
  # Reverse start order: Prometheus goes before the Alertmanager and targets it talks to.
  mapfile -t engines < <(in_start_order "${engines[@]}" | tac)
  [[ -d $RUN_DIR ]] || {
    log "nothing to stop ($RUN_DIR does not exist)"
    return 0
  }
  with_lock
  local e
  for e in "${engines[@]}"; do
    engine_load "$e"
    stop_engine 0
  done
}

cmd_status() {
  local e pids health ver runtime
  printf '%-8s %-8s %-28s %-30s %-8s %s\n' ENGINE STATE URL VERSION PID 'JAVA / BINARY' >&2
  for e in "${ALL_ENGINES[@]}"; do
    engine_load "$e"
    pids=$(engine_pids | sort -u | tr '\n' ',' | sed 's/,$//')
    ver='-' runtime='-'
    if [[ $E_KIND == svc ]]; then
      [[ -x $E_RUNBIN ]] && runtime=$E_RUNBIN
    elif [[ -f $E_DIR/java_home ]]; then
      runtime=$(<"$E_DIR/java_home")
    fi
    if is_ours_up; then
      ver="$E_FLAVOR $UP_VERSION"
      if [[ $E_KIND == svc ]]; then
        health=up
      else
        health=$(curl -s --max-time 3 "$E_URL/_cluster/health" | json_str status)
        health="up/${health:-?}"
      fi
    elif [[ -n $pids ]]; then
      health=starting
    elif port_open "$E_PORT"; then
      health=foreign
    else
      health=down
      [[ -f $E_PIDFILE ]] && health='down(stale pid)'
    fi
    printf '%-8s %-8s %-28s %-30s %-8s %s\n' "$e" "$health" "$E_URL" "$ver" "${pids:--}" "$runtime" >&2
  done
  log "runtime dir: $RUN_DIR (logs: <engine>/logs, launcher output: <engine>/run/launcher.log)"
  log "download/build cache: $CACHE_DIR"
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    up) cmd_up "$@" ;;
    env) cmd_env ;;
    running) cmd_running ;;
    keys) cmd_keys ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    -h | --help | help)
      usage
      ;;
    *)
      usage
      exit 2
      ;;
  esac
}

# `; exit` on the same line: bash never reads past it, so editing this file while
# an invocation is running cannot make that invocation execute stray bytes.
main "$@"; exit $?
