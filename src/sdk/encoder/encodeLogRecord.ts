import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { writeAnyValue, type AttributeEncoder } from './encodeAttributes.ts';
import type { ProtoWriter } from './ProtoWriter.ts';

/**
 * Writes one LogRecord message (logs.proto), its fields in the order and
 * with the presence rules of otlp-transformer's ProtobufLogsSerializer, so
 * that both decode to the same message.
 */
export function encodeLogRecord(w: ProtoWriter, attrs: AttributeEncoder, record: ReadableLogRecord): void {
  w.byte(0x09);
  w.hrTime(record.hrTime);
  const severity = record.severityNumber;
  // SeverityNumber.UNSPECIFIED is 0.
  if (severity !== undefined && severity !== 0) {
    w.byte(0x10);
    w.varint(severity);
  }
  if (record.severityText) {
    w.byte(0x1a);
    w.string(record.severityText);
  }
  if (record.body !== undefined) {
    w.byte(0x2a);
    const at = w.begin();
    writeAnyValue(w, record.body);
    w.end(at);
  }
  if (record.attributes) attrs.write(w, record.attributes, 6);
  w.byte(0x38);
  w.varint(record.droppedAttributesCount);
  const ctx = record.spanContext;
  if (ctx?.traceFlags) {
    w.byte(0x45);
    w.fixed32(ctx.traceFlags);
  }
  if (ctx?.traceId) {
    w.byte(0x4a);
    w.hexId(ctx.traceId);
  }
  if (ctx?.spanId) {
    w.byte(0x52);
    w.hexId(ctx.spanId);
  }
  w.byte(0x59);
  w.hrTime(record.hrTimeObserved);
  if (record.eventName) {
    w.byte(0x62);
    w.string(record.eventName);
  }
}
