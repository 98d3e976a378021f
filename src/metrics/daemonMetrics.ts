/**
 * The eight `orchestrator_*` metrics of docs/METRICS.md, on prom-client's global
 * default registry as in the old code, with its public API unchanged
 * (`daemonMetrics`, `MetricsRegistry`, `metricsRegistry`, the legacy
 * `record*` helpers and the label types). Names, help texts, labels and
 * buckets come from the catalogue. The PromClientBridge serves them on
 * /metrics through the OTel Prometheus exporter.
 *
 * The metrics are created on first use, not at import: importing the
 * package registers nothing.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CATALOGUE } from './catalogue.ts';
import { GaugeFamily, runtime, type Labels } from './families/index.ts';

export interface SessionLabels {
  orchestrator_id: string;
  session_type: string;
  [key: string]: string | number;
}
export interface TokenLabels {
  orchestrator_id: string;
  model: string;
  [key: string]: string | number;
}
export interface LatencyLabels {
  orchestrator_id: string;
  [key: string]: string | number;
}
export interface ToolLabels {
  orchestrator_id: string;
  tool_name: string;
  status: 'success' | 'error' | 'timeout';
  [key: string]: string | number;
}
export interface FederationLabels {
  from_orchestrator: string;
  to_orchestrator: string;
  status: 'success' | 'error' | 'rejected';
  [key: string]: string | number;
}
export interface NodeLabels {
  node_id: string;
  [key: string]: string | number;
}
export interface ErrorLabels {
  orchestrator_id: string;
  error_type: string;
  [key: string]: string | number;
}
export interface BudgetLabels {
  orchestrator_id: string;
  period: 'daily' | 'weekly' | 'monthly';
  [key: string]: string | number;
}

/** The old `DaemonMetrics` (types.ts): the eight prom-client metrics. */
export interface DaemonMetrics {
  sessionsActive: Gauge<string>;
  tokensUsed: Counter<string>;
  messageLatency: Histogram<string>;
  toolInvocations: Counter<string>;
  federationDelegations: Counter<string>;
  nodeLoad: Gauge<string>;
  errorCount: Counter<string>;
  budgetUtilization: Gauge<string>;
}

/** The old `IMetricsRegistry`. */
export interface IMetricsRegistry {
  register(): void;
  collect(): Promise<string>;
  reset(): void;
  getMetric(name: keyof DaemonMetrics): Counter<string> | Gauge<string> | Histogram<string> | undefined;
  getRegistry(): Registry;
}

/** The old `MetricConfig` (declared by the old code, used by nothing; kept for type compatibility). */
export interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  buckets?: number[];
}

type Series<L> = { labels: L; value: number }[];

/** The old `CollectedMetrics` (declared by the old code, used by nothing; kept for type compatibility). */
export interface CollectedMetrics {
  timestamp: number;
  metrics: {
    sessionsActive: Series<SessionLabels>;
    tokensUsed: Series<TokenLabels>;
    messageLatency: { labels: LatencyLabels; buckets: Record<string, number>; count: number; sum: number }[];
    toolInvocations: Series<ToolLabels>;
    federationDelegations: Series<FederationLabels>;
    nodeLoad: Series<NodeLabels>;
    errorCount: Series<ErrorLabels>;
    budgetUtilization: Series<BudgetLabels>;
  };
}

function promClient(): typeof import('prom-client') {
  return require('prom-client') as typeof import('prom-client');
}

let created: DaemonMetrics | undefined;

function createDaemonMetrics(): DaemonMetrics {
  const pc = promClient();
  const out: Record<string, unknown> = {};
  for (const d of CATALOGUE) {
    if (d.via !== 'prom-client') continue;
    // Created once per process on the default registry; a second copy of the
    // package (or a cleared registry) reuses what is registered.
    const existing = pc.register.getSingleMetric(d.name);
    if (existing) {
      out[d.field] = existing;
      continue;
    }
    const cfg = { name: d.name, help: d.help, labelNames: [...d.labels] };
    out[d.field] =
      d.kind === 'counter'
        ? new pc.Counter(cfg)
        : d.kind === 'gauge'
          ? new pc.Gauge(cfg)
          : new pc.Histogram({ ...cfg, buckets: [...(d.buckets ?? [])] });
  }
  return out as unknown as DaemonMetrics;
}

function daemon(): DaemonMetrics {
  return (created ??= createDaemonMetrics());
}

/**
 * The eight orchestrator_* prom-client metrics (created on first access).
 *
 * @example
 * daemonMetrics.tokensUsed.inc({ orchestrator_id: 'o1', model: 'claude' }, 1200);
 */
export const daemonMetrics: DaemonMetrics = Object.defineProperties({} as DaemonMetrics, Object.fromEntries(
  CATALOGUE.filter((d) => d.via === 'prom-client').map((d) => [
    d.field,
    { enumerable: true, get: () => daemon()[d.field as keyof DaemonMetrics] },
  ]),
));

/**
 * The old registry wrapper. As before, the metrics live on prom-client's
 * default registry whatever registry is passed; `collect()` returns that
 * registry's text (the wundr_ metrics are served by the OTel exporter on
 * /metrics, not here).
 */
export class MetricsRegistry implements IMetricsRegistry {
  private readonly registry: Registry;
  private registered = false;

  constructor(registry?: Registry) {
    this.registry = registry ?? promClient().register;
  }

  /** Marks the registry registered (the metrics register themselves on creation). */
  register(): void {
    if (this.registered) return;
    daemon();
    this.registered = true;
  }

  collect(): Promise<string> {
    daemon();
    return this.registry.metrics();
  }

  reset(): void {
    this.registry.resetMetrics();
  }

  getMetric(name: keyof DaemonMetrics): Counter<string> | Gauge<string> | Histogram<string> | undefined {
    return daemon()[name];
  }

  getRegistry(): Registry {
    return this.registry;
  }

  /** Unregisters everything from the registry (as before: permanent for the old metric objects). */
  clear(): void {
    this.registry.clear();
    this.registered = false;
  }

  /** Whether register() was called. */
  isRegistered(): boolean {
    return this.registered;
  }
}

let defaultRegistry: MetricsRegistry | undefined;

/** The default MetricsRegistry (created on first access). */
export const metricsRegistry: MetricsRegistry = new Proxy({} as MetricsRegistry, {
  get(_t, prop) {
    defaultRegistry ??= new MetricsRegistry();
    const v = (defaultRegistry as unknown as Record<PropertyKey, unknown>)[prop];
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(defaultRegistry) : v;
  },
  getPrototypeOf() {
    return MetricsRegistry.prototype;
  },
});

// --- legacy helpers (unchanged signatures) ------------------------------------
// The helpers pass label values through the same cardinality guard as the
// wundr_ metrics (docs/RELIABILITY.md; direct `daemonMetrics.x.inc()` calls do not.

const guards = new Map<string, GaugeFamily>();
function guarded(field: string, labels: Labels): Labels {
  let g = guards.get(field);
  if (!g) {
    const d = CATALOGUE.find((x) => x.via === 'prom-client' && x.field === field)!;
    g = new GaugeFamily(d);
    guards.set(field, g);
  }
  return g.cell(labels).attributes as Labels;
}

export const recordSessionActive = (labels: SessionLabels, value: number): void => {
  if (!runtime.enabled) return;
  daemon().sessionsActive.set(guarded('sessionsActive', labels) as never, value);
};
export const recordTokensUsed = (labels: TokenLabels, value: number): void => {
  if (!runtime.enabled) return;
  daemon().tokensUsed.inc(guarded('tokensUsed', labels) as never, value);
};
/** Observes seconds (the collector's `recordMessageLatency` takes ms). */
export const recordMessageLatency = (labels: LatencyLabels, value: number): void => {
  if (!runtime.enabled) return;
  daemon().messageLatency.observe(guarded('messageLatency', labels) as never, value);
};
export const recordToolInvocation = (labels: ToolLabels): void => {
  if (!runtime.enabled) return;
  daemon().toolInvocations.inc(guarded('toolInvocations', labels) as never, 1);
};
export const recordFederationDelegation = (labels: FederationLabels): void => {
  if (!runtime.enabled) return;
  daemon().federationDelegations.inc(guarded('federationDelegations', labels) as never, 1);
};
export const recordNodeLoad = (labels: NodeLabels, value: number): void => {
  if (!runtime.enabled) return;
  daemon().nodeLoad.set(guarded('nodeLoad', labels) as never, value);
};
export const recordError = (labels: ErrorLabels): void => {
  if (!runtime.enabled) return;
  daemon().errorCount.inc(guarded('errorCount', labels) as never, 1);
};
export const recordBudgetUtilization = (labels: BudgetLabels, value: number): void => {
  if (!runtime.enabled) return;
  daemon().budgetUtilization.set(guarded('budgetUtilization', labels) as never, value);
};
