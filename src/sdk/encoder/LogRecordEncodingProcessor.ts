import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadableLogRecord, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { encodeLogRecord } from './encodeLogRecord.ts';
import { EncodingBatcher, type EncodingBatcherOptions } from './EncodingBatcher.ts';

/**
 * A batch log record processor that encodes each record into OTLP protobuf
 * when it is emitted, into the current request (see SpanEncodingProcessor):
 * the record object is not held until its batch is exported. The bytes
 * decode to what the stock ProtobufLogsSerializer makes of the same records.
 *
 * @example
 * new LoggerProvider({ processors: [new LogRecordEncodingProcessor({ exporter, drops, ...config.logging.batch })] });
 */
export class LogRecordEncodingProcessor implements LogRecordProcessor {
  private readonly batcher: EncodingBatcher<ReadableLogRecord>;

  constructor(options: Omit<EncodingBatcherOptions, 'signal'>) {
    this.batcher = new EncodingBatcher<ReadableLogRecord>(encodeLogRecord, { ...options, signal: 'logs' });
  }

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    this.batcher.add(record as unknown as ReadableLogRecord);
  }

  forceFlush(): Promise<void> {
    return this.batcher.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batcher.shutdown();
  }
}
