import type { Context, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';

/** A log line kept beside its trace. */
export interface RingLog {
  /** Epoch milliseconds. */
  time: number;
  severity: string;
  body: string;
  spanId: string;
  service: string;
  attributes: Record<string, unknown>;
}

/** One trace in the ring: the finished spans of this process, and its log lines. */
export interface RingTrace {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
  logs: RingLog[] | undefined;
  /** Estimated bytes held (spans and logs). */
  bytes: number;
  error: boolean;
  /** Set when the local root span ended (or the trace was closed by age or pressure). */
  finished: boolean;
  /** Trace duration in ms, known once finished. */
  durationMs: number;
  /** Epoch ms the first span or log of it was seen. */
  readonly firstSeen: number;
  /** Which queue holds it, so removal from elsewhere can be skipped lazily. */
  tier: Tier;
}

const enum Tier {
  Pending,
  Ordinary,
  Error,
  Slow,
  Gone,
}

export interface TraceRingOptions {
  /** Finished traces kept (default 200). */
  maxTraces?: number;
  /** Estimated bytes kept, finished and pending together (default 6 MiB). */
  maxBytes?: number;
  /** Spans kept per trace (default 1000, the old tracer's TRACING_MAX_SPANS). */
  maxSpansPerTrace?: number;
  /** Log lines kept per trace (default 200). */
  maxLogsPerTrace?: number;
  /** A trace whose local root has not ended after this long is closed as it is (default 60 s). */
  pendingTimeoutMs?: number;
  /**
   * Ordinary traces taken in per second, about (default maxTraces / 10). Above it a
   * share of them, chosen by trace id, is passed over; errors and slow ones never are.
   */
  tracesPerSecond?: number;
  now?: () => number;
}

/** A FIFO over an array with a moving head: shift() without copying the array each time. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  values(): T[] {
    return this.items.slice(this.head);
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** The last 8 hex digits of an id as a number (parseInt of them, without the slice it needs): run for every span under load. */
export function hexTail32(id: string): number {
  let v = 0;
  for (let i = id.length - 8; i < id.length; i++) {
    const c = id.charCodeAt(i);
    v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return v;
}

export function hrToMs(t: HrTime): number {
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Rough heap cost of a span: object headers, ids, name, attributes and events. */
function spanBytes(span: ReadableSpan): number {
  let n = 400 + span.name.length * 2;
  const attrs = span.attributes;
  for (const k in attrs) {
    const v = attrs[k];
    n += 48 + k.length * 2 + (typeof v === 'string' ? v.length * 2 : 16);
  }
  n += span.events.length * 160;
  return n;
}

function isLocalRoot(span: ReadableSpan): boolean {
  const p = span.parentSpanContext;
  return p === undefined || p.isRemote === true;
}

/**
 * The most recent finished traces of this process, bounded by count and by
 * estimated bytes. When it must make room it drops ordinary traces first,
 * oldest first; errors and the slowest traces each keep a quarter of the
 * room, so the traces a person comes looking for are the last to go.
 *
 * Spans are held as the SDK's own ReadableSpan objects (nothing copied on the
 * request path); views are built when someone asks.
 */
export class TraceRing {
  readonly maxTraces: number;
  readonly maxBytes: number;
  private readonly maxSpans: number;
  private readonly maxLogs: number;
  private readonly pendingTimeoutMs: number;
  private readonly now: () => number;
  private readonly byId = new Map<string, RingTrace>();
  private readonly pending = new Fifo<RingTrace>();
  private readonly ordinary = new Fifo<RingTrace>();
  private readonly errors = new Fifo<RingTrace>();
  /** Min-heap on durationMs: the slowest traces seen, the fastest of them on top. */
  private readonly slow: RingTrace[] = [];
  private finishedCount = 0;
  private pendingCount = 0;
  private bytesHeld = 0;
  /** Traces dropped to make room. */
  evicted = 0;
  /** Ordinary traces passed over because they came faster than tracesPerSecond. */
  passedOver = 0;
  private readonly tracesPerSecond: number;
  /** Roots after which a window may close before its second is over. */
  private readonly earlyEstimate: number;
  /** The share of ordinary traces kept, from the rate of local roots over the last second. */
  private keepRatio = 1;
  private windowStart = 0;
  private windowRoots = 0;

  constructor(options: TraceRingOptions = {}) {
    this.maxTraces = Math.max(1, Math.floor(options.maxTraces ?? 200));
    this.maxBytes = Math.max(64 * 1024, Math.floor(options.maxBytes ?? 6 * 1024 * 1024));
    this.maxSpans = Math.max(1, options.maxSpansPerTrace ?? 1000);
    this.maxLogs = Math.max(0, options.maxLogsPerTrace ?? 200);
    this.pendingTimeoutMs = options.pendingTimeoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.tracesPerSecond = Math.max(1, options.tracesPerSecond ?? this.maxTraces / 10);
    this.earlyEstimate = Math.max(100, this.tracesPerSecond);
  }

  get size(): number {
    return this.finishedCount;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** The span processor feeding the ring (sampled spans only: unsampled ones never reach processors' onEnd). */
  spanProcessor(): SpanProcessor {
    return {
      onStart: (_span: Span, _ctx: Context) => {},
      onEnd: (span: ReadableSpan) => this.addSpan(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }

  /** The log processor keeping the lines emitted inside a span beside its trace. */
  logRecordProcessor(): LogRecordProcessor {
    return {
      onEmit: (record: ReadWriteLogRecord) => this.addLog(record),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
  }

  private entry(traceId: string): RingTrace {
    let e = this.byId.get(traceId);
    if (e === undefined) {
      e = { traceId, spans: [], logs: undefined, bytes: 0, error: false, finished: false, durationMs: 0, firstSeen: this.now(), tier: Tier.Pending };
      this.byId.set(traceId, e);
      this.pending.push(e);
      this.pendingCount++;
    }
    return e;
  }

  addSpan(span: ReadableSpan): void {
    // The endpoint's own requests (this page polling, Prometheus scraping) are not the application's traces.
    if (span.attributes['wundr.endpoint'] === true) return;
    const traceId = span.spanContext().traceId;
    let e = this.byId.get(traceId);
    if (e === undefined) {
      // Under load, a trace passed over is never held: no entry, nothing kept past the request
      // (spans held even for milliseconds at thousands per second reach the old generation).
      const root = isLocalRoot(span);
      if (root) this.countRoot();
      if (span.status.code !== 2 && !this.keeps(traceId) && !(root && this.isSlow(hrToMs(span.duration)))) {
        this.passedOver++;
        return;
      }
      e = this.entry(traceId);
    } else if (!e.finished && isLocalRoot(span)) {
      this.countRoot();
    }
    if (e.spans.length < this.maxSpans) {
      e.spans.push(span);
      const b = spanBytes(span);
      e.bytes += b;
      this.bytesHeld += b;
    }
    const failed = span.status.code === 2;
    if (failed) e.error = true;
    if (e.finished) {
      // A late child of a finished trace (a root that ends before its children, like a
      // fire-and-forget send): it may lengthen the trace or mark it failed.
      const end = hrToMs(span.endTime) - this.startMs(e);
      if (end > e.durationMs) e.durationMs = end;
      if (e.tier !== Tier.Gone) this.retier(e);
    } else if (isLocalRoot(span)) {
      this.finish(e);
    }
    this.expirePending();
    if (this.finishedCount > this.maxTraces || this.bytesHeld > this.maxBytes || this.pendingCount > this.maxTraces) this.makeRoom();
  }

  addLog(record: ReadWriteLogRecord): void {
    const sc = record.spanContext;
    if (sc === undefined || this.maxLogs === 0 || (sc.traceFlags & 1) === 0) return;
    if (!this.byId.has(sc.traceId) && !this.keeps(sc.traceId)) return;
    const e = this.entry(sc.traceId);
    if (e.logs === undefined) e.logs = [];
    if (e.logs.length >= this.maxLogs) return;
    const body = typeof record.body === 'string' ? record.body : JSON.stringify(record.body ?? '');
    const attributes: Record<string, unknown> = { ...record.attributes };
    const b = 200 + body.length * 2 + Object.keys(attributes).length * 64;
    e.logs.push({
      time: hrToMs(record.hrTime),
      severity: record.severityText ?? String(record.severityNumber ?? ''),
      body,
      spanId: sc.spanId,
      service: String(record.resource?.attributes['service.name'] ?? ''),
      attributes,
    });
    e.bytes += b;
    this.bytesHeld += b;
    if (this.bytesHeld > this.maxBytes || this.pendingCount > this.maxTraces) this.makeRoom();
  }

  private startMs(e: RingTrace): number {
    let s = Infinity;
    for (const sp of e.spans) {
      const t = hrToMs(sp.startTime);
      if (t < s) s = t;
    }
    return s === Infinity ? e.firstSeen : s;
  }

  /**
   * The rate of local roots, over a window of a second, or shorter once the
   * window has seen a second's worth of traces (and at least 100): under a sudden load (the
   * first second of a process, a burst) the share is known after
   * `tracesPerSecond` roots instead of after a second of keeping every
   * trace (thousands of spans held, then dropped, each surviving young
   * collections and growing V8's young generation for good).
   */
  private countRoot(): void {
    const now = this.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= 1000 || (this.windowRoots >= this.earlyEstimate && this.windowStart > 0)) {
      const rate = (this.windowRoots * 1000) / Math.max(1, elapsed);
      this.keepRatio = rate <= this.tracesPerSecond ? 1 : this.tracesPerSecond / rate;
      this.windowStart = now;
      this.windowRoots = 0;
    }
    this.windowRoots++;
  }

  /** Whether an ordinary trace is kept at the current rate: decided by its id, so every span of it gets the same answer. */
  private keeps(traceId: string): boolean {
    if (this.keepRatio >= 1) return true;
    return hexTail32(traceId) / 4294967296 < this.keepRatio;
  }

  private isSlow(durationMs: number): boolean {
    const share = Math.max(1, Math.floor(this.maxTraces / 4));
    return this.slow.length < share || durationMs > this.slow[0]!.durationMs;
  }

  private finish(e: RingTrace): void {
    if (e.finished) return;
    let s = Infinity;
    let end = -Infinity;
    for (const sp of e.spans) {
      const a = hrToMs(sp.startTime);
      const b = hrToMs(sp.endTime);
      if (a < s) s = a;
      if (b > end) end = b;
    }
    e.durationMs = s === Infinity ? 0 : end - s;
    if (!e.error && !this.keeps(e.traceId) && !this.isSlow(e.durationMs)) {
      this.remove(e);
      this.passedOver++;
      return;
    }
    e.finished = true;
    this.pendingCount--;
    this.finishedCount++;
    const share = Math.max(1, Math.floor(this.maxTraces / 4));
    if (e.error) {
      e.tier = Tier.Error;
      this.errors.push(e);
      // Errors beyond their share age out like any other trace.
      while (this.errors.length > share) this.demote(this.errors.shift()!, Tier.Error);
      return;
    }
    if (this.slow.length < share) {
      e.tier = Tier.Slow;
      this.heapPush(e);
      return;
    }
    if (e.durationMs > this.slow[0]!.durationMs) {
      const out = this.heapPop()!;
      e.tier = Tier.Slow;
      this.heapPush(e);
      this.demote(out, Tier.Slow);
      return;
    }
    e.tier = Tier.Ordinary;
    this.ordinary.push(e);
  }

  /** Moves a finished trace whose error flag or duration changed to the tier it now belongs in. */
  private retier(e: RingTrace): void {
    const share = Math.max(1, Math.floor(this.maxTraces / 4));
    if (e.error) {
      if (e.tier === Tier.Error) return;
      if (e.tier === Tier.Slow) this.heapRemoveAt(this.slow.indexOf(e));
      e.tier = Tier.Error;
      this.errors.push(e);
      while (this.errors.length > share) this.demote(this.errors.shift()!, Tier.Error);
      return;
    }
    if (e.tier === Tier.Slow) {
      // Its key grew: take it out and put it back.
      this.heapRemoveAt(this.slow.indexOf(e));
      this.heapPush(e);
      return;
    }
    if (e.tier !== Tier.Ordinary) return;
    if (this.slow.length < share) {
      e.tier = Tier.Slow;
      this.heapPush(e);
    } else if (e.durationMs > this.slow[0]!.durationMs) {
      const out = this.heapPop()!;
      e.tier = Tier.Slow;
      this.heapPush(e);
      this.demote(out, Tier.Slow);
    }
  }

  private demote(e: RingTrace, from: Tier): void {
    if (e.tier !== from) return;
    e.tier = Tier.Ordinary;
    this.ordinary.push(e);
  }

  /** Closes traces whose local root never ended (a root kept open, or a lost span). */
  private expirePending(): void {
    let head = this.pending.peek();
    while (head !== undefined && head.tier !== Tier.Pending) {
      this.pending.shift();
      head = this.pending.peek();
    }
    if (head !== undefined && this.now() - head.firstSeen > this.pendingTimeoutMs) {
      this.pending.shift();
      this.finish(head);
    }
  }

  private makeRoom(): void {
    while (this.pendingCount > this.maxTraces) {
      const p = this.pending.shift();
      if (p === undefined) break;
      if (p.tier === Tier.Pending) this.finish(p);
    }
    while (this.finishedCount > this.maxTraces || this.bytesHeld > this.maxBytes) {
      const victim = this.nextVictim();
      if (victim === undefined) break;
      this.remove(victim);
      this.evicted++;
    }
  }

  private nextVictim(): RingTrace | undefined {
    for (let x = this.ordinary.shift(); x !== undefined; x = this.ordinary.shift()) if (x.tier === Tier.Ordinary) return x;
    // Only errors and slow traces are left: the older of the oldest error and the fastest slow one goes.
    let err: RingTrace | undefined;
    while ((err = this.errors.peek()) !== undefined && err.tier !== Tier.Error) this.errors.shift();
    const slow = this.slow[0];
    if (err !== undefined && (slow === undefined || err.firstSeen <= slow.firstSeen)) return this.errors.shift();
    if (slow !== undefined) return this.heapPop();
    for (let x = this.pending.shift(); x !== undefined; x = this.pending.shift()) if (x.tier === Tier.Pending) return x;
    return undefined;
  }

  private remove(e: RingTrace): void {
    if (e.tier === Tier.Gone) return;
    if (e.tier === Tier.Pending) this.pendingCount--;
    else this.finishedCount--;
    if (e.tier === Tier.Slow) {
      const i = this.slow.indexOf(e);
      if (i >= 0) this.heapRemoveAt(i);
    }
    e.tier = Tier.Gone;
    this.bytesHeld -= e.bytes;
    this.byId.delete(e.traceId);
  }

  /** A trace by id (pending or finished). */
  get(traceId: string): RingTrace | undefined {
    return this.byId.get(traceId);
  }

  /** The finished traces, newest first. */
  finished(): RingTrace[] {
    const out: RingTrace[] = [];
    for (const e of this.byId.values()) if (e.finished) out.push(e);
    return out.reverse();
  }

  /** Drops the finished traces (the old tracer's clearCompletedTraces); traces still open stay. */
  clearFinished(): void {
    for (const e of [...this.byId.values()]) if (e.finished) this.remove(e);
    this.ordinary.clear();
    this.errors.clear();
    this.slow.length = 0;
  }

  // A binary min-heap on durationMs, written out: the slow tier is small and touched once per trace.
  private heapPush(e: RingTrace): void {
    const h = this.slow;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.durationMs <= h[i]!.durationMs) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private heapPop(): RingTrace | undefined {
    if (this.slow.length === 0) return undefined;
    const top = this.slow[0]!;
    this.heapRemoveAt(0);
    return top;
  }

  private heapRemoveAt(i: number): void {
    if (i < 0) return;
    const h = this.slow;
    const last = h.pop()!;
    if (i >= h.length) return;
    h[i] = last;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.durationMs < h[m]!.durationMs) m = l;
      if (r < h.length && h[r]!.durationMs < h[m]!.durationMs) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.durationMs <= h[i]!.durationMs) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
}
