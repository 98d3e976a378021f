/**
 * A local LLM API on 127.0.0.1 that speaks the wire formats of OpenAI Chat
 * Completions (POST /v1/chat/completions) and Anthropic Messages
 * (POST /v1/messages), whole and streamed (server-sent events), so the
 * official clients can be pointed at it with `baseURL`. It records every
 * request (headers and parsed body). The model name picks the behaviour:
 * - `*-429`: HTTP 429 with the provider's error body,
 * - `*-slow`: streams wait `FIRST_CHUNK_DELAY_MS` before the first chunk and
 *   20 ms between chunks, and send 50 text chunks,
 * - anything else: a short answer at once.
 */
import * as http from 'node:http';

export const FIRST_CHUNK_DELAY_MS = 150;

export interface RecordedLlmRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface LlmServer {
  readonly url: string;
  requests(): RecordedLlmRequest[];
  /** Streams the server is still writing (a stream left by its client is cut when its socket closes). */
  openStreams(): number;
  close(): Promise<void>;
}

export const USAGE = { openai: { prompt_tokens: 12, completion_tokens: 5 }, anthropic: { input_tokens: 20, output_tokens: 7 } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startLlmServer(): Promise<LlmServer> {
  const recorded: RecordedLlmRequest[] = [];
  let open = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        // recorded as empty
      }
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      recorded.push({ path, headers: req.headers, body });
      const model = String(body.model ?? '');
      if (path.endsWith('/chat/completions')) void openai(res, model, body);
      else if (path.endsWith('/messages')) void anthropic(res, model, body);
      else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });

  const json = (res: http.ServerResponse, status: number, v: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(v));
  };

  /** Writes SSE events; stops early when the client goes away. */
  async function sse(res: http.ServerResponse, events: { event?: string; data: unknown }[], slow: boolean) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    open++;
    let gone = false;
    res.on('close', () => (gone = true));
    try {
      if (slow) await sleep(FIRST_CHUNK_DELAY_MS);
      for (let i = 0; i < events.length && !gone; i++) {
        if (slow && i > 0) await sleep(20);
        const e = events[i];
        res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
      }
    } finally {
      open--;
      res.end();
    }
  }

  async function openai(res: http.ServerResponse, model: string, body: Record<string, unknown>) {
    if (model.endsWith('-429')) {
      return json(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '0' });
    }
    const base = { id: 'chatcmpl-test1', created: 1700000000, model: `${model}-2024-08-06` };
    if (body.stream !== true) {
      return json(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, finish_reason: 'stop', logprobs: null }],
        usage: { ...USAGE.openai, total_tokens: 17 },
      });
    }
    const slow = model.endsWith('-slow');
    const chunk = (choices: unknown[], extra: object = {}) => ({ data: { ...base, object: 'chat.completion.chunk', choices, ...extra } });
    const texts = slow ? Array.from({ length: 50 }, (_, i) => `w${i} `) : ['Hel', 'lo ', 'there'];
    const events: { event?: string; data: unknown }[] = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      ...texts.map((t) => chunk([{ index: 0, delta: { content: t }, finish_reason: null }])),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    ];
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
      events.push(chunk([], { usage: { ...USAGE.openai, total_tokens: 17 } }));
    }
    events.push({ data: '[DONE]' });
    await sse(res, events, slow);
  }

  async function anthropic(res: http.ServerResponse, model: string, body: Record<string, unknown>) {
    if (model.endsWith('-429')) {
      return json(res, 429, { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } }, { 'retry-after': '0' });
    }
    if (body.stream !== true) {
      return json(res, 200, {
        id: 'msg_test1',
        type: 'message',
        role: 'assistant',
        model: `${model}-20250101`,
        content: [{ type: 'text', text: 'Hi from Claude' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { ...USAGE.anthropic },
      });
    }
    const slow = model.endsWith('-slow');
    const texts = slow ? Array.from({ length: 50 }, (_, i) => `w${i} `) : ['Hi ', 'from ', 'Claude'];
    const ev = (event: string, data: object) => ({ event, data: { type: event, ...data } });
    await sse(
      res,
      [
        ev('message_start', {
          message: { id: 'msg_stream1', type: 'message', role: 'assistant', model: `${model}-20250101`, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: USAGE.anthropic.input_tokens, output_tokens: 1 } },
        }),
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        ev('ping', {}),
        ...texts.map((t) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } })),
        ev('content_block_stop', { index: 0 }),
        ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: USAGE.anthropic.output_tokens } }),
        ev('message_stop', {}),
      ],
      slow,
    );
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => recorded,
    openStreams: () => open,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
