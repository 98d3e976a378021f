import { diag } from '@opentelemetry/api';
import type { Feature } from '../feature.ts';
import type { Env } from '../config.ts';
import { metricSourceFor, type MetricSource } from '../metrics/MetricSnapshot.ts';
import { RedactingSpanProcessor } from '../sdk/RedactingSpanProcessor.ts';
import { loadEmbeddedConfig, type EmbeddedConfig } from './config.ts';
import { MetricRetentionStore } from './MetricRetentionStore.ts';
import { TraceRing } from './TraceRing.ts';
import { legacySpan, type LegacySpan } from './traceViews.ts';
import { dashboardRoute, pageRoutes, traceRoute, tracesRoute } from './routes.ts';

let ring: TraceRing | undefined;
let store: MetricRetentionStore | undefined;
const peers = new Set<string>();

/** The recent-trace ring of the running SDK (undefined when the embedded view is off). */
export function getTraceRing(): TraceRing | undefined {
  return ring;
}

/** The retention store fed from the SDK's metric collection (undefined when off). */
export function getRetentionStore(): MetricRetentionStore | undefined {
  return store;
}

/**
 * The finished spans of one trace kept in the recent-trace ring, in the old
 * in-house tracer's shape (`getTraceSpans` of monitoring/tracing.ts).
 */
export function getTraceSpans(traceId: string): LegacySpan[] {
  return ring?.get(traceId)?.spans.map(legacySpan) ?? [];
}

/** Drops the finished traces from the ring (the old tracer's `clearCompletedTraces`). */
export function clearCompletedTraces(): void {
  ring?.clearFinished();
}

/**
 * Names a federation peer's endpoint (e.g. `http://10.0.0.7:9090`): a trace's
 * view on GET /traces/<id> then includes that peer's spans of the same trace.
 * Same as listing it in WUNDR_OTEL_TRACE_PEERS.
 */
export function addTracePeer(url: string): void {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    peers.add(u.toString().replace(/\/+$/, ''));
  } catch {
    diag.warn(`@wundr/otel: addTracePeer(${JSON.stringify(url)}): not an http(s) URL; ignored`);
  }
}

export interface EmbeddedFeatureOptions {
  /** Environment to read the settings from (default process.env). */
  env?: Env;
  /** Clock of the retention store (tests move it instead of waiting). */
  now?: () => number;
}

/** Records one collection into the store: counters, gauges and histogram sums/counts (buckets are left to /metrics). */
async function feed(source: MetricSource, s: MetricRetentionStore, now: () => number): Promise<void> {
  const snap = await source.collect();
  if (snap.failed) return;
  const t = now();
  for (const [name, samples] of snap.series) {
    if (name.endsWith('_bucket')) continue;
    for (const sample of samples) s.recordAt(t, name, sample.value, sample.labels);
  }
}

export type EmbeddedFeature = Feature & {
  /** Takes one collection into the retention store now, compacting when due (the timer does this every interval). */
  sample(): Promise<void>;
};

/**
 * The embedded view: recent traces (a span and a log processor keeping the
 * last finished traces with their log lines), a retention store fed from
 * the SDK's own metric collection, GET /traces, /traces/<id>, /dashboard and
 * the page at `/`. WUNDR_OTEL_EMBEDDED=false leaves all of it out.
 */
export function embeddedFeature(options: EmbeddedFeatureOptions = {}): EmbeddedFeature {
  let cfg: EmbeddedConfig | undefined;
  let source: MetricSource | undefined;
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastCompact = 0;
  let busy = false;
  const now = options.now ?? Date.now;
  const sample = async (): Promise<void> => {
    const st = store;
    if (!source || !st || stopped) return;
    await feed(source, st, now);
    if (now() - lastCompact >= st.config.compactionIntervalMs) {
      lastCompact = now();
      st.compact();
    }
  };
  return {
    sample,
    name: 'embedded',
    configure(b) {
      const { config, warnings } = loadEmbeddedConfig(options.env ?? process.env);
      for (const w of warnings) diag.warn(`@wundr/otel: ${w.message}`);
      cfg = config;
      if (!config.enabled) {
        b.routes.push(dashboardRoute(() => undefined));
        return;
      }
      for (const p of config.tracePeers) peers.add(p);
      ring = new TraceRing({ maxTraces: config.maxTraces, maxBytes: config.maxTraceBytes });
      if (b.config.tracing.enabled) {
        // The ring serves spans over HTTP: they are redacted as exported ones are, exporter or not.
        const redactKeys = b.config.logging.redactKeys;
        if (redactKeys.length > 0 && !b.spanProcessors.some((p) => p instanceof RedactingSpanProcessor)) {
          b.spanProcessors.push(new RedactingSpanProcessor(redactKeys));
        }
        b.spanProcessors.push(ring.spanProcessor());
      }
      b.logRecordProcessors.push(ring.logRecordProcessor());
      source = metricSourceFor(b);
      if (source) store = new MetricRetentionStore(options.now ? { now: options.now } : {});
      const routeOptions = { ring: () => ring, peers: () => [...peers], token: b.config.endpoint.token };
      b.routes.push(
        dashboardRoute(() => store),
        tracesRoute(routeOptions),
        traceRoute(routeOptions),
        ...pageRoutes({ jaegerUiUrl: config.jaegerUiUrl }),
      );
    },
    start() {
      if (!cfg?.enabled || !source || !store) return;
      const tick = (): void => {
        if (busy) return;
        busy = true;
        sample()
          .catch((err: unknown) => diag.debug(`@wundr/otel: retention store feed failed: ${(err as Error)?.message}`))
          .finally(() => (busy = false));
      };
      lastCompact = now();
      timer = setInterval(tick, cfg.retentionIntervalMs);
      timer.unref();
      // A first point soon after start, so the page has something to draw.
      first = setTimeout(tick, Math.min(1000, cfg.retentionIntervalMs));
      first.unref();
    },
    async shutdown() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(first);
      timer = first = undefined;
    },
  };
}
