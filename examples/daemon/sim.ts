/**
 * Simplified forms of the wundr orchestrator daemon's classes (seed §10),
 * with the same method names and result shapes as the real ones, driven
 * against a simulated LLM provider. They know nothing about telemetry: the
 * @wundr/otel adapters instrument them from outside (see orchestrator.ts).
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A tiny seeded PRNG so a run with WUNDR_DEMO_SEED is reproducible. */
export class Rng {
  private s: number;
  constructor(seed = Date.now()) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

/**
 * An event that happens on a given fraction of trials, with gaps drawn
 * between 0.5 and 1.5 times the mean instead of independent coin flips: the
 * first comes within 1/rate trials, so a short demo run always shows its
 * error series (independent 3 % flips miss 100 tool calls one run in 20).
 */
export class Recurring {
  private readonly rate: number;
  private readonly rng: Rng;
  private left: number;
  constructor(rate: number, rng: Rng) {
    this.rate = rate;
    this.rng = rng;
    this.left = rate > 0 ? rng.next() / rate : Infinity;
  }
  hit(): boolean {
    if (this.rate >= 1) return true;
    if (--this.left > 0) return false;
    this.left += (0.5 + this.rng.next()) / this.rate;
    return true;
  }
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ChatParams {
  model: string;
  messages: { role: string; content: string }[];
  maxTokens?: number;
  metadata?: Record<string, string>;
}

export interface ChatResponse {
  id: string;
  content: string;
  model: string;
  finishReason: 'stop' | 'tool_calls';
  toolCalls?: ToolCall[];
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
}

export class ProviderError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = status === 429 ? 'RateLimitError' : 'ProviderError';
    this.status = status;
  }
}

export interface SimulationKnobs {
  /** Fraction of LLM calls failing with a 5xx. */
  errorRate: number;
  /** Fraction of LLM calls answered 429. */
  rateLimitRate: number;
  /** Multiplies every simulated latency (tests use a small value). */
  latencyScale: number;
}

/** The simulated model provider behind LLMClient.chat(). */
export class SimulatedLlmClient {
  readonly provider: string;
  /** The metadata of the last request (shows the trace id arriving at the provider). */
  lastMetadata: Record<string, string> | undefined;
  private readonly rng: Rng;
  private readonly knobs: SimulationKnobs;
  private readonly rateLimited: Recurring;
  private readonly failing: Recurring;
  /** 503s drawn on calls that were rate-limited: the next calls fail with them. */
  private failuresOwed = 0;

  constructor(provider: string, rng: Rng, knobs: SimulationKnobs) {
    this.provider = provider;
    this.rng = rng;
    this.knobs = knobs;
    this.rateLimited = new Recurring(knobs.rateLimitRate, rng);
    this.failing = new Recurring(knobs.errorRate, rng);
  }

  async chat(params: ChatParams): Promise<ChatResponse> {
    this.lastMetadata = params.metadata;
    const promptTokens = 200 + params.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    await sleep(this.rng.int(20, 180) * this.knobs.latencyScale);
    // Both draws every call, so one kind of failure does not delay the other.
    const limited = this.rateLimited.hit();
    if (this.failing.hit()) this.failuresOwed++;
    if (limited) throw new ProviderError(429, '429 Too Many Requests: rate limit exceeded');
    if (this.failuresOwed > 0) {
      this.failuresOwed--;
      throw new ProviderError(503, '503 Service Unavailable: overloaded');
    }
    const toolTurn = params.messages.filter((m) => m.role === 'tool').length === 0 && params.messages.some((m) => m.content.includes('[tools]'));
    const completionTokens = this.rng.int(30, 400);
    return {
      id: `resp_${randomUUID().slice(0, 8)}`,
      content: toolTurn ? '' : 'Done: the task was analysed and handled.',
      model: params.model,
      finishReason: toolTurn ? 'tool_calls' : 'stop',
      toolCalls: toolTurn
        ? [
            { id: `call_${randomUUID().slice(0, 8)}`, name: 'drift_detection', arguments: JSON.stringify({ operation: 'check', path: 'src' }) },
            ...(this.rng.next() < 0.5 ? [{ id: `call_${randomUUID().slice(0, 8)}`, name: 'dependency_analyze', arguments: '{"operation":"graph"}' }] : []),
          ]
        : undefined,
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
    };
  }
}

/** MCP tool registry (executeTool(toolId, operation, params)). */
export class McpToolRegistry {
  private readonly rng: Rng;
  private readonly knobs: SimulationKnobs;
  private readonly failing: Recurring;
  constructor(rng: Rng, knobs: SimulationKnobs) {
    this.rng = rng;
    this.knobs = knobs;
    this.failing = new Recurring(knobs.errorRate, rng);
  }
  async executeTool(toolId: string, operation: string, _params: unknown): Promise<{ success: boolean; message: string; data?: unknown }> {
    await sleep(this.rng.int(5, 60) * this.knobs.latencyScale);
    if (this.failing.hit()) return { success: false, message: `${toolId}.${operation} failed: workspace locked` };
    return { success: true, message: 'ok', data: { toolId, operation, findings: this.rng.int(0, 5) } };
  }
  listTools(): string[] {
    return ['drift_detection', 'pattern_standardize', 'dependency_analyze'];
  }
}

/** Converts LLM tool calls into MCP invocations (same shape as the daemon's ToolExecutor). */
export class ToolExecutor {
  readonly mcpRegistry: McpToolRegistry;
  constructor(mcpRegistry: McpToolRegistry) {
    this.mcpRegistry = mcpRegistry;
  }
  async executeToolCall(call: ToolCall) {
    const t0 = Date.now();
    let args: { operation?: string } = {};
    try {
      args = JSON.parse(call.arguments);
    } catch {
      // the real executor passes raw strings on
    }
    try {
      const r = await this.mcpRegistry.executeTool(call.name, args.operation ?? call.name, args);
      return { toolCallId: call.id, toolName: call.name, success: r.success, result: r.data ?? r.message, error: r.success ? undefined : r.message, executionTime: Date.now() - t0 };
    } catch (err) {
      return { toolCallId: call.id, toolName: call.name, success: false, result: null, error: (err as Error).message, executionTime: Date.now() - t0 };
    }
  }
  executeToolCalls(calls: ToolCall[]) {
    return Promise.all(calls.map((c) => this.executeToolCall(c)));
  }
}

/** Entries of the episodic tier before a compaction. */
const EPISODIC_LIMIT = 12;

/** Tiered memory (scratchpad / episodic / semantic) with a search cache. */
export class MemoryManager {
  private readonly tiers = new Map<string, string[]>([
    ['scratchpad', []],
    ['episodic', []],
    ['semantic', []],
  ]);
  private readonly cache = new Map<string, number>();
  private readonly rng: Rng;
  constructor(rng: Rng) {
    this.rng = rng;
  }
  async store(tier: string, content: string): Promise<void> {
    await sleep(1);
    const list = this.tiers.get(tier) ?? [];
    list.push(content.slice(0, 200));
    this.tiers.set(tier, list);
  }
  async search(q: { tier: string; query: string }): Promise<{ results: string[]; cacheHit: boolean }> {
    const key = `${q.tier}:${q.query}`;
    const cacheHit = this.cache.has(key);
    await sleep(cacheHit ? 0 : this.rng.int(1, 8));
    this.cache.set(key, Date.now());
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value!);
    return { results: (this.tiers.get(q.tier) ?? []).slice(-3), cacheHit };
  }
  size(tier: string): number {
    return this.tiers.get(tier)?.length ?? 0;
  }
  async compact(tier: string): Promise<{ strategy: string; removed: number }> {
    const list = this.tiers.get(tier) ?? [];
    const keep = Math.floor(EPISODIC_LIMIT / 2);
    const removed = Math.max(0, list.length - keep);
    this.tiers.set(tier, list.slice(-keep));
    return { strategy: 'summarize-and-archive', removed };
  }
  stats(): Record<string, { entries: number; bytes: number }> {
    const out: Record<string, { entries: number; bytes: number }> = {};
    for (const [tier, list] of this.tiers) out[tier] = { entries: list.length, bytes: list.reduce((n, s) => n + s.length, 0) };
    return out;
  }
}

export interface Task {
  id: string;
  type: string;
  description: string;
  priority: 'normal' | 'low';
  /** Delegate this task to the federation peer. */
  delegate?: boolean;
}

export interface Session {
  id: string;
  orchestratorId: string;
  type: 'claude-code' | 'ruflo';
  task: Task;
  status: 'initializing' | 'running' | 'completed' | 'failed' | 'terminated';
  startedAt: Date;
  endedAt?: Date;
}

/** Delegates a task to a peer orchestrator (injected by the daemon). */
export type Delegate = (task: Task) => Promise<{ status: string }>;

/** Runs a session's conversation loop: LLM <-> tools, memory, optional delegation. */
export class SessionExecutor {
  private readonly llm: SimulatedLlmClient;
  private readonly tools: ToolExecutor;
  private readonly memory: MemoryManager;
  private readonly delegate: Delegate | undefined;
  private readonly model: string;
  private readonly onTokens: (n: number) => void;

  constructor(opts: { llm: SimulatedLlmClient; tools: ToolExecutor; memory: MemoryManager; model: string; delegate?: Delegate; onTokens?: (n: number) => void }) {
    this.llm = opts.llm;
    this.tools = opts.tools;
    this.memory = opts.memory;
    this.model = opts.model;
    this.delegate = opts.delegate;
    this.onTokens = opts.onTokens ?? (() => {});
  }

  async executeSession(session: Session, task: Task) {
    const t0 = Date.now();
    let iterations = 0;
    let tokensUsed = 0;
    let toolCallsMade = 0;
    try {
      await this.memory.search({ tier: 'semantic', query: task.type });
      const messages = [
        { role: 'system', content: 'You are a wundr agent. [tools] drift_detection, dependency_analyze' },
        { role: 'user', content: `Task: ${task.description}` },
      ];
      let output = '';
      while (iterations < 4) {
        iterations++;
        const response = await this.chatWithRetry({ model: this.model, messages, maxTokens: 1024 });
        tokensUsed += response.usage.totalTokens;
        this.onTokens(response.usage.totalTokens);
        output = response.content;
        if (response.finishReason === 'tool_calls' && response.toolCalls?.length) {
          const results = await this.tools.executeToolCalls(response.toolCalls);
          toolCallsMade += results.length;
          for (const r of results) messages.push({ role: 'tool', content: JSON.stringify(r.result ?? r.error) });
          continue;
        }
        break;
      }
      if (task.delegate && this.delegate) await this.delegate(task);
      await this.memory.store('episodic', `Task ${task.id}: ${output}`);
      // The episodic tier is kept short: past a few entries it is summarized and archived.
      if (this.memory.size('episodic') > EPISODIC_LIMIT) await this.memory.compact('episodic');
      return { success: true, output, tokensUsed, iterations, executionTime: Date.now() - t0, toolCallsMade };
    } catch (err) {
      return { success: false, output: '', tokensUsed, iterations, executionTime: Date.now() - t0, toolCallsMade, error: (err as Error).message };
    }
  }

  /** One retry after a 429, as clients do. */
  private async chatWithRetry(params: ChatParams): Promise<ChatResponse> {
    try {
      return await this.llm.chat(params);
    } catch (err) {
      if ((err as ProviderError).status !== 429) throw err;
      await sleep(20);
      return this.llm.chat(params);
    }
  }
}

/** Spawns sessions and runs them (same event order as the daemon's SessionManager). */
export class SessionManager extends EventEmitter {
  private readonly sessions = new Map<string, Session>();
  private readonly executor: SessionExecutor;
  private readonly maxSessions: number;
  constructor(executor: SessionExecutor, maxSessions = 50) {
    super();
    this.executor = executor;
    this.maxSessions = maxSessions;
  }

  async spawnSession(orchestratorId: string, task: Task, sessionType: 'claude-code' | 'ruflo' = 'claude-code'): Promise<Session> {
    const active = [...this.sessions.values()].filter((s) => s.status === 'running').length;
    if (active >= this.maxSessions) throw new Error(`Maximum session limit reached (${this.maxSessions}). Cannot spawn new session.`);
    const session: Session = { id: `session_${randomUUID().slice(0, 12)}`, orchestratorId, type: sessionType, task, status: 'initializing', startedAt: new Date() };
    this.sessions.set(session.id, session);
    session.status = 'running';
    this.emit('session:running', session);
    const result = await this.executor.executeSession(session, task);
    session.endedAt = new Date();
    if (result.success) {
      session.status = 'completed';
      this.emit('session:completed', session);
    } else {
      session.status = 'failed';
      this.emit('session:failed', { session, error: Object.assign(new Error(result.error ?? 'failed'), { code: 'session_failed' }) });
    }
    this.emit('session:spawned', session);
    if (this.sessions.size > 500) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  async stopSession(sessionId: string): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (!s) throw new Error(`Session not found: ${sessionId}`);
    s.status = 'terminated';
    this.emit('session:stopped', s);
  }

  getActiveSessionCount(): number {
    return [...this.sessions.values()].filter((s) => s.status === 'running').length;
  }
}

/** Token budget with threshold events (1/10/25/50/75/90/100 % of the daily budget). */
export class TokenBudgetTracker extends EventEmitter {
  private used = 0;
  private readonly limit: number;
  // The low thresholds report the first use of the day early, not only the alarming ones.
  private readonly thresholds = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
  private crossed = 0;
  constructor(dailyLimit: number) {
    super();
    this.limit = dailyLimit;
  }
  record(tokens: number): void {
    this.used += tokens;
    while (this.crossed < this.thresholds.length && this.used >= this.thresholds[this.crossed]! * this.limit) {
      const threshold = this.thresholds[this.crossed++]!;
      this.emit(threshold >= 1 ? 'budget:exceeded' : 'threshold', { period: 'daily', utilization: this.used / this.limit, threshold, used: this.used, limit: this.limit });
    }
  }
}

/** A FIFO task queue with low-priority items served last. */
export class TaskQueue<T extends { priority: string }> {
  private readonly normal: T[] = [];
  private readonly low: T[] = [];
  enqueue(item: T): void {
    (item.priority === 'low' ? this.low : this.normal).push(item);
  }
  /** Next normal item; a low-priority one only when `includeLow`. */
  dequeue(includeLow = false): T | undefined {
    return this.normal.shift() ?? (includeLow ? this.low.shift() : undefined);
  }
  get size(): number {
    return this.normal.length + this.low.length;
  }
  async process(item: T, fn: (item: T) => Promise<unknown>): Promise<unknown> {
    return fn(item);
  }
}
