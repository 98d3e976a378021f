import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { SpanStatusCode, trace, context } from '@opentelemetry/api';
import {
  agentMetrics,
  memoryMetrics,
  modelMetrics,
  queueMetrics,
  resetWundrMetrics,
  sessionMetrics,
  toolMetrics,
  wsMetrics,
} from '../../src/metrics/wundrMetrics.ts';
import { daemonMetrics } from '../../src/metrics/daemonMetrics.ts';
import { configureLogging } from '../../src/logging/runtime.ts';
import { InMemoryLogWriter } from '../../src/logging/InMemoryLogWriter.ts';
import {
  instrumentLlmClient,
  instrumentMemoryManager,
  instrumentOrchestratorDaemon,
  instrumentSessionExecutor,
  instrumentSessionManager,
  instrumentTaskQueue,
  instrumentTokenBudgetTracker,
  instrumentToolExecutor,
  instrumentWebSocketServer,
} from '../../src/instrument/index.ts';
import { setupTracing, spanId, parentId, type Harness } from '../tracing/harness.ts';

let h: Harness;
let logs: InMemoryLogWriter;
beforeEach(() => {
  h = setupTracing();
  logs = new InMemoryLogWriter();
  configureLogging({ destination: logs, level: 'debug', emitRecords: false });
  resetWundrMetrics();
});
afterEach(async () => {
  await h.close();
});

const k0 = (o: object) => (o === (globalThis as never) ? [] : (ownMethodsBefore.get(o) ?? []));
const ownMethodsBefore = new WeakMap<object, string[]>();

/** Own-property snapshot: what undo must restore exactly. */
function snapshot(o: object): Record<string | symbol, PropertyDescriptor | undefined> {
  const out: Record<string | symbol, PropertyDescriptor | undefined> = {};
  for (const k of Reflect.ownKeys(o)) out[k as string] = Object.getOwnPropertyDescriptor(o, k);
  return out;
}

async function promValue(metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

class LlmClient {
  provider = 'anthropic';
  calls: unknown[] = [];
  async chat(params: { model: string; fail?: 'rate' | 'boom' }) {
    this.calls.push(params);
    if (params.fail === 'rate') throw Object.assign(new Error('429 Too Many Requests'), { status: 429 });
    if (params.fail === 'boom') throw Object.assign(new Error('upstream'), { status: 503 });
    return { content: 'hi', model: params.model, finishReason: 'stop', usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 } };
  }
}

test('LLM client: chat span with GenAI attributes, model metrics, 429 rate limits, trace metadata only when asked; undo restores', async () => {
  const client = new LlmClient();
  const before = snapshot(client);
  const undo = instrumentLlmClient(client, { cost: ({ inputTokens, outputTokens }) => inputTokens * 1e-5 + outputTokens * 1e-4 });
  await client.chat({ model: 'claude-sonnet-4' });
  await assert.rejects(client.chat({ model: 'claude-sonnet-4', fail: 'rate' }), /429/);
  await assert.rejects(client.chat({ model: 'claude-sonnet-4', fail: 'boom' }), /upstream/);

  const l = { provider: 'anthropic', model: 'claude-sonnet-4' };
  assert.equal(modelMetrics.requests.get(l), 3);
  assert.equal(modelMetrics.rateLimited.get(l), 1);
  assert.equal(modelMetrics.errors.get({ ...l, error_type: 'rate_limited' }), 1);
  assert.equal(modelMetrics.errors.get({ ...l, error_type: '503' }), 1);
  assert.equal(modelMetrics.requestTokens.get({ ...l, token_type: 'prompt' }), 100);
  assert.equal(modelMetrics.requestTokens.get({ ...l, token_type: 'completion' }), 20);
  assert.ok(Math.abs(modelMetrics.cost.get(l) - 0.003) < 1e-12);

  const spans = h.spans();
  assert.deepEqual(spans.map((s) => s.name), ['chat claude-sonnet-4', 'chat claude-sonnet-4', 'chat claude-sonnet-4']);
  assert.equal(spans[0]!.attributes['gen_ai.usage.input_tokens'], 100);
  assert.equal(spans[0]!.attributes['gen_ai.provider.name'], 'anthropic');
  assert.equal(spans[1]!.status.code, SpanStatusCode.ERROR);
  assert.equal(spans[1]!.attributes['error.type'], 'rate_limited');
  assert.equal((client.calls[0] as { metadata?: unknown }).metadata, undefined, 'no trace fields in the request body by default');
  assert.ok(logs.entries.some((e) => e.message === 'LLM call rate limited' && e.level === 'warn'));

  undo();
  assert.deepEqual(snapshot(client), before);
  assert.equal(client.chat, LlmClient.prototype.chat);
  undo(); // idempotent

  const undoMeta = instrumentLlmClient(client, { injectMetadata: true });
  await client.chat({ model: 'claude-sonnet-4', metadata: { user_id: 'u1' } } as never);
  undoMeta();
  const withMeta = h.spans().at(-1)!;
  const sent = client.calls.at(-1) as { metadata: Record<string, string> };
  assert.equal(sent.metadata.trace_id, withMeta.spanContext().traceId, 'injectMetadata: the request metadata carries the trace id');
  assert.equal(sent.metadata.traceparent, `00-${withMeta.spanContext().traceId}-${withMeta.spanContext().spanId}-01`);
  assert.equal(sent.metadata.user_id, 'u1', 'the caller\'s metadata is kept');
  assert.throws(() => instrumentLlmClient({} as never), /needs an object with chat\(params\)/);
});

test('session tree through SessionManager -> SessionExecutor -> LLM client / ToolExecutor -> MCP, with session metrics', async () => {
  const llm = new LlmClient();
  const mcp = {
    async executeTool(toolId: string) {
      return toolId === 'broken' ? { success: false, message: 'nope' } : { success: true, message: 'ok', data: 1 };
    },
  };
  const tools = {
    mcpRegistry: mcp,
    async executeToolCall(call: { id: string; name: string }) {
      const r = await this.mcpRegistry.executeTool(call.name);
      return { toolCallId: call.id, toolName: call.name, success: r.success, result: r.data, error: r.success ? undefined : r.message, executionTime: 1 };
    },
    async executeToolCalls(calls: { id: string; name: string }[]) {
      return Promise.all(calls.map((c) => this.executeToolCall(c)));
    },
  };
  const executor = {
    async executeSession(session: { id: string }, _task: unknown) {
      await llm.chat({ model: 'm1' });
      await tools.executeToolCalls([{ id: 'c1', name: 'drift_detection' }, { id: 'c2', name: 'broken' }]);
      await llm.chat({ model: 'm1' });
      return { success: true, output: 'done', tokensUsed: 240, iterations: 2, executionTime: 5, toolCallsMade: 2, id: session.id };
    },
  };
  const manager = new (class extends EventEmitter {
    n = 0;
    async spawnSession(orchestratorId: string, task: unknown, sessionType = 'claude-code') {
      const session = { id: `session_${++this.n}`, orchestratorId, type: sessionType, task };
      this.emit('session:running', session);
      await executor.executeSession(session, task);
      this.emit('session:completed', session);
      this.emit('session:spawned', session);
      return session;
    }
    async stopSession(_id: string) {}
  })();
  const daemon = manager; // the daemon forwards the same events
  for (const o of [llm, tools, mcp, executor, manager]) {
    ownMethodsBefore.set(o, Object.keys(o).filter((k) => k.startsWith('execute') || k === 'chat' || k.endsWith('Session')));
  }
  const undos = [
    instrumentLlmClient(llm),
    instrumentToolExecutor(tools, { mcpServer: 'wundr-mcp' }),
    instrumentSessionExecutor(executor),
    instrumentSessionManager(manager),
    instrumentOrchestratorDaemon(daemon),
  ];

  await manager.spawnSession('orch-1', { id: 't1' }, 'claude-code');

  const spans = h.spans();
  const one = (n: string) => {
    const f = spans.filter((s) => s.name === n);
    assert.equal(f.length, 1, `one span ${n}: ${spans.map((s) => s.name).join(', ')}`);
    return f[0]!;
  };
  const agent = one('invoke_agent claude-code');
  const chats = spans.filter((s) => s.name === 'chat m1');
  const tool = one('execute_tool drift_detection');
  const broken = one('execute_tool broken');
  const mcpSpan = one('tools/call drift_detection');
  const done = one('session.complete');
  assert.equal(chats.length, 2);
  for (const s of [...chats, tool, broken, done]) assert.equal(parentId(s), spanId(agent), `${s.name} under the agent span`);
  assert.equal(parentId(mcpSpan), spanId(tool));
  assert.equal(parentId(one('tools/call broken')), spanId(broken));
  assert.equal(broken.status.code, SpanStatusCode.ERROR);
  assert.equal(agent.attributes['wundr.session.id'], 'session_1');
  assert.ok(spans.every((s) => s.spanContext().traceId === agent.spanContext().traceId));

  const o = { orchestrator_id: 'orch-1' };
  const st = { ...o, session_type: 'claude-code' };
  assert.equal(agentMetrics.spawned.get(st), 1, 'spawned once although running and spawned were both emitted');
  assert.equal(agentMetrics.completed.get({ ...st, exit_reason: 'success' }), 1);
  assert.equal(agentMetrics.running.get(st), 0);
  assert.equal(sessionMetrics.iterations.get(o), 2);
  assert.equal(sessionMetrics.tokensPrompt.get({ ...o, model: 'm1' }), 200, 'LLM tokens labelled with the session orchestrator');
  assert.equal(sessionMetrics.tokensCompletion.get({ ...o, model: 'm1' }), 40);
  assert.equal(toolMetrics.executionTotal.get({ tool_name: 'drift_detection', status: 'success' }), 1);
  assert.equal(toolMetrics.executionTotal.get({ tool_name: 'broken', status: 'error' }), 1);
  assert.equal(toolMetrics.errors.get({ tool_name: 'broken', error_type: 'tool_error' }), 1);
  assert.equal(toolMetrics.queueDepth.get(), 0);
  assert.equal(await promValue(daemonMetrics.sessionsActive as never, st), 0);
  assert.equal(await promValue(daemonMetrics.tokensUsed as never, { ...o, model: 'm1' }) >= 240, true);
  assert.equal(await promValue(daemonMetrics.toolInvocations as never, { ...o, tool_name: 'broken', status: 'error' }) >= 1, true);
  assert.ok(logs.entries.some((e) => e.message === 'Session execution completed' && e.sessionId === 'session_1' && e.traceId === agent.spanContext().traceId));

  for (const u of undos.reverse()) u();
  assert.equal(manager.listenerCount('session:running'), 0);
  assert.equal(manager.listenerCount('session:completed'), 0);
  for (const o of [llm, tools, mcp, executor, manager]) {
    assert.ok(!Object.getOwnPropertySymbols(o).includes(Symbol.for('@wundr/otel.instrumented')), 'no mark left');
    assert.deepEqual(Object.keys(o).filter((k) => k.startsWith('execute') || k === 'chat' || k.endsWith('Session')), k0(o), 'no own methods added');
  }
  assert.equal(typeof tools.executeToolCall, 'function');
  assert.equal(Object.getOwnPropertyDescriptor(tools, 'executeToolCall')?.enumerable, true, 'own method restored with its descriptor');
  assert.equal(manager.spawnSession, Object.getPrototypeOf(manager).spawnSession);
});

test('instrumenting twice is a precise error; undo then allows it again', () => {
  const client = new LlmClient();
  const undo = instrumentLlmClient(client);
  assert.throws(() => instrumentLlmClient(client), /already instrumented by instrumentLlmClient\(\)/);
  undo();
  instrumentLlmClient(client)();
});

test('a failed session result fails the span and counts the failure', async () => {
  const daemon = new EventEmitter();
  const undoD = instrumentOrchestratorDaemon(daemon, { orchestratorId: 'o9' });
  const executor = { executeSession: async () => ({ success: false, error: 'model refused', iterations: 1 }) };
  const undo = instrumentSessionExecutor(executor, { orchestratorId: 'o9' });
  daemon.emit('session:spawned', { id: 's1', type: 'ruflo' });
  await executor.executeSession();
  daemon.emit('session:failed', { session: { id: 's1', type: 'ruflo' }, error: Object.assign(new Error('x'), { code: 'session_failed' }) });
  daemon.emit('session:failed', { session: { id: 's1', type: 'ruflo' }, error: new Error('again') });
  const agent = h.spans().find((s) => s.name.startsWith('invoke_agent'))!;
  assert.equal(agent.status.code, SpanStatusCode.ERROR);
  assert.equal(agentMetrics.failed.get({ orchestrator_id: 'o9', session_type: 'ruflo', error_type: 'session_failed' }), 1, 'counted once');
  undo();
  undoD();
  assert.equal(daemon.listenerCount('session:failed'), 0);
  // A listener failure never reaches the daemon's emit.
  const undo2 = instrumentOrchestratorDaemon(daemon);
  assert.doesNotThrow(() => daemon.emit('session:failed', { get session(): never { throw new Error('hostile'); } }));
  undo2();
});

test('memory manager: spans per operation, searches with cache hits/misses, compactions, entry gauges; undo restores', async () => {
  const sizes = { episodic: { entries: 0, bytes: 0 } };
  const memory = {
    async store(tier: string, _v: string) {
      sizes.episodic.entries++;
      sizes.episodic.bytes += 10;
      return tier;
    },
    search(q: { tier: string; query: string }) {
      return { results: [], cacheHit: q.query === 'hot' };
    },
    async compact(_tier: string) {
      return { strategy: 'summarize' };
    },
  };
  const before = snapshot(memory);
  const undo = instrumentMemoryManager(memory, { stats: () => sizes, orchestratorId: 'o1' });
  await memory.store('episodic', 'x');
  memory.search({ tier: 'semantic', query: 'hot' });
  memory.search({ tier: 'semantic', query: 'cold' });
  await memory.compact('episodic');
  assert.equal(memoryMetrics.searches.get({ tier: 'semantic', orchestrator_id: 'o1' }), 2);
  assert.equal(memoryMetrics.cacheHits.get({ tier: 'semantic' }), 1);
  assert.equal(memoryMetrics.cacheMisses.get({ tier: 'semantic' }), 1);
  assert.equal(memoryMetrics.compactions.get({ tier: 'episodic', strategy: 'summarize' }), 1);
  assert.equal(memoryMetrics.entries.get({ tier: 'episodic', orchestrator_id: 'o1' }), 1);
  assert.equal(memoryMetrics.bytes.get({ tier: 'episodic' }), 10);
  assert.deepEqual(h.spans().map((s) => s.name), ['memory.store episodic', 'memory.search semantic', 'memory.search semantic', 'memory.compact episodic']);
  undo();
  assert.deepEqual(snapshot(memory), before);
  assert.throws(() => instrumentMemoryManager({}), /found none of the methods store, search, compact/);
});

test('token budget tracker: threshold events set the budget gauge', async () => {
  const tracker = new EventEmitter();
  const undo = instrumentTokenBudgetTracker(tracker, { orchestratorId: 'o1' });
  tracker.emit('threshold', { period: 'daily', utilization: 0.92, threshold: 0.9 });
  assert.equal(await promValue(daemonMetrics.budgetUtilization as never, { orchestrator_id: 'o1', period: 'daily' }), 92);
  tracker.emit('budget:exceeded', { period: 'monthly', used: 150, limit: 100, orchestratorId: 'o2' });
  assert.equal(await promValue(daemonMetrics.budgetUtilization as never, { orchestrator_id: 'o2', period: 'monthly' }), 150);
  assert.ok(logs.entries.some((e) => e.level === 'warn' && e.message === 'Token budget threshold crossed'));
  undo();
  assert.equal(tracker.eventNames().length, 0);
});

test('task queue: depth, enqueued, dequeued, processing time', async () => {
  const queue = {
    items: [] as number[],
    enqueue(x: number) {
      this.items.push(x);
    },
    dequeue() {
      return this.items.shift();
    },
    get size() {
      return this.items.length;
    },
    async process(x: number) {
      return x * 2;
    },
  };
  const undo = instrumentTaskQueue(queue, { name: 'tasks' });
  for (let i = 0; i < 5; i++) queue.enqueue(i);
  assert.equal(queueMetrics.depth.get({ queue_name: 'tasks' }), 5);
  queue.dequeue();
  assert.equal(queueMetrics.depth.get({ queue_name: 'tasks' }), 4);
  assert.equal(queueMetrics.enqueued.get({ queue_name: 'tasks' }), 5);
  assert.equal(queueMetrics.dequeued.get({ queue_name: 'tasks' }), 1);
  assert.equal(await queue.process(2), 4);
  assert.equal(h.spans().length, 0, 'no queue span: the work joins the enqueuer trace');
  undo();
  assert.equal(Object.prototype.hasOwnProperty.call(queue, 'enqueue'), true);
  assert.throws(() => instrumentTaskQueue(queue, { name: '' }), /needs options.name/);
});

test('tool executor without a per-call method: one span per call over the batch', async () => {
  const tools = {
    async executeToolCalls(calls: { name: string }[]) {
      return calls.map((c) => ({ success: c.name !== 'bad', error: c.name === 'bad' ? 'timed out' : undefined }));
    },
  };
  const undo = instrumentToolExecutor(tools);
  await tools.executeToolCalls([{ name: 'a' }, { name: 'bad' }]);
  assert.deepEqual(h.spans().map((s) => s.name).sort(), ['execute_tool a', 'execute_tool bad']);
  assert.equal(toolMetrics.errors.get({ tool_name: 'bad', error_type: 'timeout' }), 1);
  undo();
  assert.ok(!Object.getOwnPropertySymbols(tools).includes(Symbol.for('@wundr/otel.instrumented')));
});

void trace;
void context;
void wsMetrics;

test('run-time failures inside the telemetry never reach the host: throwing option callbacks, odd results', async () => {
  const llm = new LlmClient();
  const memory = { search: (q: unknown) => ({ q }) };
  const tools = { executeToolCalls: async (calls: unknown[]) => (calls.length ? null : undefined) };
  const undos = [
    instrumentLlmClient(llm, {
      provider: () => {
        throw new Error('provider boom');
      },
      cost: () => {
        throw new Error('cost boom');
      },
    }),
    instrumentMemoryManager(memory, {
      tierOf: () => {
        throw new Error('tier boom');
      },
      stats: () => {
        throw new Error('stats boom');
      },
    }),
    instrumentToolExecutor(tools),
  ];
  const r = await llm.chat({ model: 'm' });
  assert.equal(r.content, 'hi', 'the original result comes back');
  assert.deepEqual(memory.search({ tier: 'x' }), { q: { tier: 'x' } });
  assert.equal(await tools.executeToolCalls([{ name: 't' }]), null, 'odd results pass through untouched');
  assert.equal(await tools.executeToolCalls([]), undefined);
  assert.equal(modelMetrics.requests.get({ provider: 'anthropic', model: 'm' }), 1, 'provider fell back to client.provider');
  assert.ok(h.spans().some((s) => s.name === 'memory.search default'));
  for (const u of undos) u();
});
