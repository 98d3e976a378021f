/**
 * The `metrics` block of /health, read from the same instruments /metrics
 * serves (one truth): the names below are catalogue names, and a test fails
 * if one of them leaves the catalogue.
 */
import { sumOf, type MetricSnapshot, type MetricSource } from '../metrics/MetricSnapshot.ts';
import type { HealthMetrics } from './types.ts';
import { withTimeout } from '../withTimeout.ts';

/** Which catalogue series back each figure; the first name with data wins. */
export const HEALTH_METRIC_SOURCES = {
  activeSessions: ['wundr_agent_running', 'orchestrator_sessions_active'],
  queuedTasks: ['wundr_queue_depth'],
  memoryUsage: ['wundr_process_memory_rss_bytes'],
  memoryHeapUsed: ['wundr_process_memory_heap_bytes'],
  cpuUser: ['wundr_process_cpu_user_seconds_total'],
  cpuSystem: ['wundr_process_cpu_system_seconds_total'],
  uptime: ['wundr_process_uptime_seconds'],
} as const satisfies Record<string, readonly string[]>;

const MB = 1024 * 1024;
const READ_TIMEOUT_MS = 1000;

function first(s: MetricSnapshot | undefined, names: readonly string[]): number | undefined {
  if (!s) return undefined;
  for (const n of names) {
    const r = sumOf(s, n);
    if (r.present) return r.value;
  }
  return undefined;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Reads the health figures. Figures whose instruments are off
 * (METRICS_ENABLED=false, METRICS_COLLECT_DEFAULT=false) come from the
 * process directly, so /health never shows a made-up zero for memory or CPU.
 */
export class HealthMetricsReader {
  private source: MetricSource | undefined;
  private lastCpu: { seconds: number; at: number } | undefined;

  constructor(source?: MetricSource) {
    this.source = source;
  }

  setSource(source: MetricSource | undefined): void {
    this.source = source;
  }

  async read(fallback: { activeSessions?: number; queuedTasks?: number } = {}): Promise<HealthMetrics> {
    let snap: MetricSnapshot | undefined;
    try {
      // A slow collection (a stuck observable callback) must not hold /health: past the
      // bound the figures come from the process.
      snap = this.source ? await withTimeout(this.source.collect(), READ_TIMEOUT_MS) : undefined;
      if (snap?.failed) snap = undefined;
    } catch {
      snap = undefined;
    }
    const now = Date.now();
    const mem = process.memoryUsage();
    const rss = first(snap, HEALTH_METRIC_SOURCES.memoryUsage) ?? mem.rss;
    const heap = first(snap, HEALTH_METRIC_SOURCES.memoryHeapUsed) ?? mem.heapUsed;
    const uptime = first(snap, HEALTH_METRIC_SOURCES.uptime) ?? process.uptime();
    const cu = first(snap, HEALTH_METRIC_SOURCES.cpuUser);
    const cs = first(snap, HEALTH_METRIC_SOURCES.cpuSystem);
    let cpuSeconds: number;
    if (cu !== undefined && cs !== undefined) cpuSeconds = cu + cs;
    else {
      const u = process.cpuUsage();
      cpuSeconds = (u.user + u.system) / 1e6;
    }
    // CPU share since the previous read (or since start): busy seconds over wall seconds.
    const prev = this.lastCpu ?? { seconds: 0, at: now - process.uptime() * 1000 };
    const wall = (now - prev.at) / 1000;
    const cpuUsagePercent = wall > 0 ? Math.max(0, ((cpuSeconds - prev.seconds) / wall) * 100) : 0;
    this.lastCpu = { seconds: cpuSeconds, at: now };
    return {
      activeSessions: first(snap, HEALTH_METRIC_SOURCES.activeSessions) ?? fallback.activeSessions ?? 0,
      queuedTasks: first(snap, HEALTH_METRIC_SOURCES.queuedTasks) ?? fallback.queuedTasks ?? 0,
      memoryUsageMB: round1(rss / MB),
      memoryHeapUsedMB: round1(heap / MB),
      cpuUsagePercent: round1(cpuUsagePercent),
      uptimeSeconds: Math.round(uptime),
    };
  }
}
