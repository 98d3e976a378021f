/**
 * A real OTLP/HTTP receiver for the tests: a node:http server on 127.0.0.1
 * that decodes what exporters send (JSON or protobuf, gzip or not) into
 * plain objects. It answers like a collector (200 with an empty response
 * body) unless told to fail.
 */
import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeProtobuf, type Signal } from './otlpFullProto.ts';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Record<string, AttrValue>;
  droppedAttributesCount: number;
  events: { name: string; attributes: Record<string, AttrValue> }[];
  links: { traceId: string; spanId: string }[];
  status: { code: number; message: string };
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
}

export interface ReceivedLog {
  traceId: string;
  spanId: string;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Record<string, AttrValue>;
  droppedAttributesCount: number;
  timeUnixNano: string;
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
}

export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'other';
  /** Sums and histograms. */
  temporality?: 'delta' | 'cumulative';
  dataPoints: { attributes: Record<string, AttrValue>; value?: number; count?: number; sum?: number; bucketCounts?: number[]; explicitBounds?: number[] }[];
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
}

export interface ReceivedRequest {
  signal: Signal;
  contentType: string;
  headers: http.IncomingHttpHeaders;
  bytes: number;
}

export interface OtlpReceiver {
  /** Base URL, e.g. http://127.0.0.1:43211 (set OTEL_EXPORTER_OTLP_ENDPOINT to it). */
  readonly url: string;
  readonly port: number;
  spans(): ReceivedSpan[];
  logs(): ReceivedLog[];
  metrics(): ReceivedMetric[];
  requests(): ReceivedRequest[];
  /** Resolves when `pred()` holds, polling; rejects with a description after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Makes the next requests answer with this status (and optional headers); undefined resets. */
  failWith(status: number | undefined, headers?: Record<string, string>): void;
  clear(): void;
  close(): Promise<void>;
}

/** OTLP AggregationTemporality: 1 DELTA, 2 CUMULATIVE (a number in JSON and protobuf, a name from some encoders). */
function temporalityOf(v: unknown): 'delta' | 'cumulative' | undefined {
  if (v === 1 || v === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (v === 2 || v === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return undefined;
}

function hex(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') {
    // OTLP/JSON carries ids as hex; some encoders use base64.
    if (/^[0-9a-f]*$/i.test(v)) return v.toLowerCase();
    return Buffer.from(v, 'base64').toString('hex');
  }
  if (Array.isArray(v) || v instanceof Uint8Array) return Buffer.from(v as number[]).toString('hex');
  return '';
}

export function anyValue(v: any): AttrValue {
  if (v === undefined || v === null) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return hex(v.bytesValue);
  return null;
}

export function attrs(list: any[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function scopeOf(s: any): { name: string; version: string } {
  return { name: s?.name ?? '', version: s?.version ?? '' };
}

function numberPoints(points: any[] | undefined) {
  return (points ?? []).map((p: any) => ({
    attributes: attrs(p.attributes),
    value: p.asDouble !== undefined ? Number(p.asDouble) : p.asInt !== undefined ? Number(p.asInt) : undefined,
  }));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: ReceivedRequest[] = [];
  let failure: { status: number; headers: Record<string, string> } | undefined;

  const ingest = (signal: Signal, body: any) => {
    if (signal === 'traces') {
      for (const rs of body.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              traceState: s.traceState ?? '',
              name: s.name ?? '',
              kind: Number(s.kind ?? 0),
              startTimeUnixNano: String(s.startTimeUnixNano ?? ''),
              endTimeUnixNano: String(s.endTimeUnixNano ?? ''),
              attributes: attrs(s.attributes),
              droppedAttributesCount: Number(s.droppedAttributesCount ?? 0),
              events: (s.events ?? []).map((e: any) => ({ name: e.name, attributes: attrs(e.attributes) })),
              links: (s.links ?? []).map((l: any) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
              status: { code: Number(s.status?.code ?? 0), message: s.status?.message ?? '' },
              resource,
              scope: scopeOf(ss.scope),
            });
          }
        }
      }
    } else if (signal === 'logs') {
      for (const rl of body.resourceLogs ?? []) {
        const resource = attrs(rl.resource?.attributes);
        for (const sl of rl.scopeLogs ?? []) {
          for (const l of sl.logRecords ?? []) {
            logs.push({
              traceId: hex(l.traceId),
              spanId: hex(l.spanId),
              severityNumber: Number(l.severityNumber ?? 0),
              severityText: l.severityText ?? '',
              body: anyValue(l.body),
              attributes: attrs(l.attributes),
              droppedAttributesCount: Number(l.droppedAttributesCount ?? 0),
              timeUnixNano: String(l.timeUnixNano ?? ''),
              resource,
              scope: scopeOf(sl.scope),
            });
          }
        }
      }
    } else {
      for (const rm of body.resourceMetrics ?? []) {
        const resource = attrs(rm.resource?.attributes);
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            const base = { name: m.name, description: m.description ?? '', unit: m.unit ?? '', resource, scope: scopeOf(sm.scope) };
            if (m.gauge) metrics.push({ ...base, kind: 'gauge', dataPoints: numberPoints(m.gauge.dataPoints) });
            else if (m.sum) metrics.push({ ...base, kind: 'sum', temporality: temporalityOf(m.sum.aggregationTemporality), dataPoints: numberPoints(m.sum.dataPoints) });
            else if (m.histogram)
              metrics.push({
                ...base,
                kind: 'histogram',
                temporality: temporalityOf(m.histogram.aggregationTemporality),
                dataPoints: (m.histogram.dataPoints ?? []).map((p: any) => ({
                  attributes: attrs(p.attributes),
                  count: Number(p.count ?? 0),
                  sum: Number(p.sum ?? 0),
                  bucketCounts: (p.bucketCounts ?? []).map(Number),
                  explicitBounds: (p.explicitBounds ?? []).map(Number),
                })),
              });
            else metrics.push({ ...base, kind: 'other', dataPoints: [] });
          }
        }
      }
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const signal: Signal | undefined = path.endsWith('/v1/traces')
        ? 'traces'
        : path.endsWith('/v1/logs')
          ? 'logs'
          : path.endsWith('/v1/metrics')
            ? 'metrics'
            : undefined;
      if (req.method !== 'POST' || !signal) {
        res.writeHead(404).end();
        return;
      }
      if (failure) {
        res.writeHead(failure.status, failure.headers).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      try {
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const ct = String(req.headers['content-type'] ?? '');
        const body = ct.includes('json') ? JSON.parse(raw.toString('utf8')) : decodeProtobuf(signal, raw);
        requests.push({ signal, contentType: ct, headers: req.headers, bytes: raw.length });
        ingest(signal, body);
        res.writeHead(200, { 'Content-Type': ct.includes('json') ? 'application/json' : 'application/x-protobuf' });
        res.end(ct.includes('json') ? '{}' : undefined);
      } catch (err) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String((err as Error).message));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    spans: () => spans,
    logs: () => logs,
    metrics: () => metrics,
    requests: () => requests,
    async waitFor(pred, timeoutMs = 10000, what = 'condition') {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; received ${spans.length} spans, ${logs.length} logs, ${metrics.length} metrics`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    failWith(status, headers = {}) {
      failure = status === undefined ? undefined : { status, headers };
    },
    clear() {
      spans.length = 0;
      logs.length = 0;
      metrics.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
