/**
 * A property over the endpoint: any method, path, header set and body
 * (sizes, encodings, chunked or not, declared lengths that lie, slow
 * senders), sent as raw bytes over TCP. The server never crashes, never
 * answers 5xx (no collection fails here), keeps answering, and its memory
 * stays bounded. Bounded in runs and in time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import fc from 'fast-check';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { EndpointServer } from '../../src/endpoint/EndpointServer.ts';
import { HealthChecker } from '../../src/health/HealthChecker.ts';
import { healthRoutes } from '../../src/health/routes.ts';
import { logLevelRoutes, adaptLogLevelRegistry } from '../../src/health/logLevelRoutes.ts';
import { PrometheusScrape } from '../../src/endpoint/PrometheusScrape.ts';
import { createPrometheusSerializer } from '../../src/sdk/prometheusSerializer.ts';
import { send } from './support.ts';

interface Raw {
  method: string;
  path: string;
  headers: [string, string][];
  body: Uint8Array;
  chunked: boolean;
  /** Split points and pauses: a slow sender. */
  pieces: number;
  pauseMs: number;
}

/** Sends one raw request; resolves with the status line's code, 0 when the server closed without one. */
function rawRequest(port: number, r: Raw): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (code: number): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(code);
    };
    // A request that declares more body than it sends waits for the server's own timeouts: not ours to wait for.
    const timer = setTimeout(() => done(0), 1500);
    s.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      if (m && got.includes('\r\n\r\n')) done(Number(m[1]));
    });
    s.on('error', () => done(0));
    s.on('close', () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
      done(m ? Number(m[1]) : 0);
    });
    const head = [`${r.method} ${r.path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...r.headers.map(([k, v]) => `${k}: ${v}`)];
    let body = Buffer.from(r.body);
    if (r.chunked) {
      head.push('Transfer-Encoding: chunked');
      body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
    }
    const all = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
    const step = Math.max(1, Math.ceil(all.length / r.pieces));
    let off = 0;
    const next = (): void => {
      if (s.destroyed) return;
      s.write(all.subarray(off, off + step));
      off += step;
      if (off < all.length) setTimeout(next, r.pauseMs);
    };
    s.on('connect', next);
  });
}

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/);
// Weighted towards what the parser accepts, so most runs reach the routes.
const method = fc.oneof(
  { arbitrary: fc.constantFrom('GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'M-SEARCH', 'get', 'CONNECT'), weight: 8 },
  { arbitrary: token, weight: 1 },
  { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
);
const path = fc.oneof(
  { arbitrary: fc.constantFrom('/health', '/ready', '/live', '/loglevel', '/metrics', '/', '*', '/loglevel?x=1', '//health', '/health/../loglevel', '/%2e%2e/metrics', '/metrics#x'), weight: 6 },
  { arbitrary: fc.webPath(), weight: 2 },
  { arbitrary: fc.string({ maxLength: 50 }).map((s) => `/${encodeURIComponent(s)}`), weight: 1 },
  { arbitrary: fc.integer({ min: 1000, max: 20000 }).map((n) => `/${'a'.repeat(n)}`), weight: 1 },
);
const headerValue = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'gzip', 'deflate, br', 'Bearer x', '0', '-1', '99999999', 'chunked', '100-continue', ''), weight: 6 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((v) => v.replace(/[\r\n]/g, ' ')), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
);
const headerName = fc.oneof(
  { arbitrary: fc.constantFrom('Content-Type', 'Content-Type', 'Content-Length', 'Content-Encoding', 'Authorization', 'Origin', 'Expect', 'traceparent', 'tracestate', 'baggage', 'Transfer-Encoding', 'Accept-Encoding'), weight: 4 },
  { arbitrary: token, weight: 1 },
);
const body = fc.oneof(
  fc.constantFrom('{"level":"debug"}', '{"level":"info","component":"A"}', '{"reset":true}', '{"__proto__":{"x":1}}', 'null', '[]').map((s) => new TextEncoder().encode(s)),
  fc.uint8Array({ maxLength: 2048 }),
  fc.integer({ min: 4000, max: 200_000 }).map((n) => new Uint8Array(n).fill(0x7b)),
);
const hostile: fc.Arbitrary<Raw> = fc.record({
  method,
  path,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
  body,
  chunked: fc.boolean(),
  pieces: fc.integer({ min: 1, max: 6 }),
  pauseMs: fc.integer({ min: 0, max: 30 }),
});
/** Requests the parser accepts (right framing), so the routes themselves are driven. */
const framed: fc.Arbitrary<Raw> = fc
  .record({
    method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    path: fc.constantFrom('/health', '/ready', '/live', '/loglevel', '/metrics', '/nope', '/loglevel?x=1'),
    headers: fc.array(fc.tuple(fc.constantFrom('Content-Type', 'Authorization', 'Origin', 'traceparent', 'Content-Encoding', 'Accept'), headerValue.map((v) => v.replace(/[^\x20-\x7e]/g, ''))), { maxLength: 4 }),
    body,
    chunked: fc.boolean(),
    pieces: fc.integer({ min: 1, max: 6 }),
    pauseMs: fc.integer({ min: 0, max: 30 }),
  })
  .map((r) => (r.chunked ? r : { ...r, headers: [...r.headers, ['Content-Length', String(r.body.length)] as [string, string]] }));
const raw = fc.oneof(hostile, framed);

test('property: any request, sent any way, never crashes the endpoint nor gets a 5xx; memory stays bounded', async (t) => {
  let global = 'info';
  const comps = new Map<string, string>();
  const control = adaptLogLevelRegistry({
    getGlobalLevel: () => global,
    setGlobalLevel: (l: string) => void (global = l),
    getComponentLevels: () => Object.fromEntries(comps),
    setComponentLevel: (c: string, l: string) => void comps.set(c, l),
    clearComponentLevel: (c: string) => void comps.delete(c),
    reset: () => comps.clear(),
  });
  const reader = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const meterProvider = new MeterProvider({ readers: [reader] });
  meterProvider.getMeter('p').createCounter('prop_requests').add(1);
  // Ready and with no failing check: /ready and /health have no reason for their documented 503.
  const checker = new HealthChecker();
  checker.setReady(true);
  const server = new EndpointServer({ host: '127.0.0.1', port: 0 });
  for (const r of [...healthRoutes(checker), ...logLevelRoutes(() => control), new PrometheusScrape(reader, createPrometheusSerializer({ withoutScopeInfo: true })).route()]) server.addRoute(r);
  assert.equal(await server.start(), true);
  const port = server.port!;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  t.after(async () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
    await server.stop();
    await meterProvider.shutdown();
  });

  const statuses = new Map<number, number>();
  const heapBefore = process.memoryUsage().heapUsed;
  await fc.assert(
    fc.asyncProperty(raw, async (r) => {
      const status = await rawRequest(port, r);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      assert.ok(status < 500, `${status} for ${r.method} ${r.path.slice(0, 80)} ${JSON.stringify(r.headers).slice(0, 200)}`);
    }),
    { numRuns: 150, interruptAfterTimeLimit: 90_000, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
  );
  // Still serving, nothing thrown anywhere, no unbounded state.
  assert.equal((await send(port, 'GET', '/live')).status, 200);
  assert.equal((await send(port, 'GET', '/metrics')).status, 200);
  assert.deepEqual(uncaught, []);
  assert.ok(comps.size <= 256);
  const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  assert.ok(grownMb < 64, `heap grew ${grownMb.toFixed(1)} MiB over the run`);
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}, heap +${grownMb.toFixed(1)} MiB`);
});
