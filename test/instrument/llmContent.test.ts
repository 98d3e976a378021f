/**
 * Prompt and completion content with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true:
 * the conventions' message form, the redaction list, the length cap; real
 * clients against the local LLM API. (Off by default: llmSdks.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { instrumentAnthropic, instrumentOpenAI } from '../../src/instrument/instrumentLlmSdk.ts';
import { loadConfig } from '../../src/config.ts';
import { startLlmHarness, type LlmHarness } from './llmHarness.ts';

let h: LlmHarness;
let openai: OpenAI;
let anthropic: Anthropic;
before(async () => {
  h = await startLlmHarness({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true', LOG_MAX_STRING_LENGTH: '64' });
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${h.llm.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: h.llm.url, maxRetries: 0 });
  instrumentOpenAI(openai);
  instrumentAnthropic(anthropic);
});
after(async () => {
  await h?.close();
});

const parsed = (v: unknown) => JSON.parse(String(v));

test('the variable: off by default, on with true', () => {
  assert.equal(loadConfig({}).config.tracing.genAiCaptureContent, false);
  assert.equal(loadConfig({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' }).config.tracing.genAiCaptureContent, true);
});

test('openai: input and output messages in the conventions\' form, tool arguments redacted by key, long text cut', async () => {
  const long = 'x'.repeat(200);
  await openai.chat.completions.create({
    model: 'gpt-content',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: [{ type: 'text', text: long }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'login', arguments: '{"user":"ann","password":"hunter2"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
    ],
  });
  const chat = await h.span('chat gpt-content');
  const input = parsed(chat.attributes['gen_ai.input.messages']);
  assert.deepEqual(input[0], { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] });
  assert.equal(input[1].role, 'user');
  assert.match(input[1].parts[0].content, /^x{64}…\[truncated 136 chars\]$/, 'cut at LOG_MAX_STRING_LENGTH');
  assert.deepEqual(input[2], { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'login', arguments: { user: 'ann', password: '[REDACTED]' } }] });
  assert.deepEqual(input[3], { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'ok' }] });
  assert.ok(!JSON.stringify(chat.attributes).includes('hunter2'));
  assert.deepEqual(parsed(chat.attributes['gen_ai.output.messages']), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello there' }], finish_reason: 'stop' }]);
});

test('anthropic stream: system instructions apart, the streamed text assembled into the output message', async () => {
  const stream = await anthropic.messages.create({ model: 'claude-content', max_tokens: 50, system: 'Be brief', messages: [{ role: 'user', content: 'Hi' }], stream: true });
  for await (const _ of stream);
  const chat = await h.span('chat claude-content');
  assert.deepEqual(parsed(chat.attributes['gen_ai.system_instructions']), [{ type: 'text', content: 'Be brief' }]);
  assert.deepEqual(parsed(chat.attributes['gen_ai.input.messages']), [{ role: 'user', parts: [{ type: 'text', content: 'Hi' }] }]);
  assert.deepEqual(parsed(chat.attributes['gen_ai.output.messages']), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi from Claude' }], finish_reason: 'end_turn' }]);
});

test('openai stream: the deltas assembled into the output message', async () => {
  const stream = await openai.chat.completions.create({ model: 'gpt-content-stream', messages: [{ role: 'user', content: 'Hi' }], stream: true });
  for await (const _ of stream);
  const chat = await h.span('chat gpt-content-stream');
  assert.deepEqual(parsed(chat.attributes['gen_ai.output.messages']), [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello there' }], finish_reason: 'stop' }]);
});
