#!/usr/bin/env bash
# Installs or builds the real programs the end-to-end tests run natively:
#   prometheus, promtool, alertmanager, amtool   (Debian packages)
#   otelcol-wundr   (OpenTelemetry Collector built with the Collector Builder
#                    from otel-collector/builder-config.yaml)
#   otelcol-wundr-contrib  (the scale-out distribution, with the load-balancing
#                    exporter and tail sampling, from
#                    otel-collector/builder-config-contrib.yaml; only with the
#                    collector-contrib target, not in `all`)
#   jaeger          (Jaeger v2, built from its Go module)
#
# Everything is cached outside the checkout, under
#   ${WUNDR_TOOLS_DIR:-$HOME/.cache/wundr-otel}
# and $TOOLS/bin gets one link or binary per program. Idempotent: a second run
# with nothing changed only checks and prints where the binaries are. The
# collector is rebuilt only when the builder config (or builder/Go version)
# changes: the cache key is a hash of them.
#
# Usage: scripts/e2e/get-tools.sh [all|prometheus|collector|collector-contrib|jaeger]...
# Needs: Go >= 1.26 (on PATH or /usr/local/go/bin), a Go module proxy, and for
# the Debian packages root (or the programs already installed).
# Exit status: 0 when every requested program is there, non-zero otherwise.

set -euo pipefail

# ---- pinned versions --------------------------------------------------------
# Collector Builder; keep in step with the module versions in
# otel-collector/builder-config.yaml (core v0.165.0 / v1.71.0, contrib v0.165.1).
BUILDER_VERSION=v0.165.0
# The scale-out distribution (otel-collector/builder-config-contrib.yaml) is
# one release throughout, core and contrib v0.161.0, with its own builder.
CONTRIB_BUILDER_VERSION=v0.161.0
# Jaeger v2.13.0. Jaeger's Go module is github.com/jaegertracing/jaeger with
# no /v2 suffix, so its v2.x.y tags cannot be used as module versions; each
# v2 release up to v2.13.0 was also tagged v1.(x+63).0 on the same commit
# (v1.76.0 = v2.13.0, the last dual tag). Later v2 releases are reachable only
# as pseudo-versions, and the module proxy this project uses does not resolve
# commit hashes, so v1.76.0 it is. Its go.mod has a `replace`, which
# `go install pkg@version` refuses; we build it from a small wrapper module
# that repeats the replace instead.
JAEGER_MODULE_VERSION=v1.76.0
JAEGER_RELEASE=v2.13.0
JAEGER_REPLACES=('github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0')

# ---- paths ------------------------------------------------------------------
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
BUILDER_CONFIG="$REPO_ROOT/otel-collector/builder-config.yaml"
CONTRIB_BUILDER_CONFIG="$REPO_ROOT/otel-collector/builder-config-contrib.yaml"
TOOLS=${WUNDR_TOOLS_DIR:-$HOME/.cache/wundr-otel}
BIN="$TOOLS/bin"
mkdir -p "$BIN"

log() { printf '[get-tools] %s\n' "$*" >&2; }
die() { printf '[get-tools] ERROR: %s\n' "$*" >&2; exit 1; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else return 1
  fi
}

# Go's own caches stay where the user has them (GOMODCACHE, GOCACHE); only the
# build outputs and wrapper modules live under $TOOLS.
go_env_ok() {
  GO=$(find_go) || die "Go not found (need Go >= 1.26 on PATH or in /usr/local/go/bin)"
  local v
  v=$("$GO" env GOVERSION) # e.g. go1.26.8
  case "$v" in
    go1.2[6-9]*|go1.[3-9][0-9]*|go[2-9]*) ;;
    *) die "$GO is $v; the collector builder $BUILDER_VERSION needs Go >= 1.26" ;;
  esac
  GOVERSION_STR=$v
}

sha256() { sha256sum | cut -c1-16; }

# ---- (a) Prometheus, promtool, Alertmanager from Debian -------------------------
have_prometheus_tools() {
  command -v prometheus >/dev/null 2>&1 &&
    command -v promtool >/dev/null 2>&1 &&
    { command -v alertmanager >/dev/null 2>&1 || command -v prometheus-alertmanager >/dev/null 2>&1; }
}

stop_debian_services() {
  # Package installs may start services where an init system runs. Leave
  # nothing running that holds 9090/9093/9100.
  local svc
  for svc in prometheus prometheus-alertmanager prometheus-node-exporter; do
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
      systemctl stop "$svc" >/dev/null 2>&1 || true
      systemctl disable "$svc" >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1 && [ -x "/etc/init.d/$svc" ]; then
      service "$svc" stop >/dev/null 2>&1 || true
    fi
  done
}

get_prometheus() {
  if ! have_prometheus_tools; then
    [ "$(id -u)" = 0 ] || die "prometheus/promtool/alertmanager missing and not root: run as root, or: sudo apt-get install -y prometheus prometheus-alertmanager"
    command -v apt-get >/dev/null 2>&1 || die "prometheus/promtool/alertmanager missing and no apt-get here: install Prometheus and Alertmanager and put them on PATH"
    log "installing Debian packages prometheus prometheus-alertmanager"
    # Keep package scripts from starting the services: a policy-rc.d that
    # says 101 ("action forbidden"), only for the time of this install.
    local made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      made_policy=1
    fi
    local rc=0
    {
      DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
          prometheus prometheus-alertmanager
    } >&2 || rc=$?
    [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    stop_debian_services
    [ "$rc" = 0 ] || die "apt-get install prometheus prometheus-alertmanager failed (exit $rc)"
    have_prometheus_tools || die "Debian packages installed but prometheus/promtool/alertmanager still not found"
  fi
  ln -sf "$(command -v prometheus)" "$BIN/prometheus"
  ln -sf "$(command -v promtool)" "$BIN/promtool"
  if command -v alertmanager >/dev/null 2>&1; then
    ln -sf "$(command -v alertmanager)" "$BIN/alertmanager"
  else
    # Debian names the binary prometheus-alertmanager.
    ln -sf "$(command -v prometheus-alertmanager)" "$BIN/alertmanager"
  fi
  if command -v amtool >/dev/null 2>&1; then ln -sf "$(command -v amtool)" "$BIN/amtool"; fi
  log "prometheus:   $("$BIN/prometheus" --version 2>&1 | head -n1)"
}

# ---- (b) the collectors -----------------------------------------------------------
# build_collector NAME BUILDER_CONFIG BUILDER_VERSION: builds the distribution
# NAME from its manifest into $TOOLS/otelcol/<hash>/NAME (the hash covers the
# manifest, the builder and Go versions) and links it into $BIN.
build_collector() {
  local name=$1 config=$2 builder_version=$3
  go_env_ok
  [ -f "$config" ] || die "missing $config"
  local key
  key=$( { cat "$config"; echo "$builder_version $GOVERSION_STR"; } | sha256)
  local out="$TOOLS/otelcol/$key"
  if [ -x "$out/$name" ]; then
    log "$name up to date (cache key $key)"
  else
    local builder="$TOOLS/go/builder-$builder_version/builder"
    if [ ! -x "$builder" ]; then
      log "go install go.opentelemetry.io/collector/cmd/builder@$builder_version"
      GOBIN="$TOOLS/go/builder-$builder_version" nice "$GO" install \
        "go.opentelemetry.io/collector/cmd/builder@$builder_version" ||
        die "could not install the collector builder $builder_version (is the Go module proxy reachable?)"
    fi
    local work="$TOOLS/otelcol/.build-$key.$$"
    rm -rf "$work"
    mkdir -p "$work"
    # Same manifest, with the output path pointed into the cache.
    sed -E "s#^([[:space:]]*output_path:).*#\1 $work/src#" "$config" >"$work/builder-config.yaml"
    grep -q "output_path: $work/src" "$work/builder-config.yaml" ||
      die "$(basename "$config") must have a dist.output_path line"
    log "building $name (log: $work/build.log)"
    local t0=$SECONDS
    # nice: the machines this runs on are shared; the build yields to tests.
    if ! (cd "$work" && PATH="$(dirname "$GO"):$PATH" nice "$builder" --config "$work/builder-config.yaml") >"$work/build.log" 2>&1; then
      tail -n 30 "$work/build.log" >&2
      die "$name build failed; full log: $work/build.log"
    fi
    log "$name built in $((SECONDS - t0))s"
    mkdir -p "$out"
    mv "$work/src/$name" "$out/$name"
    cp "$work/builder-config.yaml" "$out/builder-config.yaml"
    rm -rf "$work"
  fi
  ln -sf "$out/$name" "$BIN/$name"
}

get_collector() {
  build_collector otelcol-wundr "$BUILDER_CONFIG" "$BUILDER_VERSION"
  "$BIN/otelcol-wundr" validate --config "$REPO_ROOT/otel-collector/config.yaml" ||
    die "otelcol-wundr rejects otel-collector/config.yaml"
  log "otelcol-wundr: $("$BIN/otelcol-wundr" --version)"
}

# The scale-out distribution (load-balancing exporter, tail sampling): only
# the scale-out run needs it, so `all` leaves it out.
get_collector_contrib() {
  build_collector otelcol-wundr-contrib "$CONTRIB_BUILDER_CONFIG" "$CONTRIB_BUILDER_VERSION"
  local c="$REPO_ROOT/otel-collector"
  "$BIN/otelcol-wundr-contrib" validate --config "$c/gateway.yaml" ||
    die "otelcol-wundr-contrib rejects otel-collector/gateway.yaml"
  "$BIN/otelcol-wundr-contrib" validate --config "$c/config.yaml" --config "$c/agent-loadbalancing.yaml" ||
    die "otelcol-wundr-contrib rejects otel-collector/config.yaml + agent-loadbalancing.yaml"
  log "otelcol-wundr-contrib: $("$BIN/otelcol-wundr-contrib" --version)"
}

# ---- (c) Jaeger v2 ------------------------------------------------------------------
get_jaeger() {
  go_env_ok
  local key
  key=$(echo "$JAEGER_MODULE_VERSION ${JAEGER_REPLACES[*]} $GOVERSION_STR" | sha256)
  local out="$TOOLS/jaeger/$JAEGER_RELEASE-$key"
  if [ -x "$out/jaeger" ]; then
    log "jaeger up to date ($JAEGER_RELEASE)"
  else
    local mod="$TOOLS/jaeger/.wrapper-$key"
    rm -rf "$mod"
    mkdir -p "$mod"
    {
      echo "module wundr.local/jaeger-build"
      echo
      echo "go 1.26"
      echo
      echo "require github.com/jaegertracing/jaeger $JAEGER_MODULE_VERSION"
      local r
      for r in "${JAEGER_REPLACES[@]}"; do echo "replace $r"; done
    } >"$mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/jaegertracing/jaeger/cmd/jaeger"\n' >"$mod/tools.go"
    log "resolving github.com/jaegertracing/jaeger@$JAEGER_MODULE_VERSION (= Jaeger $JAEGER_RELEASE)"
    (cd "$mod" && "$GO" mod tidy) >"$mod/build.log" 2>&1 || {
      tail -n 30 "$mod/build.log" >&2
      die "could not resolve Jaeger's modules; log: $mod/build.log"
    }
    log "building jaeger (takes ~10 min on 2 cores; log: $mod/build.log)"
    local t0=$SECONDS
    (cd "$mod" && "$GO" build -trimpath \
      -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_RELEASE" \
      -o "$mod/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) >>"$mod/build.log" 2>&1 || {
      tail -n 30 "$mod/build.log" >&2
      die "jaeger build failed; log: $mod/build.log"
    }
    log "jaeger built in $((SECONDS - t0))s"
    mkdir -p "$out"
    mv "$mod/jaeger" "$out/jaeger"
    rm -rf "$mod"
  fi
  ln -sf "$out/jaeger" "$BIN/jaeger"
  "$BIN/jaeger" version >/dev/null 2>&1 || die "$BIN/jaeger does not run"
  log "jaeger:       $JAEGER_RELEASE (module $JAEGER_MODULE_VERSION)"
}

# ---- main ---------------------------------------------------------------------------
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    all) get_prometheus; get_collector; get_jaeger ;;
    prometheus) get_prometheus ;;
    collector) get_collector ;;
    collector-contrib) get_collector_contrib ;;
    jaeger) get_jaeger ;;
    *) die "unknown target '$t' (all|prometheus|collector|collector-contrib|jaeger)" ;;
  esac
done

log "tools in $BIN:"
for b in prometheus promtool alertmanager amtool otelcol-wundr otelcol-wundr-contrib jaeger; do
  if [ -e "$BIN/$b" ]; then printf '  %-14s %s\n' "$b" "$(readlink -f "$BIN/$b")"; fi
done
echo "$BIN"
