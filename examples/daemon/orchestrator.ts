/**
 * The simulated OrchestratorDaemon: wires the classes of sim.ts together,
 * serves WebSocket clients, runs a task queue, delegates some tasks to a
 * federation peer over HTTP, and is instrumented by the @wundr/otel
 * adapters — the only place that knows about telemetry.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import { context, trace, type Context } from '@opentelemetry/api';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  failSpan,
  federationHeaders,
  getHealthChecker,
  instrumentLlmClient,
  instrumentMemoryManager,
  instrumentOrchestratorDaemon,
  instrumentSessionExecutor,
  instrumentSessionManager,
  instrumentTaskQueue,
  instrumentTokenBudgetTracker,
  instrumentToolExecutor,
  instrumentWebSocketServer,
  queueMetrics,
  recordFederationDelegation,
  recordNodeLoad,
  StructuredLogger,
  startFederationSpan,
  type Undo,
} from '../../src/index.ts';
import {
  McpToolRegistry,
  MemoryManager,
  Rng,
  SessionExecutor,
  SessionManager,
  SimulatedLlmClient,
  TaskQueue,
  TokenBudgetTracker,
  ToolExecutor,
  sleep,
  type SimulationKnobs,
  type Task,
} from './sim.ts';

/** Per-million-token prices (USD) of the simulated models. */
const PRICES: Record<string, { input: number; output: number }> = {
  'claude-sonnet-4': { input: 3, output: 15 },
  'gpt-4o': { input: 2.5, output: 10 },
};

export interface OrchestratorOptions {
  orchestratorId: string;
  provider: string;
  model: string;
  knobs: SimulationKnobs;
  /** Base URL of the federation peer (delegations go to POST {peer}/federation/delegate). */
  peerUrl?: string;
  peerId?: string;
  /** Parallel session workers. */
  workers: number;
  /** Low-priority items parked in the queue (WUNDR_DEMO_QUEUE_BACKLOG), served one per 10 s. */
  backlog: number;
  dailyTokenBudget: number;
  seed?: number;
}

interface QueuedTask extends Task {
  /** The trace context of the request that enqueued it: the session joins that trace. */
  ctx: Context;
}

export class OrchestratorDaemon extends EventEmitter {
  readonly options: OrchestratorOptions;
  readonly llm: SimulatedLlmClient;
  readonly mcp: McpToolRegistry;
  readonly tools: ToolExecutor;
  readonly memory: MemoryManager;
  readonly executor: SessionExecutor;
  readonly sessions: SessionManager;
  readonly budget: TokenBudgetTracker;
  readonly queue = new TaskQueue<QueuedTask>();
  private readonly log = new StructuredLogger('OrchestratorDaemon');
  private readonly undos: Undo[] = [];
  private wss: WebSocketServer | undefined;
  private running = false;
  private readonly startedAt = Date.now();
  private workersDone: Promise<void>[] = [];
  private lastBacklogServe = Date.now();
  private readonly fedAgent = new http.Agent({ keepAlive: false });
  private readonly peerHealthy = { ok: true };
  /** Idempotency keys of recent tasks: a client's retry of a task already queued is dropped. */
  private readonly recentKeys = new Set<string>();
  private loadTimer: NodeJS.Timeout | undefined;

  constructor(options: OrchestratorOptions) {
    super();
    this.options = options;
    const rng = new Rng(options.seed);
    this.llm = new SimulatedLlmClient(options.provider, rng, options.knobs);
    this.mcp = new McpToolRegistry(rng, options.knobs);
    this.tools = new ToolExecutor(this.mcp);
    this.memory = new MemoryManager(rng);
    this.budget = new TokenBudgetTracker(options.dailyTokenBudget);
    this.executor = new SessionExecutor({
      llm: this.llm,
      tools: this.tools,
      memory: this.memory,
      model: options.model,
      delegate: options.peerUrl ? (task) => this.delegate(task) : undefined,
      onTokens: (n) => this.budget.record(n),
    });
    this.sessions = new SessionManager(this.executor);
    // The daemon re-emits its SessionManager's events, as the real one does.
    for (const e of ['session:running', 'session:spawned', 'session:completed', 'session:failed', 'session:stopped']) {
      this.sessions.on(e, (...args) => this.emit(e, ...args));
    }
    for (let i = 0; i < options.backlog; i++) {
      this.queue.enqueue({ id: `backlog_${i}`, type: 'reindex', description: 'Re-index the semantic memory', priority: 'low', ctx: context.active() });
    }
    this.instrument();
  }

  /** Every adapter of seed §10, each undone on stop. */
  private instrument(): void {
    const o = this.options.orchestratorId;
    this.undos.push(
      instrumentOrchestratorDaemon(this, { orchestratorId: o }),
      instrumentSessionManager(this.sessions, { agentName: (task) => `${(task as Task).type}-agent` }),
      instrumentSessionExecutor(this.executor, { orchestratorId: o }),
      instrumentToolExecutor(this.tools, { orchestratorId: o, mcpServer: 'wundr-mcp' }),
      instrumentMemoryManager(this.memory, { orchestratorId: o, stats: () => this.memory.stats() }),
      instrumentLlmClient(this.llm, {
        orchestratorId: o,
        cost: ({ model, inputTokens, outputTokens }) => {
          const p = PRICES[model];
          return p ? (inputTokens * p.input + outputTokens * p.output) / 1e6 : undefined;
        },
      }),
      instrumentTokenBudgetTracker(this.budget, { orchestratorId: o }),
      instrumentTaskQueue(this.queue, { name: 'tasks' }),
    );
  }

  /** Attaches the WebSocket server to the app's HTTP server (path /ws). */
  attach(server: http.Server): void {
    const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1024 * 1024 });
    this.wss = wss;
    this.undos.push(instrumentWebSocketServer(wss, { orchestratorId: this.options.orchestratorId }));
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => this.onMessage(socket, data, isBinary));
      socket.on('error', () => {});
    });
  }

  private onMessage(socket: WebSocket, data: unknown, isBinary: boolean): void {
    if (isBinary) return;
    let msg: { type?: string; payload?: Record<string, unknown> };
    try {
      msg = JSON.parse(String(data));
    } catch {
      socket.send(JSON.stringify({ type: 'error', error: 'invalid JSON' }));
      return;
    }
    switch (msg.type) {
      case 'task': {
        const p = msg.payload ?? {};
        const key = typeof p.idempotencyKey === 'string' ? p.idempotencyKey : undefined;
        if (key !== undefined && this.recentKeys.has(key)) {
          queueMetrics.dropped.inc({ queue_name: 'tasks', reason: 'duplicate' });
          socket.send(JSON.stringify({ type: 'task:duplicate', idempotencyKey: key }));
          break;
        }
        if (key !== undefined) {
          this.recentKeys.add(key);
          if (this.recentKeys.size > 1000) this.recentKeys.delete(this.recentKeys.values().next().value!);
        }
        const task: QueuedTask = {
          id: `task_${randomUUID().slice(0, 8)}`,
          type: typeof p.taskType === 'string' ? p.taskType : 'code-review',
          description: typeof p.description === 'string' ? p.description : 'Review the latest change',
          priority: 'normal',
          delegate: p.delegate === true,
          ctx: context.active(),
        };
        this.queue.enqueue(task);
        socket.send(JSON.stringify({ type: 'task:accepted', taskId: task.id }));
        break;
      }
      case 'subscribe':
      case 'unsubscribe':
        socket.send(JSON.stringify({ type: `${msg.type}d` }));
        break;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        break;
      default:
        socket.send(JSON.stringify({ type: 'error', error: `unknown type ${String(msg.type)}` }));
    }
  }

  /** Starts the session workers. */
  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.workers; i++) this.workersDone.push(this.worker());
    const health = getHealthChecker();
    health.setStatusProvider(this);
    // The node's load for the federation's scheduler: busy workers over workers, every 5 s.
    const reportLoad = () => recordNodeLoad({ node_id: this.options.orchestratorId }, this.sessions.getActiveSessionCount() / this.options.workers);
    reportLoad();
    this.loadTimer = setInterval(reportLoad, 5000);
    this.loadTimer.unref();
  }

  private async worker(): Promise<void> {
    while (this.running) {
      const serveBacklog = Date.now() - this.lastBacklogServe > 10_000;
      const task = this.queue.dequeue(serveBacklog);
      if (!task) {
        await sleep(20);
        continue;
      }
      if (task.priority === 'low') this.lastBacklogServe = Date.now();
      await this.queue.process(task, (t) =>
        context.with(t.ctx, () =>
          this.sessions.spawnSession(this.options.orchestratorId, t, t.type === 'refactor' ? 'ruflo' : 'claude-code').catch((err) => {
            this.log.error('Could not spawn a session', { taskId: t.id, error: (err as Error).message });
          }),
        ),
      );
    }
  }

  /** Delegates a task to the peer orchestrator over HTTP (seed §5.2 "Orchestrator -> federation"). */
  private async delegate(task: Task): Promise<{ status: string }> {
    const from = this.options.orchestratorId;
    const to = this.options.peerId ?? 'peer';
    const span = startFederationSpan({ from, to, taskType: task.type });
    const ctx = trace.setSpan(context.active(), span);
    try {
      const res = await context.with(ctx, () =>
        postJson(`${this.options.peerUrl}/federation/delegate`, { from, task: { id: task.id, type: task.type, description: task.description } }, federationHeaders(), this.fedAgent),
      );
      const status = res.status === 200 ? 'success' : res.status === 409 ? 'rejected' : 'error';
      recordFederationDelegation({ from_orchestrator: from, to_orchestrator: to, status });
      this.peerHealthy.ok = status !== 'error';
      if (status === 'error') failSpan(span, new Error(`peer answered ${res.status}`), String(res.status));
      this.log.info('Task delegated', { taskId: task.id, to, status });
      return { status };
    } catch (err) {
      recordFederationDelegation({ from_orchestrator: from, to_orchestrator: to, status: 'error' });
      this.peerHealthy.ok = false;
      failSpan(span, err);
      this.log.warn('Delegation failed', { taskId: task.id, to, error: (err as Error).message });
      return { status: 'error' };
    } finally {
      span.end();
    }
  }

  /** Seed §7 DaemonStatus, read by /health. */
  getStatus() {
    const at = new Date();
    const sub = (status: 'running' | 'degraded' | 'error' | 'stopped') => ({ status, lastCheck: at });
    return {
      status: (this.running ? 'running' : 'stopped') as 'running' | 'stopped',
      uptime: Date.now() - this.startedAt,
      activeSessions: this.sessions.getActiveSessionCount(),
      queuedTasks: this.queue.size,
      subsystems: {
        websocket: sub(this.wss ? 'running' : 'stopped'),
        sessionManager: sub('running'),
        memoryManager: sub('running'),
        llmClient: sub('running'),
        mcpRegistry: sub('running'),
        ...(this.options.peerUrl ? { federation: sub(this.peerHealthy.ok ? 'running' : 'degraded') } : {}),
      },
    };
  }

  /** Stops the workers (waiting for running sessions), closes the WS server and undoes the instrumentation. */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.loadTimer);
    // unref: the bound must not itself hold the process for its full 5 s.
    await Promise.race([Promise.allSettled(this.workersDone), new Promise<void>((r) => setTimeout(r, 5000).unref())]);
    for (const s of this.wss?.clients ?? []) s.close(1001, 'shutting down');
    await new Promise<void>((r) => (this.wss ? this.wss.close(() => r()) : r()));
    for (const u of this.undos.reverse()) u();
    this.fedAgent.destroy();
  }
}

/** POST JSON; resolves with status and body. Bounded by a 10 s timeout. */
export function postJson(url: string, body: unknown, headers: Record<string, string>, agent?: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', agent, timeout: 10_000, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('federation request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}
