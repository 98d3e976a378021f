import { diag, SpanStatusCode, type Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { publish, CHANNELS } from './channels.ts';

export interface SpanTtlOptions {
  /** A span started by the helpers and not ended this long after its start is ended as expired. */
  ttlMs: number;
  /** How often ended spans are dropped from the watch list and old ones checked; default min(1000, ttl/4), at least 10 ms. */
  sweepIntervalMs?: number;
  /** Most spans watched at once; past it the oldest open ones are expired early (bounded memory). Default 100 000. */
  maxTracked?: number;
}

export interface SpanTtlStats {
  /** Spans on the watch list (open ones, plus ended ones until the next sweep drops them). */
  tracked: number;
  /** Spans ended by the tracker because they outlived the TTL. */
  expired: number;
  /** Spans ended early because more than `maxTracked` were open. */
  evicted: number;
}

type Tracked = Span & { startTime?: [number, number] };

/**
 * docs/RELIABILITY.md "trace context memory leak": spans started by the helpers and
 * never ended are ended after the TTL with an error status and the attribute
 * `wundr.span.expired=true`, counted, and published on
 * `wundr:tracing:span-expired`.
 *
 * Designed for the hot path: watching a span is one array push (no span
 * processor, so no per-span callback for every span of the process). Ended
 * spans are dropped when the list has doubled since the last compaction
 * (amortized O(1), so they die young) and by a sweep every second, which
 * also ends the spans older than the TTL.
 * Start order is kept, so a sweep stops at the first young span. The timer
 * is unref()ed.
 */
export class SpanTtlTracker {
  readonly ttlMs: number;
  private readonly maxTracked: number;
  private readonly sweepIntervalMs: number;
  private watched: Tracked[] = [];
  /** Compact when the list reaches this length: ended spans are dropped within ~1000 helper spans, amortized O(1). */
  private compactAt = 1024;
  private timer: NodeJS.Timeout | undefined;
  private expiredCount = 0;
  private evictedCount = 0;

  constructor(options: SpanTtlOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`@wundr/otel: SpanTtlTracker ttlMs must be > 0, got ${options.ttlMs}`);
    if (options.maxTracked !== undefined && !(Number.isInteger(options.maxTracked) && options.maxTracked > 0)) {
      throw new Error(`@wundr/otel: SpanTtlTracker maxTracked must be a positive integer, got ${options.maxTracked}`);
    }
    this.ttlMs = options.ttlMs;
    this.maxTracked = options.maxTracked ?? 100_000;
    this.compactAt = Math.min(this.maxTracked, 1024);
    this.sweepIntervalMs = options.sweepIntervalMs ?? Math.max(10, Math.min(1000, Math.floor(options.ttlMs / 4)));
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
    const len = this.watched.length;
    if (len >= this.compactAt) {
      this.compact();
      if (this.watched.length >= this.maxTracked) this.makeRoom();
    }
    this.watched.push(span as Tracked);
  }

  private makeRoom(): void {
    // Full of open spans: the oldest go first.
    const excess = this.watched.length - this.maxTracked + 1;
    if (excess <= 0) return;
    const victims = this.watched.splice(0, excess);
    for (const s of victims) {
      this.evictedCount++;
      this.expire(s, `more than ${this.maxTracked} helper spans were open at once`);
    }
  }

  /** Drops ended spans from the watch list. */
  private compact(): void {
    let w = 0;
    const list = this.watched;
    for (let r = 0; r < list.length; r++) {
      const s = list[r]!;
      if (s.isRecording()) list[w++] = s;
    }
    list.length = w;
    // Next compaction when the list has doubled (at least 1024 more), capped by maxTracked.
    this.compactAt = Math.min(this.maxTracked, Math.max(1024, 2 * w));
  }

  /** Drops ended spans and ends every watched span older than the TTL; returns how many were expired. */
  sweep(now: number = Date.now()): number {
    this.compact();
    let n = 0;
    const list = this.watched;
    let i = 0;
    for (; i < list.length; i++) {
      const span = list[i]!;
      const start = span.startTime ? hrTimeToMilliseconds(span.startTime) : now;
      if (now - start < this.ttlMs) break;
      this.expiredCount++;
      n++;
      this.expire(span, `span was not ended within its TTL of ${this.ttlMs} ms`);
    }
    if (i > 0) list.splice(0, i);
    if (n > 0) diag.warn(`@wundr/otel: ended ${n} span(s) that were never ended (TTL ${this.ttlMs} ms)`);
    return n;
  }

  private expire(span: Tracked, why: string): void {
    if (!span.isRecording()) return;
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
    return { tracked: this.watched.length, expired: this.expiredCount, evicted: this.evictedCount };
  }

  /** Stops the timer and forgets the watched spans (they are not ended: the provider is going away). */
  shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched = [];
    return Promise.resolve();
  }
}
