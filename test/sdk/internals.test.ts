// Each library whose private members src/sdk/internals/ reaches: the pinned
// version has them where the module looks (these tests fail when an upgrade
// moves them), and an object built differently takes the fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { asyncLocalStorageOf } from '../../src/sdk/internals/context-async-hooks.ts';
import { serializerInternalsOf } from '../../src/sdk/internals/exporter-prometheus.ts';
import { paceRequestBodies, retryingTransportOf, unrefRetryTimers } from '../../src/sdk/internals/otlp-exporter-base.ts';
import { createPrometheusSerializer } from '../../src/sdk/prometheusSerializer.ts';
import { isApiPromise, isStainlessStream, observeStream } from '../../src/sdk/internals/stainless.ts';
import { WundrContextManager } from '../../src/sdk/WundrContextManager.ts';
import { OTLP_HTTP_EXPORTERS } from '../support/otlpHttpExporters.ts';

test('otlp-exporter-base: every OTLP/HTTP exporter has the retrying transport; its retry waits on an unref()ed timer', async () => {
  for (const [id, name] of OTLP_HTTP_EXPORTERS) {
    const Exporter = (require(id) as Record<string, new (o: object) => { shutdown(): Promise<void> }>)[name];
    const exporter = new Exporter({ url: 'http://127.0.0.1:9/v1/x' });
    const transport = retryingTransportOf(exporter);
    assert.ok(transport, `${id}: _delegate._transport is a retrying transport`);
    // Replace the network send to observe the timer the retry waits on.
    let sent = 0;
    transport._transport.send = async () => {
      sent++;
      return { status: 'success' };
    };
    assert.equal(unrefRetryTimers(exporter), true, id);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const retried = transport.retry(new Uint8Array(1), 1000, 5);
    // An unref()ed timer is not among the resources keeping the event loop alive.
    assert.equal(timers(), before, `${id}: the backoff timer does not hold the process`);
    await retried;
    assert.equal(sent, 1, `${id}: the retry sent once after the wait`);
    void exporter.shutdown();
  }
});

test('otlp-exporter-base: the HTTP transport inside the retrying one loads its request function in _loadUtils(); pacing swaps in a paced one', async () => {
  for (const [id, name] of OTLP_HTTP_EXPORTERS) {
    const Exporter = (require(id) as Record<string, new (o: object) => { shutdown(): Promise<void> }>)[name];
    const exporter = new Exporter({ url: 'http://127.0.0.1:9/v1/x' });
    const inner = retryingTransportOf(exporter)!._transport as unknown as { _loadUtils(): Promise<{ agent: unknown; request: unknown }> };
    const stock = await inner._loadUtils();
    assert.equal(stock.request, require('node:http').request, `${id}: the stock request function is node:http's`);
    assert.equal(paceRequestBodies(exporter), true, id);
    const paced = await inner._loadUtils();
    assert.equal(typeof paced.request, 'function');
    assert.notEqual(paced.request, stock.request, `${id}: the request function is wrapped`);
    assert.equal(paced.agent, stock.agent, `${id}: the agent is the stock transport's`);
    assert.equal((await inner._loadUtils()).request, paced.request, `${id}: wrapped once`);
    void exporter.shutdown();
  }
});

test('otlp-exporter-base: an exporter built differently is left as it is', () => {
  assert.equal(retryingTransportOf({}), undefined);
  assert.equal(unrefRetryTimers({}), false);
  assert.equal(unrefRetryTimers({ _delegate: { _transport: { retry: () => undefined } } }), false);
  assert.equal(paceRequestBodies({}), false);
  assert.equal(paceRequestBodies({ _delegate: { _transport: { retry: () => undefined, _transport: { send: () => undefined } } } }), false);
});

test('context-async-hooks: the context manager keeps its AsyncLocalStorage in _asyncLocalStorage', () => {
  const als = asyncLocalStorageOf(new AsyncLocalStorageContextManager());
  assert.ok(als instanceof AsyncLocalStorage);
  assert.equal(new WundrContextManager().canEnter, true);
  assert.equal(asyncLocalStorageOf({}), undefined);
  assert.equal(asyncLocalStorageOf({ _asyncLocalStorage: {} }), undefined);
});

test('exporter-prometheus: the serializer has its per-metric and per-point methods; ours replaces them, a different one is served stock', () => {
  const stock = new PrometheusSerializer(undefined, false, undefined, false, true);
  const internals = serializerInternalsOf(stock);
  assert.ok(internals, '_serializeMetricData, _serializeSingularDataPoint and _serializeHistogramDataPoint are methods');
  assert.equal(typeof internals._appendTimestamp, 'boolean', '_appendTimestamp is a flag');
  assert.equal(internals._withoutScopeInfo, true, '_withoutScopeInfo is the option');
  // serialize() sets the resource constant labels before it writes the metrics: none without the option.
  stock.serialize({ resource: { attributes: { a: 'b' } } as never, scopeMetrics: [] });
  assert.equal(internals._additionalAttributes, undefined, '_additionalAttributes without withResourceConstantLabels');
  const ours = serializerInternalsOf(createPrometheusSerializer({ withoutScopeInfo: true }));
  assert.ok(ours);
  assert.notEqual(ours._serializeMetricData, internals._serializeMetricData);
  assert.notEqual(ours._serializeSingularDataPoint, internals._serializeSingularDataPoint);
  assert.notEqual(ours._serializeHistogramDataPoint, internals._serializeHistogramDataPoint);
  assert.equal(serializerInternalsOf({} as PrometheusSerializer), undefined);
});

test('instrumentation-undici: the request hook the header replacement wraps is on the prototype', () => {
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
  assert.equal(typeof UndiciInstrumentation.prototype.onRequestCreated, 'function');
});

test('openai and @anthropic-ai/sdk: create() returns an APIPromise with parseResponse/responsePromise, streams read through their iterator field', async () => {
  const OpenAI = require('openai').default;
  const Anthropic = require('@anthropic-ai/sdk').default;
  // Port 9 (discard) refuses: the promise exists at once, the request then fails.
  const openai = new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: 'k', baseURL: 'http://127.0.0.1:9', maxRetries: 0 });
  const calls = [
    openai.chat.completions.create({ model: 'm', messages: [] }),
    anthropic.messages.create({ model: 'm', max_tokens: 1, messages: [] }),
  ];
  for (const p of calls) assert.equal(isApiPromise(p), true);
  await Promise.allSettled(calls);
  for (const id of ['openai/core/streaming', '@anthropic-ai/sdk/core/streaming']) {
    const { Stream } = require(id);
    const stream = new Stream(async function* () {
      yield 1;
      yield 2;
    }, new AbortController());
    assert.equal(isStainlessStream(stream), true, id);
    const seen: unknown[] = [];
    observeStream(stream, (source) =>
      (async function* () {
        for await (const v of source) {
          seen.push(v);
          yield v;
        }
      })(),
    );
    const got: unknown[] = [];
    for await (const v of stream) got.push(v);
    assert.deepEqual(got, [1, 2], `${id}: the caller reads the stream unchanged`);
    assert.deepEqual(seen, [1, 2], `${id}: every read goes through the observer`);
  }
  assert.equal(isApiPromise(Promise.resolve(1)), false);
  assert.equal(isStainlessStream({ [Symbol.asyncIterator]() {} }), false);
});
