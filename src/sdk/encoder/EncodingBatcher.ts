import { context, diag } from '@opentelemetry/api';
import { suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { BatchExporter } from '../BoundedExporter.ts';
import type { TelemetryDrops, TelemetrySignal } from '../TelemetryDrops.ts';
import { BatchBuilder, type EncodedBatch, type Groupable, type ItemEncoder } from './BatchBuilder.ts';

/** A request is cut once its items take this many bytes, whatever their count (collectors' default limits start at 4 MiB). */
export const DEFAULT_MAX_BATCH_BYTES = 1 << 20;

export interface EncodingBatcherOptions {
  exporter: BatchExporter<EncodedBatch>;
  signal: TelemetrySignal;
  drops: TelemetryDrops;
  /** OTEL_BSP/BLRP_MAX_QUEUE_SIZE: items encoded and not yet handed to the exporter. */
  maxQueueSize: number;
  /** OTEL_BSP/BLRP_MAX_EXPORT_BATCH_SIZE: items per request. */
  maxExportBatchSize: number;
  /** OTEL_BSP/BLRP_SCHEDULE_DELAY: longest wait of an item before its request is sent. */
  scheduledDelayMillis: number;
  /** OTEL_BSP/BLRP_EXPORT_TIMEOUT: longest wait for the exporter's answer before the next request. */
  exportTimeoutMillis: number;
  maxBatchBytes?: number;
}

interface Pending {
  batch: EncodedBatch;
  done: (() => void)[];
}

/**
 * The batching half of the encoding processors: items are encoded into
 * the current request as they come, requests are cut by count, bytes or
 * delay, and handed to the exporter one at a time (the next one once the
 * previous is answered), as the SDK's batch processors do. What waits is
 * bytes, not SDK objects, bounded by `maxQueueSize` items; what does not
 * fit is dropped at once and counted as `queue_full`. Its timers are
 * unref()ed: it never keeps a process alive.
 */
export class EncodingBatcher<T extends Groupable> {
  private readonly o: Required<EncodingBatcherOptions>;
  private readonly builder: BatchBuilder<T>;
  private readonly ready: Pending[] = [];
  /** Items encoded and not yet handed to the exporter. */
  private queued = 0;
  private inFlight: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private warned = false;

  constructor(encodeItem: ItemEncoder<T>, options: EncodingBatcherOptions) {
    this.o = { maxBatchBytes: DEFAULT_MAX_BATCH_BYTES, ...options };
    this.builder = new BatchBuilder(encodeItem);
  }

  add(item: T): void {
    if (this.closed) return;
    if (this.queued >= this.o.maxQueueSize) {
      this.o.drops.add(this.o.signal, 'queue_full', 1);
      return;
    }
    try {
      this.builder.add(item);
    } catch (err) {
      // An item the encoder cannot read (not an SDK object): dropped, said once, never thrown at the app.
      this.o.drops.add(this.o.signal, 'export_failed', 1);
      if (!this.warned) {
        this.warned = true;
        diag.warn(`@wundr/otel: an item of ${this.o.signal} could not be encoded and was dropped: ${(err as Error)?.message ?? String(err)}`);
      }
      return;
    }
    this.queued++;
    if (this.builder.count >= this.o.maxExportBatchSize || this.builder.bytes >= this.o.maxBatchBytes) this.cut();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.cut();
      }, this.o.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  private cut(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.builder.count === 0) return;
    this.ready.push({ batch: this.builder.cut(), done: [] });
    this.pump();
  }

  private pump(): void {
    if (this.inFlight !== undefined) return;
    const p = this.ready.shift();
    if (p === undefined) return;
    this.inFlight = p;
    this.queued -= p.batch.count;
    let answered = false;
    const finish = (): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timeout);
      this.inFlight = undefined;
      for (const f of p.done) f();
      this.pump();
    };
    const timeout = setTimeout(finish, this.o.exportTimeoutMillis);
    timeout.unref();
    try {
      // As the SDK's batch processors do: the export's own HTTP request must not make spans (a loop).
      context.with(suppressTracing(context.active()), () => this.o.exporter.export([p.batch], (_r: ExportResult) => finish()));
    } catch {
      // The exporter counts and reports its own failures; the next request goes on.
      finish();
    }
  }

  /** Sends what was added so far; resolves once the exporter has answered for all of it. */
  forceFlush(): Promise<void> {
    this.cut();
    const last = this.ready.at(-1) ?? this.inFlight;
    if (last === undefined) return Promise.resolve();
    return new Promise((resolve) => last.done.push(resolve));
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    await this.forceFlush();
    this.closed = true;
    await this.o.exporter.shutdown();
  }
}
