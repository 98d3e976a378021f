/**
 * Process metrics of docs/METRICS.md (last block) as OTel observable instruments,
 * read when a reader collects — no timers. Switched by
 * METRICS_COLLECT_DEFAULT (config.metrics.collectDefault).
 *
 * - memory, CPU and uptime: process.memoryUsage() / cpuUsage() / uptime(),
 *   read once per collection in one batch callback;
 * - open/max file descriptors: /proc/self/fd and /proc/self/limits on Linux;
 *   elsewhere the two instruments are not created, and nothing is logged;
 * - event-loop lag: perf_hooks.monitorEventLoopDelay (libuv timer inside
 *   Node, not a JS timer); at each collection its samples are drained into
 *   the `wundr_process_event_loop_lag_seconds` histogram, bucketed by the
 *   HDR percentile points Node exposes (the resolution is subtracted: Node
 *   reports the full interval between timer runs).
 * - GC pauses (only with `gcPauses`, WUNDR_OTEL_GC_PAUSES): a perf_hooks
 *   PerformanceObserver on 'gc' entries, each pause recorded into
 *   `wundr_process_gc_duration_seconds` by kind as it arrives (Node delivers
 *   the entries in batches, off the GC itself). Off by default: for each
 *   entry Node builds deprecation wrappers (`entry.kind`, `entry.flags`)
 *   whose prototype change allocates hidden classes in the old generation,
 *   4–8 KiB per collection. The bench server, collecting 33 times a second,
 *   made 140 KiB/s of old-space garbage that way, and V8, counting it as
 *   survival, doubled the young generation (+16 MiB RSS) within seconds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { diag, type BatchObservableResult, type Histogram, type Meter, type Observable } from '@opentelemetry/api';
import { getMetricDef, type MetricDef } from './catalogue.ts';

/**
 * The event-loop monitor's timer period. Each period wakes an idle process:
 * measured idle CPU 7.3 ms/s at 10 ms (prom-client's and
 * instrumentation-runtime-node's default), 4.6 at 20, 0.9 at 100. Ten
 * samples a second still catch every stall longer than a period (the old
 * code sampled lag every 5 s).
 */
const LAG_RESOLUTION_MS = 100;

/** GC kinds by perf_hooks flag, with the attribute set recorded for each (built once). */
const GC_KINDS: ReadonlyMap<number, { kind: string }> = new Map([
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR, { kind: 'major' }],
  [perfConstants.NODE_PERFORMANCE_GC_MINOR, { kind: 'minor' }],
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL, { kind: 'incremental' }],
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB, { kind: 'weakcb' }],
]);

/** Readers of the current values, exported for tests and health. */
export function readOpenFds(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

export function readMaxFds(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

function def(name: string): MetricDef {
  const d = getMetricDef(name);
  if (!d) throw new Error(`@wundr/otel: catalogue has no ${name}`);
  return d;
}

/**
 * The running system-metrics instruments on one meter. `stop()` removes the
 * callback and disables the event-loop monitor.
 */
export class SystemMetrics {
  private readonly meter: Meter;
  private readonly observables: Observable[] = [];
  private readonly callback: (r: BatchObservableResult) => void;
  private readonly eld: ReturnType<typeof monitorEventLoopDelay>;
  /** The event-loop lag histogram instrument (also bound to `systemMetrics.eventLoopLag`). */
  readonly lag: Histogram;
  /** The GC pause histogram instrument. */
  readonly gc: Histogram;
  private readonly gcObserver: PerformanceObserver | undefined;
  private gcSeconds = 0;
  private stopped = false;
  /** The instance running on the SDK's meter, if any. */
  static current: SystemMetrics | undefined;

  constructor(meter: Meter, options: { gcPauses?: boolean } = {}) {
    this.meter = meter;
    const gauge = (name: string) => {
      const d = def(name);
      return meter.createObservableGauge(d.otelName, { description: d.help, unit: d.unit });
    };
    const counter = (name: string) => {
      const d = def(name);
      return meter.createObservableCounter(d.otelName, { description: d.help, unit: d.unit });
    };
    const heap = gauge('wundr_process_memory_heap_bytes');
    const rss = gauge('wundr_process_memory_rss_bytes');
    const external = gauge('wundr_process_memory_external_bytes');
    const cpuUser = counter('wundr_process_cpu_user_seconds_total');
    const cpuSystem = counter('wundr_process_cpu_system_seconds_total');
    const uptime = gauge('wundr_process_uptime_seconds');
    const heapLimit = gauge('wundr_process_memory_heap_limit_bytes');
    this.observables.push(heap, rss, external, cpuUser, cpuSystem, uptime, heapLimit);
    const linux = readOpenFds() !== undefined;
    const openFds = linux ? gauge('wundr_process_open_fds') : undefined;
    const maxFds = linux ? gauge('wundr_process_max_fds') : undefined;
    if (openFds && maxFds) this.observables.push(openFds, maxFds);

    const lagDef = def('wundr_process_event_loop_lag_seconds');
    this.lag = meter.createHistogram(lagDef.otelName, {
      description: lagDef.help,
      unit: lagDef.unit,
      advice: { explicitBucketBoundaries: [...(lagDef.buckets ?? [])] },
    });
    this.eld = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.eld.enable();

    const gcDef = def('wundr_process_gc_duration_seconds');
    this.gc = meter.createHistogram(gcDef.otelName, {
      description: gcDef.help,
      unit: gcDef.unit,
      advice: { explicitBucketBoundaries: [...(gcDef.buckets ?? [])] },
    });
    if (options.gcPauses) {
      try {
        const observer = new PerformanceObserver((list) => this.recordGc(list.getEntries()));
        observer.observe({ entryTypes: ['gc'] });
        this.gcObserver = observer;
      } catch (err) {
        diag.debug(`@wundr/otel: GC pauses are not observable here: ${(err as Error).message}`);
      }
    }

    this.callback = (r) => {
      try {
        const mem = process.memoryUsage();
        r.observe(heap, mem.heapUsed);
        r.observe(rss, mem.rss);
        r.observe(external, mem.external);
        const cpu = process.cpuUsage();
        r.observe(cpuUser, cpu.user / 1e6);
        r.observe(cpuSystem, cpu.system / 1e6);
        r.observe(uptime, process.uptime());
        r.observe(heapLimit, getHeapStatistics().heap_size_limit);
        if (openFds && maxFds) {
          const o = readOpenFds();
          const m = readMaxFds();
          if (o !== undefined) r.observe(openFds, o);
          if (m !== undefined) r.observe(maxFds, m);
        }
        // Observable callbacks run before the synchronous instruments are
        // collected, so the lag drained here shows in this very collection.
        this.drainLag();
      } catch (err) {
        diag.debug(`@wundr/otel: system metrics: ${(err as Error).message}`);
      }
    };
    meter.addBatchObservableCallback(this.callback, this.observables);
    SystemMetrics.current = this;
  }

  /** Records GC entries (as a PerformanceObserver delivers them). */
  recordGc(entries: readonly PerformanceEntry[]): void {
    if (this.stopped) return;
    for (const e of entries) {
      const attrs = GC_KINDS.get((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1);
      if (!attrs) continue;
      const s = e.duration / 1000;
      this.gcSeconds += s;
      this.gc.record(s, attrs);
    }
  }

  /** Total GC pause time (seconds) recorded since this instance started; undefined when GC pauses are not observed. */
  gcSecondsTotal(): number | undefined {
    return this.gcObserver ? this.gcSeconds : undefined;
  }

  /** Mean event-loop lag (seconds) of the samples not yet collected. */
  meanLagSeconds(): number | undefined {
    const h = this.eld;
    if (h.count === 0) return undefined;
    return Math.max(0, h.mean - LAG_RESOLUTION_MS * 1e6) / 1e9;
  }

  /** Moves the event-loop samples taken since the last collection into the histogram. */
  drainLag(): void {
    const h = this.eld;
    const count = h.count;
    if (count === 0) return;
    const resNs = LAG_RESOLUTION_MS * 1e6;
    let prevP = 0;
    let carried = 0;
    let recorded = 0;
    for (const [p, ns] of h.percentiles) {
      // Samples between the previous percentile point and this one are at most `ns`.
      const share = (count * (p - prevP)) / 100 + carried;
      let n = Math.floor(share);
      carried = share - n;
      prevP = p;
      if (n > count - recorded) n = count - recorded;
      const s = Math.max(0, ns - resNs) / 1e9;
      for (let i = 0; i < n; i++) this.lag.record(s);
      recorded += n;
    }
    if (recorded < count) {
      const s = Math.max(0, h.max - resNs) / 1e9;
      for (let i = recorded; i < count; i++) this.lag.record(s);
    }
    h.reset();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (SystemMetrics.current === this) SystemMetrics.current = undefined;
    this.meter.removeBatchObservableCallback(this.callback, this.observables);
    this.eld.disable();
    this.gcObserver?.disconnect();
  }
}
