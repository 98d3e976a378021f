/**
 * The catalogue as data: names, translation to Prometheus names, help texts,
 * buckets, lookups, and the generated docs table (docs/METRICS.md must equal
 * what catalogueMarkdown() produces).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sm from '@opentelemetry/sdk-metrics';
import { BUCKETS, CATALOGUE, getMetricDef, labelCap, metricNames, seriesNames } from '../../src/metrics/catalogue.ts';
import { BEGIN_MARKER, END_MARKER, catalogueMarkdown, replaceGenerated } from '../../src/metrics/catalogueMarkdown.ts';
import * as C from '../../src/metrics/otelConstants.ts';
import * as wm from '../../src/metrics/wundrMetrics.ts';
import { daemonMetrics } from '../../src/metrics/daemonMetrics.ts';

const ROOT = join(__dirname, '..', '..', '..');

// Seed §3.1 and §2.1, as written there: name, type, labels.
const SEED = `
wundr_agent_spawned_total Counter orchestrator_id,session_type
wundr_agent_running Gauge orchestrator_id,session_type
wundr_agent_completed_total Counter orchestrator_id,session_type,exit_reason
wundr_agent_failed_total Counter orchestrator_id,session_type,error_type
wundr_agent_duration_seconds Histogram orchestrator_id,session_type
wundr_session_duration_seconds Histogram orchestrator_id,session_type
wundr_session_tokens_prompt_total Counter orchestrator_id,model
wundr_session_tokens_completion_total Counter orchestrator_id,model
wundr_session_cost_dollars_total Counter orchestrator_id,model,provider
wundr_session_iterations_total Counter orchestrator_id
wundr_memory_entries_total Gauge tier,orchestrator_id
wundr_memory_searches_total Counter tier,orchestrator_id
wundr_memory_search_latency_seconds Histogram tier
wundr_memory_cache_hits_total Counter tier
wundr_memory_cache_misses_total Counter tier
wundr_memory_compaction_total Counter tier,strategy
wundr_memory_bytes Gauge tier
wundr_tool_execution_duration_seconds Histogram tool_name,status
wundr_tool_execution_total Counter tool_name,status
wundr_tool_errors_total Counter tool_name,error_type
wundr_tool_queue_depth Gauge -
wundr_ws_connections_active Gauge -
wundr_ws_connections_total Counter auth_method
wundr_ws_messages_received_total Counter message_type
wundr_ws_messages_sent_total Counter message_type
wundr_ws_message_size_bytes Histogram direction
wundr_ws_errors_total Counter error_type
wundr_ws_session_subscriptions Gauge -
wundr_model_requests_total Counter provider,model
wundr_model_request_duration_seconds Histogram provider,model
wundr_model_request_tokens_total Counter provider,model,token_type
wundr_model_cost_dollars_total Counter provider,model
wundr_model_errors_total Counter provider,model,error_type
wundr_model_rate_limited_total Counter provider,model
wundr_queue_depth Gauge queue_name
wundr_queue_processing_duration_seconds Histogram queue_name
wundr_queue_enqueued_total Counter queue_name
wundr_queue_dequeued_total Counter queue_name
wundr_queue_dropped_total Counter queue_name,reason
wundr_process_memory_heap_bytes Gauge -
wundr_process_memory_rss_bytes Gauge -
wundr_process_memory_external_bytes Gauge -
wundr_process_cpu_user_seconds_total Counter -
wundr_process_cpu_system_seconds_total Counter -
wundr_process_open_fds Gauge -
wundr_process_max_fds Gauge -
wundr_process_event_loop_lag_seconds Histogram -
wundr_process_uptime_seconds Gauge -
orchestrator_sessions_active Gauge orchestrator_id,session_type
orchestrator_tokens_used_total Counter orchestrator_id,model
orchestrator_message_latency_seconds Histogram orchestrator_id
orchestrator_tool_invocations_total Counter orchestrator_id,tool_name,status
orchestrator_federation_delegations_total Counter from_orchestrator,to_orchestrator,status
orchestrator_node_load Gauge node_id
orchestrator_errors_total Counter orchestrator_id,error_type
orchestrator_budget_utilization_percent Gauge orchestrator_id,period
`
  .trim()
  .split('\n')
  .map((l) => l.split(' '));

test('every seed §3.1 and §2.1 metric is in the catalogue with its type and labels', () => {
  assert.equal(SEED.length, 56);
  for (const [name, type, labels] of SEED) {
    const d = getMetricDef(name);
    assert.ok(d, `${name} missing`);
    assert.equal(d.kind, type.toLowerCase(), name);
    assert.deepEqual([...d.labels], labels === '-' ? [] : labels.split(','), name);
  }
  assert.equal(metricNames({ source: 'seed' }).length, 48);
  assert.equal(metricNames({ source: 'legacy' }).length, 8);
  assert.equal(metricNames({ source: 'later' }).length, 12);
});

test('names are unique, valid, and the exporter translation of otelName gives the served name', () => {
  const seen = new Set<string>();
  for (const d of CATALOGUE) {
    assert.match(d.name, /^[a-z_][a-z0-9_]*$/);
    assert.ok(!seen.has(d.name), `duplicate ${d.name}`);
    seen.add(d.name);
    // exporter-prometheus: sanitize, then append _total to monotonic sums lacking it.
    let served = d.otelName.replace(/[^a-z0-9_]/gi, '_');
    if (d.kind === 'counter' && !served.endsWith('_total')) served += '_total';
    assert.equal(served, d.name, d.name);
    if (d.kind === 'counter') assert.ok(d.name.endsWith('_total'), `${d.name}: counters end in _total`);
    assert.ok(d.help.length > 0);
  }
});

test('histogram buckets are sorted, and the old bucket sets are used where the old code used them', () => {
  for (const d of CATALOGUE) {
    if (d.kind !== 'histogram') {
      assert.equal(d.buckets, undefined, d.name);
      continue;
    }
    assert.ok(d.buckets && d.buckets.length > 0, d.name);
    for (let i = 1; i < d.buckets.length; i++) assert.ok(d.buckets[i] > d.buckets[i - 1], d.name);
  }
  assert.deepEqual(getMetricDef('wundr_model_request_duration_seconds')!.buckets, BUCKETS.B7);
  assert.deepEqual(getMetricDef('wundr_memory_search_latency_seconds')!.buckets, BUCKETS.B4);
  assert.deepEqual(getMetricDef('orchestrator_message_latency_seconds')!.buckets, BUCKETS.B1);
  assert.deepEqual(getMetricDef('wundr_ws_message_size_bytes')!.buckets, BUCKETS.B6);
});

test('old help texts verbatim (spot checks from the reference)', () => {
  assert.equal(getMetricDef('wundr_process_memory_external_bytes')!.help, 'Process external memory in bytes (C++ objects bound to JS)');
  assert.equal(getMetricDef('wundr_ws_session_subscriptions')!.help, 'Number of active session subscriptions across WebSocket clients');
  assert.equal(getMetricDef('orchestrator_budget_utilization_percent')!.help, 'Budget utilization percentage by period');
  assert.equal(getMetricDef('wundr_plugin_load_duration_seconds')!.help, 'Plugin load/initialization duration in seconds');
});

test('lookups: by name, by OTel name, by series name; seriesNames; caps', () => {
  assert.equal(getMetricDef('wundr_agent_spawned')!.name, 'wundr_agent_spawned_total');
  assert.equal(getMetricDef('wundr_agent_duration_seconds_bucket')!.name, 'wundr_agent_duration_seconds');
  assert.equal(getMetricDef('wundr_agent_running_count'), undefined);
  assert.equal(getMetricDef('nope'), undefined);
  assert.deepEqual(seriesNames(getMetricDef('wundr_queue_processing_duration_seconds')!), [
    'wundr_queue_processing_duration_seconds_bucket',
    'wundr_queue_processing_duration_seconds_sum',
    'wundr_queue_processing_duration_seconds_count',
  ]);
  assert.equal(labelCap(getMetricDef('wundr_tool_execution_total')!, 'status'), 3);
  assert.equal(labelCap(getMetricDef('wundr_tool_execution_total')!, 'tool_name'), 200);
  assert.deepEqual(metricNames({ area: 'agent' }), [
    'wundr_agent_spawned_total',
    'wundr_agent_running',
    'wundr_agent_completed_total',
    'wundr_agent_failed_total',
    'wundr_agent_duration_seconds',
  ]);
});

test('every catalogue entry has its field in the typed API, and every field is in the catalogue', () => {
  const areas: Record<string, object> = {
    agent: wm.agentMetrics,
    session: wm.sessionMetrics,
    memory: wm.memoryMetrics,
    tool: wm.toolMetrics,
    ws: wm.wsMetrics,
    model: wm.modelMetrics,
    queue: wm.queueMetrics,
    system: wm.systemMetrics,
    channel: wm.channelMetrics,
    plugin: wm.pluginMetrics,
    requestSummary: wm.requestSummaryMetrics,
    orchestrator: daemonMetrics,
  };
  for (const d of CATALOGUE) {
    // The package's own and the semantic conventions' metrics have no typed-API field.
    if (d.source === 'self' || d.source === 'semconv') continue;
    const obj = areas[d.area] as Record<string, { def?: { name: string }; name?: string }>;
    assert.ok(obj, `${d.area} area object`);
    assert.ok(d.field in obj, `${d.area}.${d.field} for ${d.name}`);
    if (d.via !== 'prom-client') assert.equal(obj[d.field].def!.name, d.name);
  }
  for (const [area, obj] of Object.entries(areas)) {
    for (const field of Object.keys(obj)) {
      assert.ok(CATALOGUE.some((d) => d.area === area && d.field === field), `${area}.${field} not in the catalogue`);
    }
  }
});

test('the sdk-metrics enum constants match the package', () => {
  assert.equal(C.CUMULATIVE, sm.AggregationTemporality.CUMULATIVE);
  assert.equal(C.SUM, sm.DataPointType.SUM);
  assert.equal(C.GAUGE, sm.DataPointType.GAUGE);
  assert.equal(C.HISTOGRAM, sm.DataPointType.HISTOGRAM);
  assert.equal(C.EXPLICIT_BUCKET_HISTOGRAM, sm.AggregationType.EXPLICIT_BUCKET_HISTOGRAM);
  assert.equal(C.GAUGE_INSTRUMENT, sm.InstrumentType.GAUGE);
});

test('docs/METRICS.md holds exactly the generated table', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'METRICS.md'), 'utf8');
  assert.ok(doc.includes(BEGIN_MARKER) && doc.includes(END_MARKER));
  assert.equal(doc, replaceGenerated(doc), 'docs/METRICS.md is stale: regenerate it (see src/metrics/catalogueMarkdown.ts)');
  for (const d of CATALOGUE) assert.ok(catalogueMarkdown().includes(`| \`${d.name}\` |`), d.name);
});
