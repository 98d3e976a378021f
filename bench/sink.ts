/**
 * A local telemetry sink for the benchmarks: answers 200 to every request
 * (OTLP/HTTP traces, logs, metrics; the Datadog agent's trace intake) and
 * counts what it received, so the report can say how many spans and log
 * records were actually exported per request served. Runs in its own process.
 *
 *   node build/bench/sink.js <port>
 *   GET /__stats   -> JSON counters      POST /__reset -> zero them
 */
import * as http from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface SinkStats {
  /** Requests per path (`/v1/traces`, `/v0.4/traces`, …). */
  requests: Record<string, number>;
  bytes: number;
  spans: number;
  logRecords: number;
  metricPoints: number;
  /** Datadog traces, from the X-Datadog-Trace-Count header. */
  ddTraces: number;
  /** Bodies that could not be counted (unknown encoding). */
  undecoded: number;
}

export function emptyStats(): SinkStats {
  return { requests: {}, bytes: 0, spans: 0, logRecords: 0, metricPoints: 0, ddTraces: 0, undecoded: 0 };
}

/** Each length-delimited field `field` of a protobuf message, as sub-buffers. */
function* lengthDelimited(buf: Uint8Array, field: number): Generator<Uint8Array> {
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key & 7;
    const f = Math.floor(key / 8);
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (f === field) yield buf.subarray(i, i + len);
      i += len;
    } else return; // groups: not used by OTLP
  }
}

/**
 * Items at depth 3 of an OTLP export request: traces and logs share the
 * shape request{1: Resource*{2: Scope*{2: item}}}.
 */
export function countOtlpProtobuf(body: Uint8Array): number {
  let n = 0;
  for (const res of lengthDelimited(body, 1)) {
    for (const scope of lengthDelimited(res, 2)) {
      for (const _ of lengthDelimited(scope, 2)) n++;
    }
  }
  return n;
}

/** The same count for OTLP/JSON bodies. */
export function countOtlpJson(body: unknown, kind: 'spans' | 'logs'): number {
  const b = body as Record<string, { [k: string]: { [k: string]: unknown[] }[] }[]>;
  const [outer, inner, leaf] = kind === 'spans' ? ['resourceSpans', 'scopeSpans', 'spans'] : ['resourceLogs', 'scopeLogs', 'logRecords'];
  let n = 0;
  for (const r of b[outer] ?? []) for (const s of (r[inner] as unknown as { [k: string]: unknown[] }[]) ?? []) n += s[leaf]?.length ?? 0;
  return n;
}

export function startSink(port: number, host = '127.0.0.1'): Promise<http.Server> {
  let stats = emptyStats();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/__stats') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(stats));
        return;
      }
      if (path === '/__reset') {
        stats = emptyStats();
        res.end('{}');
        return;
      }
      let body = Buffer.concat(chunks);
      stats.requests[path] = (stats.requests[path] ?? 0) + 1;
      stats.bytes += body.length;
      try {
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const json = String(req.headers['content-type'] ?? '').includes('json');
        if (path.endsWith('/v1/traces')) stats.spans += json ? countOtlpJson(JSON.parse(body.toString()), 'spans') : countOtlpProtobuf(body);
        else if (path.endsWith('/v1/logs')) stats.logRecords += json ? countOtlpJson(JSON.parse(body.toString()), 'logs') : countOtlpProtobuf(body);
        else if (path.endsWith('/v1/metrics')) stats.metricPoints += 1;
        const dd = req.headers['x-datadog-trace-count'];
        if (dd !== undefined) stats.ddTraces += Number(dd) || 0;
      } catch {
        stats.undecoded++;
      }
      // Each client parses the answer: an OTLP/protobuf exporter an (empty) protobuf
      // Export*ServiceResponse, an OTLP/JSON one a JSON object, the Datadog tracer
      // its agent's JSON. A wrong body makes the exporter log a warning per export.
      if (path.startsWith('/v0.')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"rate_by_service":{}}');
      } else if (String(req.headers['content-type'] ?? '').includes('json')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 4318);
  startSink(port).then(
    () => process.stdout.write(`sink listening on 127.0.0.1:${port}\n`),
    (err: Error) => {
      process.stderr.write(`sink: ${err.message}\n`);
      process.exit(1);
    },
  );
  process.on('SIGTERM', () => process.exit(0));
}
