/**
 * The Grafana 10+ dashboard of docs/METRICS.md, built with the typed builder
 * (@grafana/grafana-foundation-sdk) from the metric catalogue: every metric
 * name goes through `metric()`, which throws for a name the catalogue does
 * not define, so a renamed metric cannot leave a dead panel. Panel threshold
 * lines come from the default alert rules, so the dashboard shows the line
 * the alert fires at. Pure and deterministic: the committed
 * deploy/grafana/dashboards/wundr.json is this function's output.
 */
import { DashboardBuilder, DashboardCursorSync, DatasourceVariableBuilder, RowBuilder, ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as HeatmapPanelBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { getMetricDef } from '../metrics/catalogue.ts';
import { defaultAlertRules } from '../alerting/defaultRules.ts';
import type { AlertRule } from '../alerting/types.ts';

export const DASHBOARD_UID = 'wundr-otel';
const DS = { type: 'prometheus', uid: '${datasource}' };
const W = '5m';
const PANEL_H = 8;

/** A catalogue family name; throws for anything the catalogue does not define. */
export function metric(name: string): string {
  const d = getMetricDef(name);
  if (!d || d.name !== name) throw new Error(`@wundr/otel dashboard: ${name} is not a metric family of the catalogue`);
  return d.name;
}

const sumBy = (by: string[], inner: string): string => (by.length ? `sum by (${by.join(', ')}) (${inner})` : `sum(${inner})`);
const rate = (name: string, by: string[] = []): string => sumBy(by, `rate(${metric(name)}[${W}])`);
const quantile = (q: number, name: string, by: string[] = []): string =>
  `histogram_quantile(${q}, ${sumBy(['le', ...by], `rate(${metric(name)}_bucket[${W}])`)})`;
const gauge = (name: string, by: string[] = []): string => sumBy(by, metric(name));

interface Query {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  kind?: 'timeseries' | 'heatmap';
  /** Draw the named default rule's threshold (value in the query's scale). */
  rule?: string;
  stack?: boolean;
}

interface Section {
  title: string;
  panels: PanelSpec[];
}

/** The eight sections of docs/METRICS.md, as data. */
export function dashboardSections(): Section[] {
  return [
    {
      title: 'Agent Overview',
      panels: [
        {
          title: 'Agents spawned / completed / failed',
          description: 'Per-second rates by session type.',
          unit: 'ops',
          queries: [
            { expr: rate('wundr_agent_spawned_total', ['session_type']), legend: 'spawned {{session_type}}' },
            { expr: rate('wundr_agent_completed_total', ['session_type']), legend: 'completed {{session_type}}' },
            { expr: rate('wundr_agent_failed_total', ['session_type']), legend: 'failed {{session_type}}' },
          ],
        },
        {
          title: 'Agents running',
          description: 'Currently running agents by session type.',
          unit: 'short',
          queries: [{ expr: gauge('wundr_agent_running', ['session_type']), legend: '{{session_type}}' }],
          stack: true,
        },
        {
          title: 'Agent failure ratio',
          description: 'Failed / spawned over 5m; the line is the HighAgentFailureRate alert threshold.',
          unit: 'percentunit',
          queries: [{ expr: `${rate('wundr_agent_failed_total')} / ${rate('wundr_agent_spawned_total')}`, legend: 'failure ratio' }],
          rule: 'HighAgentFailureRate',
        },
        {
          title: 'Agent duration p50 / p95',
          description: 'Agent session duration by session type.',
          unit: 's',
          queries: [0.5, 0.95].map((q) => ({ expr: quantile(q, 'wundr_agent_duration_seconds', ['session_type']), legend: `p${q * 100} {{session_type}}` })),
        },
      ],
    },
    {
      title: 'Session Performance',
      panels: [
        {
          title: 'Session duration percentiles',
          description: 'p50 / p95 / p99 of session execution time; the line is the SessionDurationHigh threshold.',
          unit: 's',
          queries: [0.5, 0.95, 0.99].map((q) => ({ expr: quantile(q, 'wundr_session_duration_seconds'), legend: `p${q * 100}` })),
          rule: 'SessionDurationHigh',
        },
        {
          title: 'Token usage',
          description: 'Prompt and completion tokens per second, by model.',
          unit: 'short',
          queries: [
            { expr: rate('wundr_session_tokens_prompt_total', ['model']), legend: 'prompt {{model}}' },
            { expr: rate('wundr_session_tokens_completion_total', ['model']), legend: 'completion {{model}}' },
          ],
        },
        {
          title: 'Session cost by model and provider',
          description: 'USD per hour (rate over 5m × 3600).',
          unit: 'currencyUSD',
          queries: [{ expr: `${rate('wundr_session_cost_dollars_total', ['provider', 'model'])} * 3600`, legend: '{{provider}}/{{model}}' }],
          stack: true,
        },
        {
          title: 'Active sessions and loop iterations',
          description: 'orchestrator_sessions_active by session type, and conversation-loop iterations per second.',
          unit: 'short',
          queries: [
            { expr: gauge('orchestrator_sessions_active', ['session_type']), legend: 'active {{session_type}}' },
            { expr: rate('wundr_session_iterations_total'), legend: 'iterations/s' },
            { expr: quantile(0.95, 'orchestrator_message_latency_seconds'), legend: 'message latency p95 (s)' },
          ],
        },
      ],
    },
    {
      title: 'Memory System',
      panels: [
        {
          title: 'Entries by tier',
          description: 'Entries held in each memory tier.',
          unit: 'short',
          queries: [{ expr: gauge('wundr_memory_entries_total', ['tier']), legend: '{{tier}}' }],
          stack: true,
        },
        {
          title: 'Search latency p95 by tier',
          description: 'Memory search latency.',
          unit: 's',
          queries: [{ expr: quantile(0.95, 'wundr_memory_search_latency_seconds', ['tier']), legend: '{{tier}}' }],
        },
        {
          title: 'Cache hit ratio by tier',
          description: 'hits / (hits + misses) over 5m.',
          unit: 'percentunit',
          queries: [
            {
              expr: `${rate('wundr_memory_cache_hits_total', ['tier'])} / (${rate('wundr_memory_cache_hits_total', ['tier'])} + ${rate('wundr_memory_cache_misses_total', ['tier'])})`,
              legend: '{{tier}}',
            },
          ],
        },
        {
          title: 'Memory bytes, searches and compactions',
          description: 'Bytes per tier (left) with search and compaction rates.',
          unit: 'bytes',
          queries: [
            { expr: gauge('wundr_memory_bytes', ['tier']), legend: 'bytes {{tier}}' },
            { expr: rate('wundr_memory_searches_total', ['tier']), legend: 'searches/s {{tier}}' },
            { expr: rate('wundr_memory_compaction_total', ['tier', 'strategy']), legend: 'compactions/s {{tier}} {{strategy}}' },
          ],
        },
      ],
    },
    {
      title: 'Tool Execution',
      panels: [
        {
          title: 'Invocations by tool',
          description: 'Executions per second by tool and status.',
          unit: 'ops',
          queries: [{ expr: rate('wundr_tool_execution_total', ['tool_name', 'status']), legend: '{{tool_name}} {{status}}' }],
        },
        {
          title: 'Tool duration percentiles',
          description: 'p50 / p95 / p99 of tool execution time.',
          unit: 's',
          queries: [0.5, 0.95, 0.99].map((q) => ({ expr: quantile(q, 'wundr_tool_execution_duration_seconds'), legend: `p${q * 100}` })),
        },
        {
          title: 'Tool errors per minute',
          description: 'By tool; the line is the ToolFailureRate threshold (all tools together).',
          unit: 'short',
          queries: [{ expr: `${rate('wundr_tool_errors_total', ['tool_name'])} * 60`, legend: '{{tool_name}}' }],
          rule: 'ToolFailureRate',
          stack: true,
        },
        {
          title: 'Queues',
          description: 'Depth per queue (the line is the QueueBacklog threshold) and tool executions waiting.',
          unit: 'short',
          queries: [
            { expr: gauge('wundr_queue_depth', ['queue_name']), legend: '{{queue_name}}' },
            { expr: gauge('wundr_tool_queue_depth'), legend: 'tool queue' },
          ],
          rule: 'QueueBacklog',
        },
        {
          title: 'Queue throughput',
          description: 'Enqueued, dequeued and dropped items per second, and p95 processing time (right).',
          unit: 'ops',
          queries: [
            { expr: rate('wundr_queue_enqueued_total', ['queue_name']), legend: 'enqueued {{queue_name}}' },
            { expr: rate('wundr_queue_dequeued_total', ['queue_name']), legend: 'dequeued {{queue_name}}' },
            { expr: rate('wundr_queue_dropped_total', ['queue_name', 'reason']), legend: 'dropped {{queue_name}} {{reason}}' },
            { expr: quantile(0.95, 'wundr_queue_processing_duration_seconds', ['queue_name']), legend: 'p95 s {{queue_name}}' },
          ],
        },
      ],
    },
    {
      title: 'WebSocket Health',
      panels: [
        {
          title: 'Active connections and subscriptions',
          description: 'Open WebSocket connections and session subscriptions.',
          unit: 'short',
          queries: [
            { expr: gauge('wundr_ws_connections_active'), legend: 'connections' },
            { expr: gauge('wundr_ws_session_subscriptions'), legend: 'subscriptions' },
            { expr: rate('wundr_ws_connections_total', ['auth_method']), legend: 'new/s {{auth_method}}' },
          ],
        },
        {
          title: 'Message throughput',
          description: 'Messages per second by direction and type.',
          unit: 'ops',
          queries: [
            { expr: rate('wundr_ws_messages_received_total', ['message_type']), legend: 'in {{message_type}}' },
            { expr: rate('wundr_ws_messages_sent_total', ['message_type']), legend: 'out {{message_type}}' },
          ],
        },
        {
          title: 'WebSocket errors per minute',
          description: 'By error type; the line is the WebSocketErrorRate threshold.',
          unit: 'short',
          queries: [{ expr: `${rate('wundr_ws_errors_total', ['error_type'])} * 60`, legend: '{{error_type}}' }],
          rule: 'WebSocketErrorRate',
          stack: true,
        },
        {
          title: 'Message size p95',
          description: 'By direction.',
          unit: 'bytes',
          queries: [{ expr: quantile(0.95, 'wundr_ws_message_size_bytes', ['direction']), legend: '{{direction}}' }],
        },
      ],
    },
    {
      title: 'Model Routing',
      panels: [
        {
          title: 'Requests by provider / model',
          description: 'LLM requests per second, with errors and rate-limited requests.',
          unit: 'ops',
          queries: [
            { expr: rate('wundr_model_requests_total', ['provider', 'model']), legend: '{{provider}}/{{model}}' },
            { expr: rate('wundr_model_errors_total', ['provider', 'model', 'error_type']), legend: 'errors {{provider}}/{{model}} {{error_type}}' },
            { expr: rate('wundr_model_rate_limited_total', ['provider', 'model']), legend: 'rate limited {{provider}}/{{model}}' },
          ],
        },
        {
          title: 'LLM latency heatmap',
          description: 'Request duration distribution (buckets per 5m).',
          unit: 's',
          kind: 'heatmap',
          queries: [{ expr: `sum by (le) (rate(${metric('wundr_model_request_duration_seconds')}_bucket[${W}]))`, legend: '{{le}}' }],
        },
        {
          title: 'LLM latency p95',
          description: 'By provider and model; the line is the LLMLatencyHigh threshold.',
          unit: 's',
          queries: [{ expr: quantile(0.95, 'wundr_model_request_duration_seconds', ['provider', 'model']), legend: '{{provider}}/{{model}}' }],
          rule: 'LLMLatencyHigh',
        },
        {
          title: 'Cost accumulation',
          description: 'Cumulative LLM cost (USD) and tokens per second by type.',
          unit: 'currencyUSD',
          queries: [
            { expr: gauge('wundr_model_cost_dollars_total', ['provider', 'model']), legend: '{{provider}}/{{model}}' },
            { expr: rate('wundr_model_request_tokens_total', ['provider', 'token_type']), legend: 'tokens/s {{provider}} {{token_type}}' },
          ],
        },
      ],
    },
    {
      title: 'System Resources',
      panels: [
        {
          title: 'Process memory',
          description: 'Heap (against its limit: MemoryPressure fires above 80% of it), RSS and external memory.',
          unit: 'bytes',
          queries: [
            { expr: gauge('wundr_process_memory_heap_bytes'), legend: 'heap' },
            { expr: gauge('wundr_process_memory_heap_limit_bytes'), legend: 'heap limit' },
            { expr: gauge('wundr_process_memory_rss_bytes'), legend: 'rss' },
            { expr: gauge('wundr_process_memory_external_bytes'), legend: 'external' },
          ],
        },
        {
          title: 'CPU',
          description: 'CPU seconds per second (1 = one core).',
          unit: 'percentunit',
          queries: [
            { expr: rate('wundr_process_cpu_user_seconds_total'), legend: 'user' },
            { expr: rate('wundr_process_cpu_system_seconds_total'), legend: 'system' },
          ],
          stack: true,
        },
        {
          title: 'File descriptors',
          description: 'Open and maximum file descriptors (Linux).',
          unit: 'short',
          queries: [
            { expr: gauge('wundr_process_open_fds'), legend: 'open' },
            { expr: gauge('wundr_process_max_fds'), legend: 'max' },
          ],
        },
        {
          title: 'Event loop lag',
          description: 'p50 / p99 event-loop delay.',
          unit: 's',
          queries: [0.5, 0.99].map((q) => ({ expr: quantile(q, 'wundr_process_event_loop_lag_seconds'), legend: `p${q * 100}` })),
        },
        {
          title: 'Uptime',
          description: 'Process uptime.',
          unit: 's',
          queries: [{ expr: gauge('wundr_process_uptime_seconds'), legend: 'uptime' }],
        },
      ],
    },
    {
      title: 'Budget Tracking',
      panels: [
        {
          title: 'Budget utilization by period',
          description: 'Per orchestrator and period; the line is the BudgetExhaustion alert threshold.',
          unit: 'percent',
          queries: [{ expr: `max by (orchestrator_id, period) (${metric('orchestrator_budget_utilization_percent')})`, legend: '{{orchestrator_id}} {{period}}' }],
          rule: 'BudgetExhaustion',
        },
        {
          title: 'Tokens used (orchestrator_)',
          description: 'Tokens per second by model, from the legacy counter.',
          unit: 'short',
          queries: [{ expr: rate('orchestrator_tokens_used_total', ['model']), legend: '{{model}}' }],
        },
        {
          title: 'Session spend rate',
          description: 'USD per hour across all models.',
          unit: 'currencyUSD',
          queries: [{ expr: `${rate('wundr_session_cost_dollars_total')} * 3600`, legend: 'USD/h' }],
        },
        {
          title: 'Alerts firing',
          description: 'Rules firing in the in-process evaluator (the same rules Prometheus evaluates from the exported file).',
          unit: 'short',
          queries: [{ expr: `max by (alertname, severity) (${metric('wundr_alerts_firing')})`, legend: '{{alertname}} ({{severity}})' }],
          stack: true,
        },
        {
          title: 'Orchestrator errors, tool invocations and delegations',
          description: 'The legacy orchestrator_ counters, per second.',
          unit: 'ops',
          queries: [
            { expr: rate('orchestrator_errors_total', ['error_type']), legend: 'errors {{error_type}}' },
            { expr: rate('orchestrator_tool_invocations_total', ['status']), legend: 'tool invocations {{status}}' },
            { expr: rate('orchestrator_federation_delegations_total', ['status']), legend: 'delegations {{status}}' },
            { expr: gauge('orchestrator_node_load', ['node_id']), legend: 'node load {{node_id}}' },
          ],
        },
      ],
    },
  ];
}

function thresholds(rule: AlertRule | undefined): ThresholdsConfigBuilder {
  const steps: { value: number | null; color: string }[] = [{ value: null, color: 'green' }];
  if (rule) steps.push({ value: rule.threshold, color: rule.severity === 'critical' ? 'red' : 'orange' });
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps as never);
}

interface Place {
  id: number;
  x: number;
  y: number;
  w: number;
}

function panel(spec: PanelSpec, rules: Map<string, AlertRule>, at: Place): TimeseriesPanelBuilder | HeatmapPanelBuilder {
  const gridPos = { x: at.x, y: at.y, w: at.w, h: PANEL_H };
  const targets = spec.queries.map((q, i) =>
    new DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .refId(String.fromCharCode(65 + i))
      .datasource(DS)
      .format(spec.kind === 'heatmap' ? PromQueryFormat.Heatmap : PromQueryFormat.TimeSeries),
  );
  if (spec.kind === 'heatmap') {
    return new HeatmapPanelBuilder().id(at.id).title(spec.title).description(spec.description).datasource(DS).unit(spec.unit).calculate(false).targets(targets).gridPos(gridPos);
  }
  let rule: AlertRule | undefined;
  if (spec.rule) {
    rule = rules.get(spec.rule);
    if (!rule) throw new Error(`@wundr/otel dashboard: panel "${spec.title}" names unknown rule ${spec.rule}`);
  }
  const p = new TimeseriesPanelBuilder()
    .id(at.id)
    .title(spec.title)
    .description(spec.description)
    .datasource(DS)
    .unit(spec.unit)
    .targets(targets)
    .gridPos(gridPos)
    .lineWidth(1)
    .fillOpacity(spec.stack ? 20 : 5)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
    .thresholds(thresholds(rule))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(rule ? GraphThresholdsStyleMode.Dashed : GraphThresholdsStyleMode.Off));
  return p;
}

/**
 * The dashboard model (Grafana 10+ JSON).
 *
 * @example
 * writeFileSync('wundr.json', JSON.stringify(buildWundrDashboard(), null, 2));
 */
export function buildWundrDashboard(): Dashboard {
  const rules = new Map(defaultAlertRules().map((r) => [r.name, r]));
  const b = new DashboardBuilder('wundr orchestrator')
    .uid(DASHBOARD_UID)
    .description('The daemon at a glance: agents, sessions, memory, tools, WebSocket, model routing, system resources and budget of the wundr orchestrator daemon. Generated by @wundr/otel (wundr-otel dashboard) from its metric catalogue.')
    .tags(['wundr', 'orchestrator', 'opentelemetry'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
  // Explicit layout: the builder's automatic placement lets mixed widths overflow the 24-column grid.
  let id = 1;
  let y = 0;
  for (const section of dashboardSections()) {
    b.withRow(new RowBuilder(section.title).id(id++).gridPos({ x: 0, y, w: 24, h: 1 }));
    y += 1;
    const perLine = section.panels.length % 3 === 0 || section.panels.length === 5 ? 3 : 2;
    const w = 24 / perLine;
    section.panels.forEach((spec, i) => {
      const x = (i % perLine) * w;
      if (i > 0 && x === 0) y += PANEL_H;
      b.withPanel(panel(spec, rules, { id: id++, x, y, w }));
    });
    y += PANEL_H;
  }
  return b.build();
}

/** The committed file's text: the model as 2-space JSON with a final newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(buildWundrDashboard(), null, 2)}\n`;
}

/** Every PromQL expression of the dashboard, with its panel. */
export function dashboardExpressions(d: Dashboard = buildWundrDashboard()): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const p of d.panels ?? []) {
    const targets = (p as { targets?: { expr?: string }[] }).targets ?? [];
    for (const t of targets) if (t.expr) out.push({ panel: (p as { title?: string }).title ?? '', expr: t.expr });
  }
  return out;
}
