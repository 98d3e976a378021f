/**
 * The HTTP server spans name a request by its method only when the semantic
 * conventions know it; any other method is `HTTP` (with
 * `http.request.method` `_OTHER` and the original kept in an attribute), so a
 * client cannot mint span names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { WundrContextManager } from '../../src/sdk/WundrContextManager.ts';
import { startHttpServerSpans } from '../../src/sdk/httpServerSpans.ts';
import { send } from './support.ts';

test('HTTP server spans: an unknown method is named HTTP, a known one by itself', async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const undo = startHttpServerSpans({ tracerProvider, contextManager: new WundrContextManager() });
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => {
    undo();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  for (const m of ['GET', 'PROPFIND', 'MKCOL', 'POST']) assert.equal((await send(port, m, `/x/${m}`)).status, 200);
  await tracerProvider.forceFlush();
  const spans = exporter.getFinishedSpans();
  assert.deepEqual(spans.map((s) => s.name), ['GET', 'HTTP', 'HTTP', 'POST']);
  assert.deepEqual(spans.map((s) => s.attributes['http.request.method']), ['GET', '_OTHER', '_OTHER', 'POST']);
  assert.deepEqual(spans.map((s) => s.attributes['http.request.method_original']), [undefined, 'PROPFIND', 'MKCOL', undefined]);
});
