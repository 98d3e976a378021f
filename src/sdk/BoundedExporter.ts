import { ExportResultCode, globalErrorHandler, type ExportResult } from '@opentelemetry/core';
import { exportError } from './exportErrorHandler.ts';
import type { TelemetryDrops, TelemetrySignal } from './TelemetryDrops.ts';
import { onRetryWait } from './internals/otlp-exporter-base.ts';

/** What the span and log record exporters have in common. */
export interface BatchExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface BoundedExporterOptions<T = unknown> {
  signal: TelemetrySignal;
  drops: TelemetryDrops;
  /**
   * Batches allowed to wait behind the one being sent during a flush
   * (forceFlush, shutdown: the processor then hands over its whole queue at
   * once). Default 4 (a full default batch queue: 2048 / 512). Outside a
   * flush the processor sends one batch at a time, and one more may wait at
   * the door (see maxHoldMs): a queue here would only hold more spans
   * during an outage.
   */
  maxWaitingBatches?: number;
  /**
   * How long the processor is kept waiting for a batch's answer once the
   * app has stopped producing (default 2000 ms; while the processor's own
   * queue keeps overflowing it is kept waiting). Past it the processor is
   * released and the batch stays here. The processors' per-export timer (a
   * plain ref()ed setTimeout of OTEL_BSP_EXPORT_TIMEOUT, 30 s, in
   * sdk-trace/sdk-logs 3.1) is what would keep a finished app alive while a
   * collector hangs. While the app produces, a waiting processor is what we
   * want: it drops new items at its own queue at once, so they die young
   * instead of being promoted by V8 (docs/RELIABILITY.md).
   */
  maxHoldMs?: number;
  /** Items in a batch, for the drop counts (default: its length; a batch of encoded requests counts their items). */
  countItems?: (items: T[]) => number;
  /**
   * Release the processor at once, instead of after `maxHoldMs`, while the
   * batch in flight waits before a retry (a refused connection, a 503) and
   * the processor's queue is not overflowing. For the SDK's batch
   * processors: their per-export timer is ref()ed, so holding them through
   * a backoff keeps a finished program from reaching its final flush, the
   * one that ends a refused export at once.
   */
  releaseOnRetryWait?: boolean;
}

interface Batch<T> {
  items: T[];
  release: () => void;
  /** Releases now unless the processor's queue overflowed since it was last looked at. */
  settle: () => void;
}

/**
 * Sends one batch at a time, holds a bounded number waiting, and accounts
 * for every item: delivered, or counted in `wundr_otel_telemetry_dropped_total`
 * and reported (rate-limited) through the global error handler.
 *
 * Why: the BatchSpanProcessor of sdk-trace 3.1 loses its "one export at a
 * time" guard whenever an export fails, so a collector that refuses or hangs
 * makes parallel export chains, each holding its batch for the retry window
 * (the mechanism and the figures: docs/RELIABILITY.md, "What we found and
 * changed"). Here:
 * - in flight: one batch; one more at the door (sent next); during a
 *   flush, up to `maxWaitingBatches` waiting as well; anything more is
 *   dropped at once (the processor only sends more once released);
 * - the processor is always answered SUCCESS (after the send, or after
 *   `maxHoldMs`): it never sees a failure, so its parallel chains never
 *   start; failures are counted and reported here instead.
 */
export class BoundedExporter<T> implements BatchExporter<T> {
  private readonly inner: BatchExporter<T>;
  private readonly signal: TelemetrySignal;
  private readonly drops: TelemetryDrops;
  private readonly maxWaiting: number;
  private readonly maxHoldMs: number;
  private readonly waiting: Batch<T>[] = [];
  /** A batch that arrived while one was in flight: sent next. */
  private door: Batch<T> | undefined;
  private sending = false;
  private idle: (() => void)[] = [];
  private closed = false;
  private flushes = 0;
  private queueFullError: Error | undefined;
  private readonly count: (items: T[]) => number;
  private current: Batch<T> | undefined;
  /** The batch in flight waits before its next attempt: nothing of it is on the network. */
  private retryWaiting = false;

  constructor(inner: BatchExporter<T>, options: BoundedExporterOptions<T>) {
    this.inner = inner;
    this.signal = options.signal;
    this.drops = options.drops;
    this.maxWaiting = options.maxWaitingBatches ?? 4;
    this.maxHoldMs = options.maxHoldMs ?? 2000;
    this.count = options.countItems ?? ((items) => items.length);
    if (options.releaseOnRetryWait) onRetryWait(inner, () => this.onRetryWait());
  }

  private onRetryWait(): void {
    if (!this.sending) return;
    this.retryWaiting = true;
    for (const b of [this.current, this.door, ...this.waiting]) b?.settle();
  }

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    if (this.closed) {
      this.drops.add(this.signal, 'export_failed', this.count(items));
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    let answered = false;
    let hold: NodeJS.Timeout | undefined;
    const release = (): void => {
      if (answered) return;
      answered = true;
      clearTimeout(hold);
      resultCallback({ code: ExportResultCode.SUCCESS });
    };
    // While the app keeps producing (the processor's own queue is full and
    // dropping), keep the processor waiting: it then drops new items at
    // once, and they die young. Once it stops, release it; the batch stays
    // here, in flight or at the door.
    let mark = this.drops.get(this.signal, 'queue_full');
    const check = (): void => {
      const now = this.drops.get(this.signal, 'queue_full');
      if (now === mark) return release();
      mark = now;
      hold = setTimeout(check, this.maxHoldMs);
      hold.unref();
    };
    const settle = (): void => {
      if (this.drops.get(this.signal, 'queue_full') === mark) release();
    };
    const batch: Batch<T> = { items, release, settle };
    hold = setTimeout(check, this.maxHoldMs);
    hold.unref();
    if (!this.sending) this.send(batch);
    else if (this.flushes > 0 && this.waiting.length < this.maxWaiting) this.waiting.push(batch);
    else if (this.door === undefined) this.door = batch;
    else return this.dropFull(batch);
    if (this.retryWaiting && batch !== this.current) batch.settle();
  }

  private dropFull(batch: Batch<T>): void {
    this.drops.add(this.signal, 'queue_full', this.count(batch.items));
    globalErrorHandler(exportError(this.signal, (this.queueFullError ??= new ExportQueueFullError(this.signal))) as Error);
    batch.release();
  }

  private send(batch: Batch<T>): void {
    this.sending = true;
    this.current = batch;
    this.retryWaiting = false;
    let done = false;
    const finish = (r: ExportResult): void => {
      if (done) return;
      done = true;
      if (r.code !== ExportResultCode.SUCCESS) {
        this.drops.add(this.signal, 'export_failed', this.count(batch.items));
        globalErrorHandler(exportError(this.signal, r.error ?? new Error(`${this.signal} export failed`)) as Error);
      }
      try {
        batch.release();
      } finally {
        this.next();
      }
    };
    try {
      this.inner.export(batch.items, finish);
    } catch (err) {
      finish({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  private next(): void {
    if (this.door) {
      this.waiting.push(this.door);
      this.door = undefined;
    }
    const w = this.waiting.shift();
    if (w) {
      this.send(w);
      return;
    }
    this.sending = false;
    this.current = undefined;
    this.retryWaiting = false;
    const idle = this.idle;
    this.idle = [];
    for (const f of idle) f();
  }

  /** Batches waiting (not counting the one being sent, counting the one at the door). */
  get waitingBatches(): number {
    return this.waiting.length + (this.door ? 1 : 0);
  }

  /**
   * Opens the waiting queue for a flush (forceFlush, shutdown): the
   * processors then hand over their whole queues at once. Pair each call
   * with {@link closeAfterFlush}, except at shutdown.
   */
  openForFlush(): void {
    this.flushes++;
  }

  closeAfterFlush(): void {
    if (this.flushes > 0) this.flushes--;
  }

  /** Resolves once every batch taken so far has been sent (or given up on). */
  async forceFlush(): Promise<void> {
    if (this.sending) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.inner.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    this.closed = true;
    await this.inner.shutdown();
  }
}

export class ExportQueueFullError extends Error {
  constructor(signal: string) {
    super(`${signal} export queue full: the collector is slower than the app or unreachable; batches are dropped`);
    this.name = 'ExportQueueFullError';
  }
}

/** Batches a processor's full queue makes: how many may wait during a flush. */
export function waitingBatches(batch: { maxQueueSize: number; maxExportBatchSize: number }): number {
  return Math.max(1, Math.ceil(batch.maxQueueSize / batch.maxExportBatchSize));
}
