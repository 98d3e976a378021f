import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { TelemetryDrops, TelemetrySignal } from './TelemetryDrops.ts';

/** What the span and log record exporters have in common. */
export interface BatchExporter<T> {
  export(items: T[], resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface BoundedExporterOptions {
  signal: TelemetrySignal;
  drops: TelemetryDrops;
  /**
   * Batches allowed to wait behind the one being sent; more are failed at
   * once (counted as `queue_full`). Default 4 (a full default batch queue:
   * 2048 / 512), so a forceFlush of a full queue is delivered whole.
   */
  maxWaitingBatches?: number;
}

/**
 * Sends one batch at a time, and holds at most a bounded number waiting.
 *
 * Why (measured, issue 9): the BatchSpanProcessor of sdk-trace 3.1 loses its
 * "one export at a time" guard whenever an export fails — its `finally`
 * starts the next export and its `catch` then clears the in-flight flag of
 * that new one — so with a collector that refuses or hangs, each failed
 * export adds another parallel export chain. Every pending export holds its
 * batch of spans and its serialized request for the exporter's retry window
 * (up to OTEL_EXPORTER_OTLP_TIMEOUT), up to the exporter's 30 concurrent
 * sends: about 15,000 spans, which is the RSS the plain SDK grew by with a
 * refusing collector. Here in-flight memory is at most
 * (1 + maxWaitingBatches) batches, whatever the processor does, and every
 * batch that is not delivered is counted.
 */
export class BoundedExporter<T> implements BatchExporter<T> {
  private readonly inner: BatchExporter<T>;
  private readonly signal: TelemetrySignal;
  private readonly drops: TelemetryDrops;
  private readonly maxWaiting: number;
  private readonly waiting: { items: T[]; cb: (r: ExportResult) => void }[] = [];
  private sending = false;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(inner: BatchExporter<T>, options: BoundedExporterOptions) {
    this.inner = inner;
    this.signal = options.signal;
    this.drops = options.drops;
    this.maxWaiting = options.maxWaitingBatches ?? 4;
  }

  export(items: T[], resultCallback: (result: ExportResult) => void): void {
    if (this.closed) {
      this.drops.add(this.signal, 'export_failed', items.length);
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    if (this.sending) {
      if (this.waiting.length >= this.maxWaiting) {
        this.drops.add(this.signal, 'queue_full', items.length);
        resultCallback({ code: ExportResultCode.FAILED, error: new ExportQueueFullError(this.signal) });
        return;
      }
      this.waiting.push({ items, cb: resultCallback });
      return;
    }
    this.send(items, resultCallback);
  }

  private send(items: T[], cb: (r: ExportResult) => void): void {
    this.sending = true;
    let done = false;
    const finish = (r: ExportResult): void => {
      if (done) return;
      done = true;
      if (r.code !== ExportResultCode.SUCCESS) this.drops.add(this.signal, 'export_failed', items.length);
      try {
        cb(r);
      } finally {
        this.next();
      }
    };
    try {
      this.inner.export(items, finish);
    } catch (err) {
      finish({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  private next(): void {
    const w = this.waiting.shift();
    if (w) {
      this.send(w.items, w.cb);
      return;
    }
    this.sending = false;
    const idle = this.idle;
    this.idle = [];
    for (const f of idle) f();
  }

  /** Batches waiting (not counting the one being sent). */
  get waitingBatches(): number {
    return this.waiting.length;
  }

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
    super(`${signal} export queue full: the collector is slower than the app or unreachable; batch dropped`);
    this.name = 'ExportQueueFullError';
  }
}
