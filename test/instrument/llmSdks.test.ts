/**
 * The official `openai` and `@anthropic-ai/sdk` clients, unchanged, pointed
 * (baseURL) at a local server that speaks their wire formats, whole and
 * streamed: the GenAI span, its place in the trace (the HTTP request carries
 * it), streams ending with their usage and time to the first chunk, the
 * wundr_model_* and gen_ai.client.* metrics on /metrics, and no request
 * metadata unless asked. Content capture is off here (the default).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { trace } from '@opentelemetry/api';
import { instrumentAnthropic, instrumentOpenAI } from '../../src/instrument/instrumentLlmSdk.ts';
import { instrumentLlmClient } from '../../src/instrument/instrumentLlmClient.ts';
import { BUCKETS } from '../../src/metrics/catalogue.ts';
import { FIRST_CHUNK_DELAY_MS, USAGE } from '../support/llmServer.ts';
import { ancestors, CLIENT, startLlmHarness, traceparentOf, type LlmHarness } from './llmHarness.ts';
import type { ReceivedSpan } from '../support/otlpReceiver.ts';

let h: LlmHarness;
let openai: OpenAI;
let anthropic: Anthropic;
before(async () => {
  h = await startLlmHarness();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.llm.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: h.llm.url, maxRetries: 0 });
  instrumentOpenAI(openai);
  instrumentAnthropic(anthropic);
});
after(async () => {
  await h?.close();
});

const durationS = (s: ReceivedSpan) => Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e9;

/** The request the server got for a call made under `root`, and the span tree around it. */
async function requestUnder(root: string, path: string) {
  const rootSpan = await h.span(root);
  const req = h.llm.requests().find((r) => r.path.endsWith(path) && traceparentOf(r.headers).traceId === rootSpan.traceId);
  assert.ok(req, `the ${path} request of ${root}`);
  return { rootSpan, req };
}

test('openai: a chat completion gets a chat span with the GenAI attributes, and the HTTP request carries it in traceparent', async () => {
  const tracer = trace.getTracer('test');
  const res = await tracer.startActiveSpan('openai-whole', async (root) => {
    try {
      return await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 });
    } finally {
      root.end();
    }
  });
  assert.equal(res.choices[0].message.content, 'Hello there', 'the caller gets the response unchanged');
  const { rootSpan, req } = await requestUnder('openai-whole', '/chat/completions');
  const chat = await h.span('chat gpt-4o', (s) => s.traceId === rootSpan.traceId);
  assert.equal(chat.kind, CLIENT);
  assert.equal(chat.parentSpanId, rootSpan.spanId);
  assert.deepEqual(
    {
      op: chat.attributes['gen_ai.operation.name'],
      provider: chat.attributes['gen_ai.provider.name'],
      model: chat.attributes['gen_ai.request.model'],
      max: chat.attributes['gen_ai.request.max_tokens'],
      responseModel: chat.attributes['gen_ai.response.model'],
      id: chat.attributes['gen_ai.response.id'],
      input: chat.attributes['gen_ai.usage.input_tokens'],
      output: chat.attributes['gen_ai.usage.output_tokens'],
      finish: chat.attributes['gen_ai.response.finish_reasons'],
      address: chat.attributes['server.address'],
      port: chat.attributes['server.port'],
    },
    {
      op: 'chat',
      provider: 'openai',
      model: 'gpt-4o',
      max: 64,
      responseModel: 'gpt-4o-2024-08-06',
      id: 'chatcmpl-test1',
      input: USAGE.openai.prompt_tokens,
      output: USAGE.openai.completion_tokens,
      finish: ['stop'],
      address: '127.0.0.1',
      port: Number(new URL(h.llm.url).port),
    },
  );
  assert.equal(chat.attributes['gen_ai.input.messages'], undefined, 'no content unless OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true');
  // The HTTP request is the fetch CLIENT span, a child of the chat span, and its context is what the API got.
  const tp = traceparentOf(req.headers);
  const fetchSpan = await h.span('POST', (s) => s.spanId === tp.parentId, 'the fetch span');
  assert.equal(fetchSpan.scope.name, '@opentelemetry/instrumentation-undici');
  assert.equal(fetchSpan.parentSpanId, chat.spanId);
  assert.equal(req.body.metadata, undefined, 'no trace fields in the request body by default');
  assert.equal(req.headers.authorization, 'Bearer sk-test');
});

test('openai: the caller keeps the APIPromise (withResponse, asResponse with an unread body)', async () => {
  const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o-raw', messages: [{ role: 'user', content: 'x' }] }).withResponse();
  assert.equal(data.usage?.prompt_tokens, USAGE.openai.prompt_tokens);
  assert.equal(response.status, 200);
  const raw = await openai.chat.completions.create({ model: 'gpt-4o-asresponse', messages: [{ role: 'user', content: 'x' }] }).asResponse();
  assert.equal(((await raw.json()) as { id: string }).id, 'chatcmpl-test1', 'the raw body is still readable');
  const chat = await h.span('chat gpt-4o-raw');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], USAGE.openai.prompt_tokens);
});

test('openai: a streamed completion ends its span at the end of the stream, with the usage chunk and the time to the first chunk', async () => {
  const t0 = Date.now();
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-slow',
    messages: [{ role: 'user', content: 'Count' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  for await (const c of stream) {
    chunks++;
    text += c.choices[0]?.delta?.content ?? '';
  }
  const readMs = Date.now() - t0;
  assert.equal(chunks, 53, 'every chunk reaches the caller');
  assert.ok(text.startsWith('w0 w1 '));
  const chat = await h.span('chat gpt-4o-slow');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], USAGE.openai.prompt_tokens, 'usage from the final chunk');
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], USAGE.openai.completion_tokens);
  assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(chat.attributes['wundr.llm.stream.abandoned'], undefined);
  const ttfc = chat.attributes['gen_ai.response.time_to_first_chunk'] as number;
  assert.ok(ttfc >= (FIRST_CHUNK_DELAY_MS - 5) / 1000, `time to first chunk ${ttfc} s: the server waited ${FIRST_CHUNK_DELAY_MS} ms`);
  // 50 chunks 20 ms apart: the span lasts until the last one was read, well after the first.
  assert.ok(durationS(chat) >= ttfc + 0.5, `span ${durationS(chat)} s vs first chunk ${ttfc} s`);
  assert.ok(durationS(chat) * 1000 <= readMs + 50);
});

test('openai: a stream without include_usage ends its span with no token counts (the API sends none)', async () => {
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-nousage', messages: [{ role: 'user', content: 'x' }], stream: true });
  for await (const _ of stream);
  const chat = await h.span('chat gpt-4o-nousage');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], undefined);
  assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(typeof chat.attributes['gen_ai.response.time_to_first_chunk'], 'number');
});

test('openai: a consumer that breaks out of the stream ends the span (abandoned) and the request is cut', async () => {
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini-slow', messages: [{ role: 'user', content: 'x' }], stream: true });
  let n = 0;
  for await (const _ of stream) if (++n === 3) break;
  const chat = await h.span('chat gpt-4o-mini-slow');
  assert.equal(chat.attributes['wundr.llm.stream.abandoned'], 'consumer_stopped');
  assert.equal(chat.status.code, 0, 'leaving a stream is not an error');
  assert.ok(durationS(chat) < 0.5, 'ended when left, not when the server would have finished (~1.1 s)');
  await h.receiver.waitFor(() => h.llm.openStreams() === 0, 5000, 'the server stream closed');
});

test('openai: a 429 is a failed span with error.type rate_limited', async () => {
  await assert.rejects(openai.chat.completions.create({ model: 'gpt-4o-429', messages: [{ role: 'user', content: 'x' }] }), (e: Error & { status?: number }) => e.status === 429);
  const chat = await h.span('chat gpt-4o-429');
  assert.equal(chat.status.code, 2);
  assert.equal(chat.attributes['error.type'], 'rate_limited');
  assert.equal(chat.attributes['wundr.llm.rate_limited'], true);
});

test('anthropic: a message gets a chat span; the trace goes on through the client\'s own call span and fetch to the API', async () => {
  const tracer = trace.getTracer('test');
  const msg = await tracer.startActiveSpan('anthropic-whole', async (root) => {
    try {
      return await anthropic.messages.create({ model: 'claude-x', max_tokens: 100, system: 'Be brief', messages: [{ role: 'user', content: 'Hi' }] });
    } finally {
      root.end();
    }
  });
  assert.equal(msg.content[0].type === 'text' && msg.content[0].text, 'Hi from Claude');
  const { rootSpan, req } = await requestUnder('anthropic-whole', '/messages');
  const chat = await h.span('chat claude-x', (s) => s.traceId === rootSpan.traceId);
  assert.equal(chat.parentSpanId, rootSpan.spanId);
  assert.equal(chat.attributes['gen_ai.provider.name'], 'anthropic');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], USAGE.anthropic.input_tokens);
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], USAGE.anthropic.output_tokens);
  assert.deepEqual(chat.attributes['gen_ai.response.finish_reasons'], ['end_turn']);
  assert.equal(chat.attributes['gen_ai.response.model'], 'claude-x-20250101');
  const tp = traceparentOf(req.headers);
  await h.receiver.waitFor(() => h.receiver.spans().some((s) => s.spanId === tp.parentId), 10000, 'the span the API got as parent');
  const parent = h.receiver.spans().find((s) => s.spanId === tp.parentId)!;
  assert.ok(
    ancestors(h.receiver.spans(), parent).some((s) => s.spanId === chat.spanId),
    `the chat span is an ancestor of the request's parent (${parent.name})`,
  );
  assert.equal(String(req.headers.traceparent).split(',').length, 1, 'one traceparent although the client and fetch both inject');
  assert.equal(req.body.metadata, undefined);
});

test('anthropic: injectMetadata puts the trace fields beside the caller\'s metadata', async () => {
  const client = new Anthropic({ apiKey: 'k', baseURL: h.llm.url, maxRetries: 0 });
  const undo = instrumentAnthropic(client, { injectMetadata: true });
  await client.messages.create({ model: 'claude-meta', max_tokens: 10, metadata: { user_id: 'u-7' }, messages: [{ role: 'user', content: 'Hi' }] });
  undo();
  const chat = await h.span('chat claude-meta');
  const req = h.llm.requests().find((r) => r.body.model === 'claude-meta')!;
  const meta = req.body.metadata as Record<string, string>;
  assert.equal(meta.user_id, 'u-7');
  assert.equal(meta.trace_id, chat.traceId);
  assert.equal(meta.traceparent, `00-${chat.traceId}-${chat.spanId}-01`);
  await client.messages.create({ model: 'claude-after-undo', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] });
  assert.equal(h.llm.requests().find((r) => r.body.model === 'claude-after-undo')!.body.metadata, undefined);
});

test('anthropic: streams (create with stream: true, and the messages.stream() helper) record the usage and the first chunk', async () => {
  const stream = await anthropic.messages.create({ model: 'claude-stream-slow', max_tokens: 100, messages: [{ role: 'user', content: 'x' }], stream: true });
  let text = '';
  for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  assert.ok(text.startsWith('w0 w1'));
  const chat = await h.span('chat claude-stream-slow');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], USAGE.anthropic.input_tokens);
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], USAGE.anthropic.output_tokens, 'the last message_delta has the total');
  assert.equal(chat.attributes['gen_ai.response.id'], 'msg_stream1');
  assert.ok((chat.attributes['gen_ai.response.time_to_first_chunk'] as number) >= (FIRST_CHUNK_DELAY_MS - 5) / 1000);
  assert.ok(durationS(chat) > 0.5);

  const final = await anthropic.messages.stream({ model: 'claude-helper', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
  assert.equal(final.usage.output_tokens, USAGE.anthropic.output_tokens);
  const helper = await h.span('chat claude-helper');
  assert.equal(helper.attributes['gen_ai.usage.output_tokens'], USAGE.anthropic.output_tokens);
  assert.deepEqual(helper.attributes['gen_ai.response.finish_reasons'], ['end_turn']);
});

test('a stream that is never read ends its span once it is collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await (async () => {
    // Dropped unread: nothing keeps the stream object.
    await openai.chat.completions.create({ model: 'gpt-4o-unread', messages: [{ role: 'user', content: 'x' }], stream: true });
  })();
  const deadline = Date.now() + 10000;
  while (!h.receiver.spans().some((s) => s.name === 'chat gpt-4o-unread') && Date.now() < deadline) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
    await h.sdk.forceFlush();
  }
  const chat = await h.span('chat gpt-4o-unread');
  assert.equal(chat.attributes['wundr.llm.stream.abandoned'], 'never_read');
});

test('the adapter (instrumentLlmClient) over a real client whose chat() streams: the span ends with the stream and its usage', async () => {
  // A daemon's own client class over the official one (not instrumented itself).
  const raw = new OpenAI({ apiKey: 'k', baseURL: `${h.llm.url}/v1`, maxRetries: 0 });
  const client = {
    provider: 'openai',
    chat: (params: { model: string; messages: { role: 'user'; content: string }[] }) =>
      raw.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }),
  };
  const undo = instrumentLlmClient(client);
  const stream = await client.chat({ model: 'gpt-adapter', messages: [{ role: 'user', content: 'x' }] });
  let n = 0;
  for await (const _ of stream) n++;
  undo();
  assert.ok(n > 3);
  const chat = await h.span('chat gpt-adapter');
  assert.equal(chat.attributes['gen_ai.usage.input_tokens'], USAGE.openai.prompt_tokens);
  assert.equal(chat.attributes['gen_ai.usage.output_tokens'], USAGE.openai.completion_tokens);
  assert.equal(typeof chat.attributes['gen_ai.response.time_to_first_chunk'], 'number');
});

test('/metrics: wundr_model_* and the GenAI client metrics (conventions\' names, attributes and buckets)', async () => {
  const m = await h.metrics();
  const sample = (family: string, name: string, labels: Record<string, string>) =>
    m.get(family)?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.equal(sample('wundr_model_requests_total', 'wundr_model_requests_total', { provider: 'openai', model: 'gpt-4o' })?.value, 1);
  assert.equal(sample('wundr_model_request_tokens_total', 'wundr_model_request_tokens_total', { provider: 'anthropic', model: 'claude-stream-slow', token_type: 'completion' })?.value, USAGE.anthropic.output_tokens);
  assert.equal(sample('wundr_model_rate_limited_total', 'wundr_model_rate_limited_total', { provider: 'openai', model: 'gpt-4o-429' })?.value, 1);

  const tokens = m.get('gen_ai_client_token_usage');
  assert.ok(tokens, 'gen_ai_client_token_usage on /metrics');
  assert.equal(tokens.type, 'histogram');
  const input = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o', gen_ai_response_model: 'gpt-4o-2024-08-06', gen_ai_token_type: 'input', server_address: '127.0.0.1' };
  assert.equal(sample('gen_ai_client_token_usage', 'gen_ai_client_token_usage_sum', input)?.value, USAGE.openai.prompt_tokens);
  assert.equal(sample('gen_ai_client_token_usage', 'gen_ai_client_token_usage_sum', { ...input, gen_ai_token_type: 'output' })?.value, USAGE.openai.completion_tokens);
  const les = [...new Set(tokens.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le))];
  assert.deepEqual(les, [...BUCKETS.GENAI_TOKENS.map(String), '+Inf']);

  const duration = m.get('gen_ai_client_operation_duration');
  assert.ok(duration);
  assert.deepEqual([...new Set(duration.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le))], [...BUCKETS.GENAI_SECONDS.map(String), '+Inf']);
  assert.equal(sample('gen_ai_client_operation_duration', 'gen_ai_client_operation_duration_count', { gen_ai_request_model: 'gpt-4o-429', error_type: 'rate_limited' })?.value, 1);
  assert.equal(sample('gen_ai_client_operation_duration', 'gen_ai_client_operation_duration_count', { gen_ai_request_model: 'gpt-4o' })?.labels.error_type, undefined);

  const ttfc = m.get('gen_ai_client_operation_time_to_first_chunk');
  assert.ok(ttfc);
  const slow = sample('gen_ai_client_operation_time_to_first_chunk', 'gen_ai_client_operation_time_to_first_chunk_sum', { gen_ai_request_model: 'gpt-4o-slow' });
  assert.ok(slow && slow.value >= (FIRST_CHUNK_DELAY_MS - 5) / 1000);
  assert.equal(sample('gen_ai_client_operation_time_to_first_chunk', 'gen_ai_client_operation_time_to_first_chunk_count', { gen_ai_request_model: 'gpt-4o' }), undefined, 'whole responses have no first chunk');
});
