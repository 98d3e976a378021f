import { context, trace } from '@opentelemetry/api';
import { memoryMetrics, recordMemoryOperation } from '../metrics/wundrMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { failSpan } from '../tracing/spans.ts';
import { startMemorySpan } from '../tracing/agentSpans.ts';
import { claim, guard, requireObject, since, wrapMethod, type Undo, callWith } from './patch.ts';
import { currentSession } from './sessionContext.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

export type MemoryOperation = 'store' | 'search' | 'compact';

/** Per-tier sizes, read after stores and compactions when the `stats` option is given. */
export type MemoryStats = Record<string, { entries?: number; bytes?: number }>;

export interface InstrumentMemoryManagerOptions {
  /** Method names per operation. Default `{ store: ['store'], search: ['search'], compact: ['compact'] }`. */
  methods?: Partial<Record<MemoryOperation, string[]>>;
  /** The tier an operation works on. Default: an argument's `tier` field, or a string argument naming a known tier, else `default`. */
  tierOf?: (operation: MemoryOperation, args: unknown[]) => string;
  /** Current per-tier entry counts and bytes (`wundr_memory_entries_total`, `wundr_memory_bytes`). */
  stats?: () => MemoryStats;
  /** Used when no session is in context. */
  orchestratorId?: string;
}

const KNOWN_TIERS = new Set(['scratchpad', 'episodic', 'semantic', 'working', 'short-term', 'long-term', 'procedural']);

function defaultTier(_op: MemoryOperation, args: unknown[]): string {
  for (const a of args) {
    if (a !== null && typeof a === 'object' && typeof (a as { tier?: unknown }).tier === 'string') return (a as { tier: string }).tier;
    if (typeof a === 'string' && KNOWN_TIERS.has(a)) return a;
  }
  return 'default';
}

function cacheHitOf(result: unknown): boolean | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const r = result as { cacheHit?: unknown; fromCache?: unknown; cached?: unknown };
  const v = r.cacheHit ?? r.fromCache ?? r.cached;
  return typeof v === 'boolean' ? v : undefined;
}

/**
 * Memory metrics and spans for the MemoryManager (docs/ADAPTERS.md "instrument
 * store/search/compact"): each operation runs in a `memory.{op} {tier}`
 * span; searches count and time `wundr_memory_searches_total` /
 * `_search_latency_seconds` with cache hits and misses (from a result's
 * `cacheHit`/`fromCache`); compactions count `wundr_memory_compaction_total`;
 * with `stats`, entry counts and bytes per tier follow each store and
 * compaction. Returns the undo function.
 *
 * @example
 * const undo = instrumentMemoryManager(memory, { stats: () => memory.sizes() });
 */
export function instrumentMemoryManager(manager: object, options: InstrumentMemoryManagerOptions = {}): Undo {
  requireObject(manager, 'instrumentMemoryManager', 'the MemoryManager');
  const methods: Record<MemoryOperation, string[]> = {
    store: options.methods?.store ?? ['store'],
    search: options.methods?.search ?? ['search'],
    compact: options.methods?.compact ?? ['compact'],
  };
  const found = (Object.keys(methods) as MemoryOperation[]).flatMap((op) =>
    methods[op].filter((m) => typeof (manager as Record<string, unknown>)[m] === 'function').map((m) => [op, m] as const),
  );
  if (found.length === 0) {
    throw new Error(
      `@wundr/otel: instrumentMemoryManager() found none of the methods ${Object.values(methods).flat().join(', ')}; name them with the methods option`,
    );
  }
  const finish = claim(manager, 'instrumentMemoryManager');
  const log = new StructuredLogger('MemoryManager');
  const tierOf = options.tierOf ?? defaultTier;
  const undos: Undo[] = [];

  const readStats = () => {
    if (!options.stats) return;
    guard('memory stats', () => {
      const o = currentSession()?.orchestratorId ?? options.orchestratorId ?? 'unknown';
      for (const [tier, s] of Object.entries(options.stats!() ?? {})) {
        if (typeof s?.entries === 'number') memoryMetrics.entries.set({ tier, orchestrator_id: o }, s.entries);
        if (typeof s?.bytes === 'number') memoryMetrics.bytes.set({ tier }, s.bytes);
      }
    });
  };

  try {
    for (const [op, method] of found) {
      undos.push(
        wrapMethod(manager, method, (original) =>
          function (this: unknown, ...args: unknown[]) {
            let tier = 'default';
            guard('tierOf()', () => (tier = String(tierOf(op, args) ?? 'default')));
            const span = startMemorySpan({ operation: op, tier });
            const t0 = performance.now();
            const record = (result: unknown, err?: unknown) =>
              guard('memory metrics', () => {
                const seconds = since(t0);
                const o = currentSession()?.orchestratorId ?? options.orchestratorId ?? 'unknown';
                if (err === undefined) {
                  if (op === 'compact') {
                    const strategy = (result as { strategy?: unknown } | undefined)?.strategy;
                    memoryMetrics.compactions.inc({ tier, strategy: typeof strategy === 'string' ? strategy : 'summarize-and-archive' });
                  } else recordMemoryOperation({ operation: op, tier, orchestratorId: o, durationSeconds: seconds, cacheHit: cacheHitOf(result) });
                  if (op !== 'search') readStats();
                  log.debug(`Memory ${op}`, { tier, duration: Math.round(seconds * 1000) });
                } else log.warn(`Memory ${op} failed`, { tier, error: errorMessage(err) });
                emitInstrumentEvent('MemoryManager', `memory.${op}`, { tier, durationSeconds: seconds, ok: err === undefined });
              });
            const done = (r: unknown) => {
              record(r);
              span.end();
              return r;
            };
            const fail = (err: unknown) => {
              failSpan(span, err);
              record(undefined, err);
              span.end();
              throw err;
            };
            return callWith(trace.setSpan(context.active(), span), () => original.apply(this, args), done, fail);
          },
        ),
      );
    }
  } catch (err) {
    finish(undos)();
    throw err;
  }
  return finish(undos);
}
