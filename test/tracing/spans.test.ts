import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { AlwaysOffSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import {
  failSpan,
  runInSpan,
  startSpan,
  configureSpanHelpers,
} from '../../src/tracing/spans.ts';
import {
  recordSessionComplete,
  setChatUsage,
  startAgentSpan,
  startChatSpan,
  startMcpSpan,
  startToolSpan,
  startWsMessageSpan,
} from '../../src/tracing/agentSpans.ts';
import { SpanTtlTracker } from '../../src/tracing/SpanTtlTracker.ts';
import { CHANNELS } from '../../src/tracing/channels.ts';
import diagnostics_channel from 'node:diagnostics_channel';
import { parentId, setupTracing, spanId, type Harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('the seed §5.3 tree for one WS message: names, kinds, GenAI attributes, parent links, one trace id', async () => {
  h = setupTracing();
  const payload = { type: 'task', traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, text: 'check drift' };
  const { span: wsSpan, context: wsCtx } = startWsMessageSpan({ messageType: 'task', connectionId: 'c1', sizeBytes: 120, payload });
  await runInSpan(wsSpan, async () => {
    const agent = startAgentSpan({ agentName: 'coder', sessionId: 's1', sessionType: 'claude-code', orchestratorId: 'orch-1' });
    await runInSpan(agent, async () => {
      const chat = startChatSpan({ provider: 'anthropic', model: 'claude-sonnet-4' });
      await runInSpan(chat, async (s) => setChatUsage(s, { inputTokens: 120, outputTokens: 40, costUsd: 0.002, finishReasons: ['stop'] }));
      await runInSpan(startToolSpan({ toolName: 'drift_detection', callId: 'call_1' }), async () => {
        await runInSpan(startMcpSpan({ toolName: 'drift_detection', server: 'wundr-mcp' }), async () => 'ok');
      });
      await runInSpan(startChatSpan({ provider: 'anthropic', model: 'claude-sonnet-4' }), async () => 'ok');
      recordSessionComplete({ sessionId: 's1', exitReason: 'success', iterations: 2 });
    });
  }, wsCtx);

  const spans = h.spans();
  const by = (name: string) => spans.filter((s) => s.name === name);
  const ws = by('ws.message task')[0]!;
  const agent = by('invoke_agent coder')[0]!;
  const chats = by('chat claude-sonnet-4');
  const tool = by('execute_tool drift_detection')[0]!;
  const mcp = by('tools/call drift_detection')[0]!;
  const done = by('session.complete')[0]!;
  assert.equal(spans.length, 7);
  assert.ok(spans.every((s) => s.spanContext().traceId === TRACE), 'one trace id, taken from the WS payload');
  assert.equal(parentId(ws), '00f067aa0ba902b7');
  assert.equal(parentId(agent), spanId(ws));
  for (const c of chats) assert.equal(parentId(c), spanId(agent));
  assert.equal(parentId(tool), spanId(agent));
  assert.equal(parentId(mcp), spanId(tool));
  assert.equal(parentId(done), spanId(agent));
  assert.equal(ws.kind, SpanKind.SERVER);
  assert.equal(chats[0]!.kind, SpanKind.CLIENT);
  assert.equal(mcp.kind, SpanKind.CLIENT);
  assert.equal(agent.attributes['gen_ai.operation.name'], 'invoke_agent');
  assert.equal(agent.attributes['gen_ai.agent.name'], 'coder');
  assert.equal(chats[0]!.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(chats[0]!.attributes['gen_ai.provider.name'], 'anthropic');
  assert.equal(chats[0]!.attributes['gen_ai.request.model'], 'claude-sonnet-4');
  const usage = chats.find((c) => c.attributes['gen_ai.usage.input_tokens'] !== undefined)!;
  assert.equal(usage.attributes['gen_ai.usage.input_tokens'], 120);
  assert.equal(usage.attributes['gen_ai.usage.output_tokens'], 40);
  assert.equal(tool.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(tool.attributes['gen_ai.tool.name'], 'drift_detection');
  assert.equal(mcp.attributes['mcp.method.name'], 'tools/call');
  assert.equal(ws.attributes['wundr.ws.message_type'], 'task');
});

test('a WS message without context starts a root span, not a child of whatever is active', () => {
  h = setupTracing();
  const outer = startSpan('socket');
  context.with(trace.setSpan(context.active(), outer), () => {
    const { span } = startWsMessageSpan({ messageType: 'ping', payload: { traceparent: 'garbage' } });
    span.end();
  });
  outer.end();
  const ws = h.spans().find((s) => s.name === 'ws.message ping')!;
  assert.equal(ws.parentSpanContext, undefined);
  assert.notEqual(ws.spanContext().traceId, outer.spanContext().traceId);
});

test('errors set ERROR status, error.type and an exception event; the error is rethrown', async () => {
  h = setupTracing();
  class RateLimitError extends Error {
    code = 'rate_limited';
  }
  await assert.rejects(
    runInSpan(startChatSpan({ provider: 'openai', model: 'gpt-4o' }), async () => {
      throw new RateLimitError('429 Too Many Requests');
    }),
    /429/,
  );
  assert.throws(() => runInSpan(startToolSpan({ toolName: 't' }), () => {
    throw new TypeError('bad args');
  }), TypeError);
  const [chat, tool] = h.spans();
  assert.equal(chat!.status.code, SpanStatusCode.ERROR);
  assert.equal(chat!.status.message, '429 Too Many Requests');
  assert.equal(chat!.attributes['error.type'], 'rate_limited');
  assert.equal(chat!.events[0]?.name, 'exception');
  assert.equal(tool!.attributes['error.type'], 'TypeError');
  // A hostile error object cannot break failSpan.
  const s = startSpan('x');
  const evil = { get message() { throw new Error('no'); }, get name() { throw new Error('no'); } };
  assert.doesNotThrow(() => failSpan(s, evil));
  s.end();
});

test('children of an unsampled parent short-circuit to a non-recording view of the parent', async () => {
  h = setupTracing();
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '1111111111111111', traceFlags: TraceFlags.NONE, isRemote: true });
  for (const make of [
    () => startSpan('a', {}, unsampled),
    () => startAgentSpan({ agentName: 'x' }, unsampled),
    () => startChatSpan({ provider: 'p', model: 'm' }, unsampled),
    () => startToolSpan({ toolName: 't' }, unsampled),
    () => startMcpSpan({ toolName: 't' }, unsampled),
  ]) {
    const s = make();
    assert.equal(s.isRecording(), false);
    assert.equal(s.spanContext().traceId, TRACE);
    assert.equal(s.spanContext().spanId, '1111111111111111', 'same span context as the parent');
    s.end();
  }
  recordSessionComplete({}, unsampled);
  // A sampled parent still gets recorded children.
  const sampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '2222222222222222', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  startSpan('b', {}, sampled).end();
  assert.deepEqual(h.spans().map((s) => s.name), ['b']);
});

test('without a parent-based sampler the short-circuit is off (the sampler decides)', async () => {
  h = setupTracing({ shortCircuit: false, sampler: new TraceIdRatioBasedSampler(1) });
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '1111111111111111', traceFlags: TraceFlags.NONE, isRemote: true });
  startSpan('recorded', {}, unsampled).end();
  assert.deepEqual(h.spans().map((s) => s.name), ['recorded']);
});

test('tracing off: helper spans are views of the caller context (ids and flags passed through)', async () => {
  h = setupTracing({ sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) });
  configureSpanHelpers({ tracerProvider: h.provider, disabled: true });
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '3333333333333333', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const s = startChatSpan({ provider: 'p', model: 'm' }, parent);
  assert.equal(s.spanContext().spanId, '3333333333333333');
  assert.equal(s.spanContext().traceFlags, TraceFlags.SAMPLED);
  assert.equal(s.isRecording(), false);
  assert.equal(startSpan('root', {}, ROOT_CONTEXT).spanContext().traceId, '00000000000000000000000000000000');
  assert.equal(h.spans().length, 0);
});

test('span TTL: helper spans never ended are ended with ERROR after the TTL, counted and published', async () => {
  const ttl = new SpanTtlTracker({ ttlMs: 1000, sweepIntervalMs: 60_000 });
  h = setupTracing({ ttl });
  const expired: unknown[] = [];
  const onExpired = (m: unknown) => expired.push(m);
  diagnostics_channel.subscribe(CHANNELS.spanExpired, onExpired);
  try {
    const leaked = startToolSpan({ toolName: 'leaky' });
    const ended = startToolSpan({ toolName: 'fine' });
    ended.end();
    assert.equal(ttl.sweep(Date.now()), 0, 'not yet expired');
    assert.equal(ttl.stats().tracked, 1, 'ended spans leave the watch list at the next sweep');
    assert.equal(ttl.sweep(Date.now() + 1001), 1);
    assert.equal(leaked.isRecording(), false);
    const s = h.spans().find((x) => x.name === 'execute_tool leaky')!;
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    assert.match(s.status.message ?? '', /TTL of 1000 ms/);
    assert.equal(s.attributes['wundr.span.expired'], true);
    assert.deepEqual(ttl.stats(), { tracked: 0, expired: 1, evicted: 0 });
    assert.equal(expired.length, 1);
  } finally {
    diagnostics_channel.unsubscribe(CHANNELS.spanExpired, onExpired);
  }
});

test('span TTL: the sweep timer runs by itself, and the watch list is bounded', async () => {
  const ttl = new SpanTtlTracker({ ttlMs: 50, sweepIntervalMs: 20, maxTracked: 10 });
  h = setupTracing({ ttl });
  ttl.start();
  for (let i = 0; i < 25; i++) startSpan(`leak ${i}`);
  assert.equal(ttl.stats().tracked, 10);
  assert.equal(ttl.stats().evicted, 15);
  // An 11th open span evicts the oldest; after that, ended spans make room without evicting.
  const before = ttl.stats().evicted;
  for (let i = 0; i < 50; i++) startSpan(`ok ${i}`).end();
  assert.equal(ttl.stats().evicted, before + 1, 'only the first new span found 10 open ones');
  const deadline = Date.now() + 3000;
  while (ttl.stats().tracked > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ttl.stats().tracked, 0);
  assert.equal(ttl.stats().expired, 9);
  assert.equal(h.spans().length, 75);
  await ttl.shutdown();
});

test('misuse at definition time throws a precise message', () => {
  assert.throws(() => new SpanTtlTracker({ ttlMs: 0 }), /ttlMs must be > 0, got 0/);
  assert.throws(() => new SpanTtlTracker({ ttlMs: 10, maxTracked: 0 }), /maxTracked must be a positive integer, got 0/);
});
