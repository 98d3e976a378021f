import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlpReceiver.ts';
import { freePort, request, ROOT, runChild, type Child } from '../support/child.ts';

const MAIN = path.join(ROOT, 'build', 'examples', 'daemon', 'main.js');
const REGISTER = path.join(ROOT, 'build', 'src', 'register.js');

/** A family of each adapter, non-zero once the demo's traffic has gone through it. */
const ADAPTER_FAMILIES = [
  'wundr_agent_spawned_total',
  'wundr_session_duration_seconds_count',
  'wundr_session_tokens_prompt_total',
  'wundr_session_cost_dollars_total',
  'wundr_memory_searches_total',
  'wundr_tool_execution_total',
  'wundr_ws_connections_total',
  'wundr_ws_messages_received_total',
  'wundr_ws_message_size_bytes_count',
  'wundr_ws_session_subscriptions',
  'wundr_model_requests_total',
  'wundr_model_cost_dollars_total',
  'wundr_queue_enqueued_total',
  'orchestrator_federation_delegations_total',
  'orchestrator_tokens_used_total',
  'orchestrator_tool_invocations_total',
];

/** The values of a family's series in a Prometheus text. */
function seriesValues(text: string, name: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

let receiver: OtlpReceiver;
let child: Child;
let metricsText = '';
let exit: { code: number | null; signal: NodeJS.Signals | null; ms: number };

before(async () => {
  receiver = await startOtlpReceiver();
  const metricsPort = await freePort();
  child = runChild({
    args: ['--require', REGISTER, MAIN, '--duration', '6'],
    env: {
      OTEL_SERVICE_NAME: 'wundr-orchestrator',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_LOGS_EXPORTER: 'none',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      APP_PORT: '0',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      PEER_METRICS_PORT: String(await freePort()),
      WUNDR_DEMO_CLIENTS: '2',
      WUNDR_DEMO_RATE: '3',
      WUNDR_DEMO_DELEGATE_EVERY: '2',
      WUNDR_DEMO_ERROR_RATE: '0',
      WUNDR_DEMO_RATE_LIMIT_RATE: '0',
      WUNDR_DEMO_LATENCY_SCALE: '0.2',
      WUNDR_DEMO_QUEUE_BACKLOG: '150',
      WUNDR_DEMO_SEED: '42',
    },
  });
  await child.waitForOutput(/wundr example daemon listening/, 20000);
  // Until every adapter has counted something (a delegation is a round trip to the peer), within the daemon's run.
  const listening = Date.now();
  do {
    await new Promise((r) => setTimeout(r, 250));
    metricsText = (await request(metricsPort, '/metrics')).body;
  } while (Date.now() - listening < 4500 && !ADAPTER_FAMILIES.every((n) => seriesValues(metricsText, n).some((v) => v > 0)));
  exit = await child.exited(30000);
  await receiver.waitFor(
    () => receiver.spans().some((s) => s.resource['service.name'] === 'wundr-orchestrator-peer' && s.name.startsWith('invoke_agent')),
    15000,
    'the peer session spans',
  );
});

after(async () => {
  child?.kill('SIGKILL');
  await receiver?.close();
});

test('the daemon stops by itself after --duration, cleanly', () => {
  assert.equal(exit.code, 0, child.stderr());
  assert.match(child.stdout(), /wundr example daemon stopped/);
});

/** The spans of one trace, and helpers over them. */
function tree(traceId: string) {
  const spans = receiver.spans().filter((s) => s.traceId === traceId);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return {
    spans,
    parent: (s: ReceivedSpan) => byId.get(s.parentSpanId),
    children: (s: ReceivedSpan, pred: (c: ReceivedSpan) => boolean = () => true) => spans.filter((c) => c.parentSpanId === s.spanId && pred(c)),
  };
}

test('the seed §5.3 span tree for one WS message, across the WS hop and the federation HTTP hop (two processes, one trace id)', () => {
  const main = (s: ReceivedSpan) => s.resource['service.name'] === 'wundr-orchestrator';
  const peer = (s: ReceivedSpan) => s.resource['service.name'] === 'wundr-orchestrator-peer';
  // A delegated task: its session has a federation span.
  const fed = receiver.spans().find((s) => main(s) && s.name === 'federation.delegate orch-peer' && s.status.code !== 2);
  assert.ok(fed, `a federation span; got ${[...new Set(receiver.spans().map((s) => s.name))].join(', ')}`);
  const t = tree(fed.traceId);

  // WS hop: client span (PRODUCER) -> ws.message task (SERVER) -> invoke_agent
  const agent = t.parent(fed)!;
  assert.match(agent.name, /^invoke_agent .+-agent$/);
  assert.equal(agent.attributes['gen_ai.operation.name'], 'invoke_agent');
  const ws = t.parent(agent)!;
  assert.equal(ws.name, 'ws.message task');
  assert.equal(ws.kind, 2, 'SERVER');
  const client = t.parent(ws)!;
  assert.equal(client.name, 'ws.client send task');
  assert.equal(client.parentSpanId, '', 'the client span is the root');

  // Session children: LLM calls, tool executions with MCP calls, session complete.
  const chats = t.children(agent, (c) => c.name === 'chat claude-sonnet-4');
  assert.ok(chats.length >= 2, 'two LLM calls (tool turn + answer)');
  for (const c of chats) {
    assert.equal(c.attributes['gen_ai.provider.name'], 'anthropic');
    assert.equal(c.attributes['gen_ai.request.model'], 'claude-sonnet-4');
    assert.ok(Number(c.attributes['gen_ai.usage.input_tokens']) > 0);
    assert.ok(Number(c.attributes['gen_ai.usage.output_tokens']) > 0);
  }
  const tools = t.children(agent, (c) => c.name.startsWith('execute_tool '));
  assert.ok(tools.some((x) => x.name === 'execute_tool drift_detection'));
  for (const tool of tools) {
    const mcp = t.children(tool, (c) => c.name === `tools/call ${tool.attributes['gen_ai.tool.name']}`);
    assert.equal(mcp.length, 1, `one MCP call under ${tool.name}`);
  }
  assert.equal(t.children(agent, (c) => c.name === 'session.complete').length, 1);
  assert.ok(t.children(agent, (c) => c.name.startsWith('memory.')).length >= 1);

  // Federation hop: federation.delegate -> HTTP client (POST) -> peer HTTP server -> peer session.
  const httpClient = t.children(fed, (c) => c.kind === 3)[0];
  assert.ok(httpClient, 'the HTTP client span under the federation span');
  const peerServer = t.children(httpClient, (c) => peer(c) && c.kind === 2)[0];
  assert.ok(peerServer, 'the peer server span is the child of the HTTP client span');
  const peerAgent = t.children(peerServer, (c) => c.name.startsWith('invoke_agent'))[0];
  assert.ok(peerAgent, 'the peer session joins the trace');
  assert.ok(t.children(peerAgent, (c) => c.name === 'chat gpt-4o').length >= 1);
  assert.ok(t.spans.every((s) => s.traceId === fed.traceId));
  assert.deepEqual(new Set(t.spans.map((s) => s.resource['service.name'])), new Set(['wundr-orchestrator', 'wundr-orchestrator-peer']));
});

test('the legacy client (traceId/spanId payload keys) is joined too', () => {
  const clientSpans = receiver.spans().filter((s) => s.name === 'ws.client send task' && s.attributes['wundr.ws.client'] === 1);
  assert.ok(clientSpans.length > 0);
  const joined = clientSpans.filter((c) => receiver.spans().some((s) => s.name === 'ws.message task' && s.parentSpanId === c.spanId && s.traceId === c.traceId));
  assert.ok(joined.length > 0, 'a ws.message span is the child of a legacy client span');
});

test('every adapter produced its metrics, and the backlog knob fills the queue', () => {
  for (const name of ADAPTER_FAMILIES) {
    const values = seriesValues(metricsText, name);
    assert.ok(values.some((v) => v > 0), `${name} has a non-zero series (got ${JSON.stringify(values)})`);
  }
  const depth = metricsText.match(/^wundr_queue_depth\{queue_name="tasks"\} (\d+)/m);
  assert.ok(depth && Number(depth[1]) > 100, `queue depth above the Queue Backlog threshold, got ${depth?.[1]}`);
});
