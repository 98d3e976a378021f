/**
 * The log pipeline: exporter -> BoundedExporter -> BatchLogRecordProcessor (over
 * http/protobuf: LogRecordEncodingProcessor, encoding each record as it is emitted), and the logger provider.
 */
import { logs } from '@opentelemetry/api';
import { logs as legacyLogs } from '@opentelemetry/api-logs';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { WundrOtelConfig } from '../config.ts';
import type { SdkBuilder } from '../feature.ts';
import { BoundedExporter, waitingBatches } from './BoundedExporter.ts';
import { countEncoded, encodedOtlpExporter, encodesOtlp, load, otlpExporter } from './otlp.ts';
import { LogRecordEncodingProcessor } from './encoder/LogRecordEncodingProcessor.ts';
import type { TelemetryDrops } from './TelemetryDrops.ts';

/** Adds one processor per configured log record exporter (before the features add theirs). */
export function addLogPipelines(config: WundrOtelConfig, builder: SdkBuilder, drops: TelemetryDrops, bounded: BoundedExporter<unknown>[]): void {
  for (const name of config.logging.exporters) {
    if (name === 'otlp' && encodesOtlp(config.otlp.encoder, config.otlp.logs)) {
      // Records encoded as they are emitted (sdk/encoder/): the same bounded export, of requests instead of record lists.
      const exporter = new BoundedExporter(encodedOtlpExporter('logs', config.otlp.logs), {
        signal: 'logs',
        drops,
        maxWaitingBatches: waitingBatches(config.logging.batch),
        countItems: countEncoded,
      });
      bounded.push(exporter as BoundedExporter<unknown>);
      builder.logRecordProcessors.push(new LogRecordEncodingProcessor({ exporter, drops, ...config.logging.batch }));
      continue;
    }
    const inner: LogRecordExporter = name === 'otlp' ? otlpExporter('logs', config.otlp.logs) : new (load('@opentelemetry/sdk-logs').ConsoleLogRecordExporter)();
    const exporter = new BoundedExporter(inner, { signal: 'logs', drops, maxWaitingBatches: waitingBatches(config.logging.batch), releaseOnRetryWait: true });
    bounded.push(exporter as BoundedExporter<unknown>);
    builder.logRecordProcessors.push(
      new BatchLogRecordProcessor({ exporter, ...config.logging.batch, selfObsMeterProvider: drops.processorMeterProvider('logs') }),
    );
  }
}

/** The logger provider, registered under both logs APIs. */
export function startLogging(config: WundrOtelConfig, builder: SdkBuilder, owned: (() => void)[]): LoggerProvider {
  const loggerProvider = new LoggerProvider({
    resource: builder.resource,
    processors: builder.logRecordProcessors,
    logRecordLimits: { ...config.logging.limits },
  });
  if (logs.setGlobalLoggerProvider(loggerProvider)) owned.push(() => logs.disable());
  // Bridges and instrumentations that still emit through the older
  // @opentelemetry/api-logs global reach the same provider (it answers with the provider it keeps).
  if (legacyLogs.setGlobalLoggerProvider(loggerProvider as never) === (loggerProvider as never)) owned.push(() => legacyLogs.disable());
  return loggerProvider;
}
