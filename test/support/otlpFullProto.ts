/**
 * The complete OTLP v1 messages (opentelemetry-proto common, resource,
 * trace, logs and metrics .proto: every field, with its number and type),
 * as a protobufjs JSON descriptor. The test receiver decodes with it, and
 * the encoder tests compare two encoders' output field for field.
 */
import * as protobuf from 'protobufjs';

const kv = { rule: 'repeated', type: 'KeyValue' } as const;

const descriptor = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { ...kv, id: 1 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: { ...kv, id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        EntityRef: {
          fields: {
            schemaUrl: { type: 'string', id: 1 },
            type: { type: 'string', id: 2 },
            idKeys: { rule: 'repeated', type: 'string', id: 3 },
            descriptionKeys: { rule: 'repeated', type: 'string', id: 4 },
          },
        },
        Resource: {
          fields: { attributes: { ...kv, id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 }, entityRefs: { rule: 'repeated', type: 'EntityRef', id: 3 } },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: { ...kv, id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            attributes: { ...kv, id: 4 },
            droppedAttributesCount: { type: 'uint32', id: 5 },
            flags: { type: 'fixed32', id: 6 },
          },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            flags: { type: 'fixed32', id: 16 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { ...kv, id: 9 },
            droppedAttributesCount: { type: 'uint32', id: 10 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            droppedEventsCount: { type: 'uint32', id: 12 },
            links: { rule: 'repeated', type: 'Link', id: 13 },
            droppedLinksCount: { type: 'uint32', id: 14 },
            status: { type: 'Status', id: 15 },
          },
        },
        ScopeSpans: {
          fields: { scope: { type: 'InstrumentationScope', id: 1 }, spans: { rule: 'repeated', type: 'Span', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ResourceSpans: {
          fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
        LogRecord: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            observedTimeUnixNano: { type: 'fixed64', id: 11 },
            severityNumber: { type: 'int32', id: 2 },
            severityText: { type: 'string', id: 3 },
            body: { type: 'AnyValue', id: 5 },
            attributes: { ...kv, id: 6 },
            droppedAttributesCount: { type: 'uint32', id: 7 },
            flags: { type: 'fixed32', id: 8 },
            traceId: { type: 'bytes', id: 9 },
            spanId: { type: 'bytes', id: 10 },
            eventName: { type: 'string', id: 12 },
          },
        },
        ScopeLogs: {
          fields: { scope: { type: 'InstrumentationScope', id: 1 }, logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ResourceLogs: {
          fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
        Exemplar: {
          fields: {
            filteredAttributes: { ...kv, id: 7 },
            timeUnixNano: { type: 'fixed64', id: 2 },
            asDouble: { type: 'double', id: 3 },
            asInt: { type: 'sfixed64', id: 6 },
            spanId: { type: 'bytes', id: 4 },
            traceId: { type: 'bytes', id: 5 },
          },
        },
        NumberDataPoint: {
          fields: {
            attributes: { ...kv, id: 7 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            timeUnixNano: { type: 'fixed64', id: 3 },
            asDouble: { type: 'double', id: 4 },
            asInt: { type: 'sfixed64', id: 6 },
            exemplars: { rule: 'repeated', type: 'Exemplar', id: 5 },
            flags: { type: 'uint32', id: 8 },
          },
        },
        HistogramDataPoint: {
          fields: {
            attributes: { ...kv, id: 9 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            timeUnixNano: { type: 'fixed64', id: 3 },
            count: { type: 'fixed64', id: 4 },
            sum: { type: 'double', id: 5 },
            bucketCounts: { rule: 'repeated', type: 'fixed64', id: 6 },
            explicitBounds: { rule: 'repeated', type: 'double', id: 7 },
            exemplars: { rule: 'repeated', type: 'Exemplar', id: 8 },
            flags: { type: 'uint32', id: 10 },
            min: { type: 'double', id: 11 },
            max: { type: 'double', id: 12 },
          },
        },
        Buckets: { fields: { offset: { type: 'sint32', id: 1 }, bucketCounts: { rule: 'repeated', type: 'uint64', id: 2 } } },
        ExponentialHistogramDataPoint: {
          fields: {
            attributes: { ...kv, id: 1 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            timeUnixNano: { type: 'fixed64', id: 3 },
            count: { type: 'fixed64', id: 4 },
            sum: { type: 'double', id: 5 },
            scale: { type: 'sint32', id: 6 },
            zeroCount: { type: 'fixed64', id: 7 },
            positive: { type: 'Buckets', id: 8 },
            negative: { type: 'Buckets', id: 9 },
            flags: { type: 'uint32', id: 10 },
            exemplars: { rule: 'repeated', type: 'Exemplar', id: 11 },
            min: { type: 'double', id: 12 },
            max: { type: 'double', id: 13 },
            zeroThreshold: { type: 'double', id: 14 },
          },
        },
        ValueAtQuantile: { fields: { quantile: { type: 'double', id: 1 }, value: { type: 'double', id: 2 } } },
        SummaryDataPoint: {
          fields: {
            attributes: { ...kv, id: 7 },
            startTimeUnixNano: { type: 'fixed64', id: 2 },
            timeUnixNano: { type: 'fixed64', id: 3 },
            count: { type: 'fixed64', id: 4 },
            sum: { type: 'double', id: 5 },
            quantileValues: { rule: 'repeated', type: 'ValueAtQuantile', id: 6 },
            flags: { type: 'uint32', id: 8 },
          },
        },
        Gauge: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 } } },
        Sum: {
          fields: {
            dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 },
            aggregationTemporality: { type: 'int32', id: 2 },
            isMonotonic: { type: 'bool', id: 3 },
          },
        },
        Histogram: {
          fields: { dataPoints: { rule: 'repeated', type: 'HistogramDataPoint', id: 1 }, aggregationTemporality: { type: 'int32', id: 2 } },
        },
        ExponentialHistogram: {
          fields: { dataPoints: { rule: 'repeated', type: 'ExponentialHistogramDataPoint', id: 1 }, aggregationTemporality: { type: 'int32', id: 2 } },
        },
        Summary: { fields: { dataPoints: { rule: 'repeated', type: 'SummaryDataPoint', id: 1 } } },
        Metric: {
          fields: {
            name: { type: 'string', id: 1 },
            description: { type: 'string', id: 2 },
            unit: { type: 'string', id: 3 },
            gauge: { type: 'Gauge', id: 5 },
            sum: { type: 'Sum', id: 7 },
            histogram: { type: 'Histogram', id: 9 },
            exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
            summary: { type: 'Summary', id: 11 },
            metadata: { ...kv, id: 12 },
          },
        },
        ScopeMetrics: {
          fields: { scope: { type: 'InstrumentationScope', id: 1 }, metrics: { rule: 'repeated', type: 'Metric', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ResourceMetrics: {
          fields: { resource: { type: 'Resource', id: 1 }, scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ExportMetricsServiceRequest: { fields: { resourceMetrics: { rule: 'repeated', type: 'ResourceMetrics', id: 1 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);

export type Signal = 'traces' | 'logs' | 'metrics';
const TYPES: Record<Signal, protobuf.Type> = {
  traces: root.lookupType('otlp.ExportTraceServiceRequest'),
  logs: root.lookupType('otlp.ExportLogsServiceRequest'),
  metrics: root.lookupType('otlp.ExportMetricsServiceRequest'),
};

/** Decodes a protobuf export request into the same shape as OTLP/JSON (bytes as byte arrays, 64-bit ints as strings). */
export function decodeProtobuf(signal: Signal, body: Buffer): Record<string, unknown> {
  const msg = TYPES[signal].decode(body);
  return TYPES[signal].toObject(msg, { longs: String, bytes: Array, defaults: false, oneofs: false }) as Record<string, unknown>;
}

/** Encodes an OTLP/JSON-shaped export request (ids as byte arrays or Buffers) as protobuf. */
export function encodeProtobuf(signal: Signal, body: Record<string, unknown>): Buffer {
  const type = TYPES[signal];
  return Buffer.from(type.encode(type.fromObject(body)).finish());
}

/**
 * Decodes an export request, every field that was present (explicit zeros
 * included), 64-bit integers as decimal strings and bytes as base64.
 * Throws on bytes that are not a valid message.
 */
export function decodeFull(signal: Signal, body: Uint8Array): Record<string, unknown> {
  const msg = TYPES[signal].decode(body);
  return TYPES[signal].toObject(msg, { longs: String, bytes: String, defaults: false, oneofs: false }) as Record<string, unknown>;
}
