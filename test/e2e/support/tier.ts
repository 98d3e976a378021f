/**
 * Pure helpers of the collector-tier run (test/e2e/tier.scale.ts): what the
 * gateways' tail-sampling policies must decide for a trace, computed from
 * the spans the agent received, and readers for the collectors' own
 * Prometheus metrics and a process's memory.
 */
import { readFileSync } from 'node:fs';
import type { ReceivedSpan } from '../../support/otlpReceiver.ts';

/** The policies of otel-collector/gateway.yaml, with this run's settings. */
export interface Policies {
  slowMs: number;
  percent: number;
  /** tail_sampling's probabilistic `hash_salt`; the processor's default when unset. */
  hashSalt?: string;
}

export interface TraceTruth {
  traceId: string;
  spanIds: Set<string>;
  /** Earliest span start and latest span end, ms since the epoch. */
  startMs: number;
  endMs: number;
  /** The same in ns, for the latency policy's exact arithmetic. */
  startNs: bigint;
  endNs: bigint;
  error: boolean;
  slow: boolean;
  /** What the probabilistic policy decides for this trace id. */
  byHash: boolean;
  services: Set<string>;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & U64;
  }
  return h;
}

/**
 * The tail-sampling probabilistic policy's decision: FNV-1a 64 over the salt
 * then the 16 trace id bytes, kept when at or under percent/100 of 2^64-1
 * (contrib processor/tailsamplingprocessor, internal/sampling/probabilistic.go).
 */
export function keptByHash(traceIdHex: string, percent: number, salt = 'default-hash-seed'): boolean {
  const h = fnv1a64(Buffer.concat([Buffer.from(salt, 'utf8'), Buffer.from(traceIdHex, 'hex')]));
  // percent as a fraction of 10^6 is exact for the settings used here.
  const threshold = (U64 * BigInt(Math.round(percent * 1e6))) / 100_000_000n;
  return h <= threshold;
}

const ms = (nanos: bigint) => Number(nanos / 1_000_000n);

/** Groups spans by trace and applies the gateway's policies to each trace. */
export function classify(spans: ReceivedSpan[], p: Policies): Map<string, TraceTruth> {
  const out = new Map<string, TraceTruth>();
  for (const s of spans) {
    let t = out.get(s.traceId);
    if (!t) {
      const start = BigInt(s.startTimeUnixNano);
      const end = BigInt(s.endTimeUnixNano);
      t = { traceId: s.traceId, spanIds: new Set(), startMs: 0, endMs: 0, startNs: start, endNs: end, error: false, slow: false, byHash: false, services: new Set() };
      out.set(s.traceId, t);
    }
    t.spanIds.add(s.spanId);
    const start = BigInt(s.startTimeUnixNano);
    const end = BigInt(s.endTimeUnixNano);
    if (start < t.startNs) t.startNs = start;
    if (end > t.endNs) t.endNs = end;
    if (s.status.code === 2) t.error = true;
    t.services.add(String(s.resource['service.name']));
  }
  for (const t of out.values()) {
    t.startMs = ms(t.startNs);
    t.endMs = ms(t.endNs);
    // The latency policy: the span of the trace in whole milliseconds (truncated), strictly over the threshold.
    t.slow = (t.endNs - t.startNs) / 1_000_000n > BigInt(p.slowMs);
    t.byHash = keptByHash(t.traceId, p.percent, p.hashSalt);
  }
  return out;
}

export const expectedKept = (t: TraceTruth) => t.error || t.slow || t.byHash;

/**
 * The tolerance on the kept share of the rest: three standard deviations of a
 * binomial share over n traces, so a correct sampler fails this about 3 times
 * in 1000 runs.
 */
export function shareTolerance(percent: number, n: number): number {
  const p = percent / 100;
  return 3 * Math.sqrt((p * (1 - p)) / Math.max(1, n));
}

/** Sum of a metric family in Prometheus text format over the series whose labels include `match`. */
export function metricSum(text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || (m[1] !== name && m[1] !== `${name}_total`)) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
