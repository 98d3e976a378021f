import { diag, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { publish, CHANNELS } from './channels.ts';

export interface SpanTtlOptions {
  /** A span started by the helpers and not ended this long after its start is ended as expired. */
  ttlMs: number;
  /** Sweep period; default ttl/4, at least 250 ms and at most 60 s. */
  sweepIntervalMs?: number;
  /** Most spans watched at once; past it the oldest is expired early (bounded memory). Default 100 000. */
  maxTracked?: number;
}

export interface SpanTtlStats {
  /** Spans currently watched (started by the helpers, not ended yet). */
  tracked: number;
  /** Spans ended by the tracker because they outlived the TTL. */
  expired: number;
  /** Spans ended early because more than `maxTracked` were open. */
  evicted: number;
}

type Tracked = Span & { startTime?: [number, number] };

/**
 * Seed §12 "trace context memory leak": spans started by the helpers and
 * never ended are ended after the TTL with an error status and the attribute
 * `wundr.span.expired=true`, and counted. It is also a SpanProcessor, so the
 * SDK tells it when a span ends and the watch list only ever holds open
 * spans; the sweep timer is unref()ed.
 */
export class SpanTtlTracker implements SpanProcessor {
  readonly ttlMs: number;
  private readonly maxTracked: number;
  private readonly sweepIntervalMs: number;
  // Insertion order is start order, so a sweep stops at the first young span.
  private readonly open = new Set<Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private expiredCount = 0;
  private evictedCount = 0;

  constructor(options: SpanTtlOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`@wundr/otel: SpanTtlTracker ttlMs must be > 0, got ${options.ttlMs}`);
    this.ttlMs = options.ttlMs;
    this.maxTracked = options.maxTracked ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? Math.min(60_000, Math.max(250, Math.floor(options.ttlMs / 4)));
  }

  /** Starts the unref()ed sweep timer (idempotent). */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
      this.timer.unref();
    }
    return this;
  }

  /** Watches a recording span. */
  track(span: Span): void {
    if (this.open.size >= this.maxTracked) {
      const oldest = this.open.values().next().value;
      if (oldest) {
        this.evictedCount++;
        this.expire(oldest, `more than ${this.maxTracked} helper spans were open at once`);
      }
    }
    this.open.add(span as Tracked);
  }

  /** Ends every watched span older than the TTL; returns how many. */
  sweep(now: number = Date.now()): number {
    let n = 0;
    for (const span of this.open) {
      const start = span.startTime ? hrTimeToMilliseconds(span.startTime) : now;
      if (now - start < this.ttlMs) break;
      if (!span.isRecording()) {
        this.open.delete(span);
        continue;
      }
      this.expiredCount++;
      n++;
      this.expire(span, `span was not ended within its TTL of ${this.ttlMs} ms`);
    }
    if (n > 0) diag.warn(`@wundr/otel: ended ${n} span(s) that were never ended (TTL ${this.ttlMs} ms)`);
    return n;
  }

  private expire(span: Tracked, why: string): void {
    this.open.delete(span);
    try {
      span.setAttribute('wundr.span.expired', true);
      span.setStatus({ code: SpanStatusCode.ERROR, message: why });
      span.end();
    } catch (err) {
      diag.debug(`@wundr/otel: could not end an expired span: ${(err as Error).message}`);
    }
    publish(CHANNELS.spanExpired, { span, reason: why });
  }

  stats(): SpanTtlStats {
    return { tracked: this.open.size, expired: this.expiredCount, evicted: this.evictedCount };
  }

  onStart(_span: unknown, _ctx: Context): void {}

  onEnd(span: ReadableSpan): void {
    this.open.delete(span as unknown as Tracked);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops the timer and forgets the open spans (they are not ended: the provider is going away). */
  shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.open.clear();
    return Promise.resolve();
  }
}
