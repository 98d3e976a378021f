#!/usr/bin/env bash
# Smoke test of the bundled configs with the real programs, natively, on
# loopback only: starts Jaeger v2 (scripts/e2e/jaeger.yaml) and the collector
# (otel-collector/config.yaml), sends one span and one log record over
# OTLP/HTTP JSON to the collector, and checks that
#   - the span comes back from Jaeger's query API v3 (search and by id),
#   - the log record appears in the collector's debug output.
# Also checks deploy/prometheus/prometheus.yml with promtool and
# deploy/alertmanager/alertmanager.yml with amtool when they are installed.
#
# Usage: scripts/e2e/smoke.sh        (runs get-tools.sh first; set
#        WUNDR_TOOLS_DIR to reuse a tools cache)
# Ports (all on 127.0.0.1) can be moved with SMOKE_PORT_BASE (default 20000):
#   collector OTLP gRPC/HTTP base+17/base+18, health base+33, metrics base+88;
#   Jaeger OTLP gRPC/HTTP base+1017/base+1018, query HTTP/gRPC base+1686/
#   base+1685, health base+1133, metrics base+1888.
# Prints "N passed, N failed" last; exit status 0 only when all passed.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
BIN=$("$SCRIPT_DIR/get-tools.sh" collector jaeger | tail -n1)
BASE=${SMOKE_PORT_BASE:-20000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wundr-smoke.XXXXXX")
PIDS=()
passed=0
failed=0

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$failed" = 0 ] && [ -z "${SMOKE_KEEP:-}" ]; then rm -rf "$WORK"; else echo "logs kept in $WORK" >&2; fi
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# wait_for URL SECONDS: until the URL answers 200 (bounded)
wait_for() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

H=127.0.0.1
export JAEGER_HOST=$H
export JAEGER_OTLP_GRPC_PORT=$((BASE + 1017)) JAEGER_OTLP_HTTP_PORT=$((BASE + 1018))
export JAEGER_QUERY_HTTP_PORT=$((BASE + 1686)) JAEGER_QUERY_GRPC_PORT=$((BASE + 1685))
export JAEGER_HEALTH_PORT=$((BASE + 1133)) JAEGER_TELEMETRY_PORT=$((BASE + 1888))
"$BIN/jaeger" --config "$SCRIPT_DIR/jaeger.yaml" >"$WORK/jaeger.log" 2>&1 &
PIDS+=($!)

OTELCOL_OTLP_GRPC_ENDPOINT=$H:$((BASE + 17)) \
OTELCOL_OTLP_HTTP_ENDPOINT=$H:$((BASE + 18)) \
OTELCOL_HEALTH_ENDPOINT=$H:$((BASE + 33)) \
OTELCOL_TELEMETRY_HOST=$H OTELCOL_TELEMETRY_PORT=$((BASE + 88)) \
JAEGER_OTLP_ENDPOINT=$H:$JAEGER_OTLP_GRPC_PORT \
OTELCOL_DEBUG_VERBOSITY=detailed \
  "$BIN/otelcol-wundr" --config "$REPO_ROOT/otel-collector/config.yaml" >"$WORK/otelcol.log" 2>&1 &
PIDS+=($!)

JAEGER_Q=http://$H:$JAEGER_QUERY_HTTP_PORT
COL=http://$H:$((BASE + 18))
if wait_for "http://$H:$JAEGER_HEALTH_PORT/status" 30; then ok "jaeger healthy"; else bad "jaeger not healthy (see $WORK/jaeger.log)"; fi
if wait_for "http://$H:$((BASE + 33))/" 30; then ok "collector healthy"; else bad "collector not healthy (see $WORK/otelcol.log)"; fi

TRACE_ID=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
SPAN_ID=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
NOW=$(date +%s%N)
SERVICE=wundr-smoke-$$
span='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"'$SERVICE'"}}]},
 "scopeSpans":[{"scope":{"name":"smoke"},"spans":[{"traceId":"'$TRACE_ID'","spanId":"'$SPAN_ID'","name":"smoke-span",
 "kind":1,"startTimeUnixNano":"'$((NOW - 5000000))'","endTimeUnixNano":"'$NOW'"}]}]}]}'
logrec='{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"'$SERVICE'"}}]},
 "scopeLogs":[{"scope":{"name":"smoke"},"logRecords":[{"timeUnixNano":"'$NOW'","severityNumber":9,"severityText":"INFO",
 "body":{"stringValue":"smoke-log-record '$TRACE_ID'"},"traceId":"'$TRACE_ID'","spanId":"'$SPAN_ID'"}]}]}]}'

if curl -fsS -X POST -H 'Content-Type: application/json' --data "$span" "$COL/v1/traces" >/dev/null; then ok "span accepted by collector"; else bad "span refused by collector"; fi
if curl -fsS -X POST -H 'Content-Type: application/json' --data "$logrec" "$COL/v1/logs" >/dev/null; then ok "log record accepted by collector"; else bad "log record refused by collector"; fi

START=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d '+10 min' +%Y-%m-%dT%H:%M:%SZ)
found=0
for ((i = 0; i < 100; i++)); do
  if curl -fsS "$JAEGER_Q/api/v3/traces?query.service_name=$SERVICE&query.start_time_min=$START&query.start_time_max=$END&query.num_traces=20" 2>/dev/null |
    grep -q "\"traceId\":\"$TRACE_ID\""; then found=1; break; fi
  sleep 0.1
done
if [ "$found" = 1 ]; then ok "span found by Jaeger search (/api/v3/traces)"; else bad "span not found by Jaeger search"; fi
if curl -fsS "$JAEGER_Q/api/v3/traces/$TRACE_ID" 2>/dev/null | grep -q '"name":"smoke-span"'; then ok "span found by id (/api/v3/traces/{id})"; else bad "span not found by id"; fi

found=0
for ((i = 0; i < 50; i++)); do
  if grep -qF "Body: Str(smoke-log-record $TRACE_ID)" "$WORK/otelcol.log"; then found=1; break; fi
  sleep 0.1
done
if [ "$found" = 1 ]; then ok "log record in collector debug output"; else bad "log record not in collector output"; fi

if command -v promtool >/dev/null 2>&1; then
  if promtool check config "$REPO_ROOT/deploy/prometheus/prometheus.yml" >"$WORK/promtool.log" 2>&1; then ok "promtool check config"; else bad "promtool check config (see $WORK/promtool.log)"; fi
fi
if command -v amtool >/dev/null 2>&1; then
  if amtool check-config "$REPO_ROOT/deploy/alertmanager/alertmanager.yml" >"$WORK/amtool.log" 2>&1; then ok "amtool check-config"; else bad "amtool check-config (see $WORK/amtool.log)"; fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
