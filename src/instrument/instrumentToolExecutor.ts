import { context, createContextKey, trace } from '@opentelemetry/api';
import { recordToolExecution, toolMetrics } from '../metrics/wundrMetrics.ts';
import { daemonMetrics } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { errorTypeOf, failSpan } from '../tracing/spans.ts';
import { startMcpSpan, startToolSpan } from '../tracing/agentSpans.ts';
import { claim, guard, isInstrumented, isThenable, requireObject, since, wrapMethod, type Undo, callWith } from './patch.ts';
import { currentSession } from './sessionContext.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

/** A tool call as the LLM returns it. */
export interface ToolCallLike {
  id?: string;
  name: string;
  arguments?: unknown;
}

/** The part of the daemon's ToolExecutor the adapter uses. */
export interface ToolExecutorLike {
  /** Runs a batch of tool calls; resolves with one result per call. */
  executeToolCalls(calls: ToolCallLike[], ...rest: unknown[]): unknown;
  /** Runs one tool call; resolves with `{ success, error?, … }`. Instrumented when present. */
  executeToolCall?(call: ToolCallLike, ...rest: unknown[]): unknown;
  /** The MCP registry the executor calls; instrumented too when present (see instrumentMcpRegistry). */
  mcpRegistry?: McpRegistryLike;
}

/** The part of an MCP tool registry the adapter uses. */
export interface McpRegistryLike {
  executeTool(toolId: string, operation?: string, params?: unknown, ...rest: unknown[]): unknown;
}

export interface InstrumentToolExecutorOptions {
  /** Used for `orchestrator_tool_invocations_total` when no session is in context. */
  orchestratorId?: string;
  /** Also instrument this MCP registry (default: `executor.mcpRegistry` when it has executeTool). */
  mcpRegistry?: McpRegistryLike | false;
  /** MCP server name for the MCP spans. */
  mcpServer?: string;
}

interface ResultLike {
  success?: unknown;
  error?: unknown;
  status?: unknown;
}

const BATCH = createContextKey('@wundr/otel tool batch');

function statusOf(result: unknown): 'success' | 'error' | 'timeout' {
  const r = (result ?? {}) as ResultLike;
  if (r.status === 'timeout') return 'timeout';
  if (r.success === false || r.status === 'error' || (r.error !== undefined && r.error !== null && r.success !== true)) return 'error';
  return 'success';
}

function errorTypeOfResult(result: unknown): string {
  const e = (result as ResultLike | undefined)?.error;
  if (e && typeof e === 'object') return errorTypeOf(e);
  if (typeof e === 'string' && /timeout|timed out/i.test(e)) return 'timeout';
  return 'tool_error';
}

/**
 * Tool metrics and spans for the ToolExecutor (docs/ADAPTERS.md "wrap
 * executeToolCalls"): each call runs in an `execute_tool {tool}` span and is
 * counted in `wundr_tool_execution_total` / `_duration_seconds` (by status),
 * `wundr_tool_errors_total` and `orchestrator_tool_invocations_total`; a
 * batch raises `wundr_tool_queue_depth` until each call starts. The MCP
 * registry behind it gets `tools/call {tool}` spans. Returns the undo function.
 *
 * @example
 * const undo = instrumentToolExecutor(toolExecutor, { mcpServer: 'wundr-mcp' });
 */
export function instrumentToolExecutor(executor: ToolExecutorLike, options: InstrumentToolExecutorOptions = {}): Undo {
  requireObject(executor, 'instrumentToolExecutor', 'the ToolExecutor');
  if (typeof executor.executeToolCalls !== 'function') {
    throw new Error('@wundr/otel: instrumentToolExecutor() needs an object with executeToolCalls(toolCalls)');
  }
  const finish = claim(executor, 'instrumentToolExecutor');
  const log = new StructuredLogger('ToolExecutor');
  const undos: Undo[] = [];
  const perCall = typeof executor.executeToolCall === 'function';

  const runOne = (self: unknown, original: (...a: any[]) => any, call: ToolCallLike, rest: unknown[]) => {
    const name = typeof call?.name === 'string' && call.name !== '' ? call.name : 'unknown';
    const batch = context.active().getValue(BATCH) as { waiting: number } | undefined;
    if (batch && batch.waiting > 0) {
      batch.waiting--;
      guard('tool queue depth', () => toolMetrics.queueDepth.dec());
    }
    const span = startToolSpan({ toolName: name, callId: typeof call?.id === 'string' ? call.id : undefined, toolType: 'function' });
    const ctx = trace.setSpan(context.active(), span);
    const t0 = performance.now();
    const record = (status: 'success' | 'error' | 'timeout', errorType: string | undefined, err: unknown) => {
      guard('tool metrics', () =>
        context.with(ctx, () => {
          const seconds = since(t0);
          const o = currentSession()?.orchestratorId ?? options.orchestratorId ?? 'unknown';
          recordToolExecution(name, status, seconds);
          daemonMetrics.toolInvocations.inc({ orchestrator_id: o, tool_name: name, status });
          if (status !== 'success') {
            toolMetrics.errors.inc({ tool_name: name, error_type: errorType ?? 'tool_error' });
            log.warn('Tool execution failed', { toolName: name, status, duration: Math.round(seconds * 1000), error: errorMessage(err) });
          } else log.debug('Tool executed', { toolName: name, duration: Math.round(seconds * 1000) });
          emitInstrumentEvent('ToolExecutor', 'tool.executed', { toolName: name, status, durationSeconds: seconds });
        }),
      );
    };
    const done = (result: unknown) => {
      const status = statusOf(result);
      if (status !== 'success') failSpan(span, new Error(errorMessage((result as ResultLike).error ?? status)), status === 'timeout' ? 'timeout' : errorTypeOfResult(result));
      record(status, status === 'timeout' ? 'timeout' : errorTypeOfResult(result), (result as ResultLike)?.error);
      span.end();
      return result;
    };
    const fail = (err: unknown) => {
      failSpan(span, err);
      record('error', errorTypeOf(err), err);
      span.end();
      throw err;
    };
    return callWith(ctx, () => original.call(self, call, ...rest), done, fail);
  };

  try {
    if (perCall) {
      undos.push(
        wrapMethod(executor, 'executeToolCall', (original) =>
          function (this: unknown, call: ToolCallLike, ...rest: unknown[]) {
            return runOne(this, original, call, rest);
          },
        ),
      );
    }
    undos.push(
      wrapMethod(executor, 'executeToolCalls', (original) =>
        function (this: unknown, calls: ToolCallLike[], ...rest: unknown[]) {
          const list = Array.isArray(calls) ? calls : [];
          const n = list.length;
          const batch = { waiting: perCall ? n : 0 };
          if (batch.waiting > 0) guard('tool queue depth', () => toolMetrics.queueDepth.inc(n));
          // Without a per-call method to hook, each call gets a span over the whole batch.
          const batchSpans = perCall
            ? []
            : list.map((c) => startToolSpan({ toolName: typeof c?.name === 'string' ? c.name : 'unknown', callId: typeof c?.id === 'string' ? c.id : undefined }));
          const t0 = performance.now();
          const settle = (results: unknown, err?: unknown) => {
            if (batch.waiting > 0) {
              const left = batch.waiting;
              batch.waiting = 0;
              guard('tool queue depth', () => toolMetrics.queueDepth.dec(left));
            }
            if (perCall) return;
            guard('tool batch metrics', () => {
              const seconds = since(t0);
              const o = currentSession()?.orchestratorId ?? options.orchestratorId ?? 'unknown';
              for (let i = 0; i < n; i++) {
                const name = typeof list[i]?.name === 'string' ? list[i]!.name : 'unknown';
                const r = Array.isArray(results) ? results[i] : undefined;
                const status = err !== undefined ? 'error' : statusOf(r);
                const secs = typeof (r as { executionTime?: unknown })?.executionTime === 'number' ? (r as { executionTime: number }).executionTime / 1000 : seconds;
                recordToolExecution(name, status, secs);
                daemonMetrics.toolInvocations.inc({ orchestrator_id: o, tool_name: name, status });
                if (status !== 'success') {
                  const type = err !== undefined ? errorTypeOf(err) : errorTypeOfResult(r);
                  toolMetrics.errors.inc({ tool_name: name, error_type: type });
                  failSpan(batchSpans[i]!, err ?? new Error(errorMessage((r as ResultLike)?.error ?? status)), type);
                }
              }
            });
            for (const sp of batchSpans) sp.end();
          };
          let runCtx = context.active();
          if (perCall) runCtx = runCtx.setValue(BATCH, batch);
          else if (n === 1) runCtx = trace.setSpan(runCtx, batchSpans[0]!);
          let out: unknown;
          try {
            out = context.with(runCtx, () => original.call(this, calls, ...rest));
          } catch (err) {
            settle(undefined, err);
            throw err;
          }
          if (isThenable(out)) {
            return (out as Promise<unknown>).then(
              (v) => {
                settle(v);
                return v;
              },
              (err: unknown) => {
                settle(undefined, err);
                throw err;
              },
            );
          }
          settle(out);
          return out;
        },
      ),
    );
    const registry = options.mcpRegistry === false ? undefined : (options.mcpRegistry ?? executor.mcpRegistry);
    if (registry && typeof registry.executeTool === 'function' && !isInstrumented(registry, 'instrumentMcpRegistry')) {
      undos.push(instrumentMcpRegistry(registry, { server: options.mcpServer }));
    }
  } catch (err) {
    finish(undos)();
    throw err;
  }
  return finish(undos);
}

/**
 * MCP spans for a tool registry: `executeTool(toolId, operation, params)`
 * runs in a `tools/call {toolId}` CLIENT span; `{ success: false }` or a
 * throw fails it. Returns the undo function.
 */
export function instrumentMcpRegistry(registry: McpRegistryLike, options: { server?: string } = {}): Undo {
  requireObject(registry, 'instrumentMcpRegistry', 'the MCP tool registry');
  if (typeof registry.executeTool !== 'function') {
    throw new Error('@wundr/otel: instrumentMcpRegistry() needs an object with executeTool(toolId, operation, params)');
  }
  const finish = claim(registry, 'instrumentMcpRegistry');
  const undos: Undo[] = [];
  undos.push(
    wrapMethod(registry, 'executeTool', (original) =>
      function (this: unknown, toolId: string, ...rest: unknown[]) {
        const span = startMcpSpan({ toolName: typeof toolId === 'string' ? toolId : 'unknown', server: options.server });
        const done = (r: unknown) => {
          if ((r as ResultLike)?.success === false) failSpan(span, new Error(errorMessage((r as { message?: unknown }).message ?? 'MCP tool failed')), 'mcp_error');
          span.end();
          return r;
        };
        const fail = (err: unknown) => {
          failSpan(span, err);
          span.end();
          throw err;
        };
        return callWith(trace.setSpan(context.active(), span), () => original.call(this, toolId, ...rest), done, fail);
      },
    ),
  );
  return finish(undos);
}
