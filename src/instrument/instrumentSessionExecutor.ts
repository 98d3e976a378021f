import { context, trace, type Span } from '@opentelemetry/api';
import { sessionMetrics } from '../metrics/wundrMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { failSpan } from '../tracing/spans.ts';
import { recordSessionComplete, startAgentSpan } from '../tracing/agentSpans.ts';
import { ATTR } from '../tracing/genai.ts';
import { claim, guard, requireObject, since, wrapMethod, type Undo, callWith } from './patch.ts';
import { currentSession, sessionInfoOf, withSession, type SessionInfo } from './sessionContext.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

/** The part of the daemon's SessionExecutor the adapter uses. */
export interface SessionExecutorLike {
  /**
   * `executeSession(session, task, options?)`; the session has `id`,
   * `orchestratorId`, `type`; the result `{ success, iterations?, error?, … }`.
   */
  executeSession(session: unknown, task?: unknown, ...rest: unknown[]): unknown;
}

export interface InstrumentSessionExecutorOptions {
  /** Used when a session object does not name its orchestrator. */
  orchestratorId?: string;
  /** Agent name for the `invoke_agent {name}` span; default: the session type. */
  agentName?: (session: unknown, task: unknown) => string;
}

interface ResultLike {
  success?: unknown;
  iterations?: unknown;
  error?: unknown;
  toolCallsMade?: unknown;
}

/**
 * Session metrics and spans for SessionExecutor.executeSession (docs/ADAPTERS.md:
 * the session runs inside its `invoke_agent {type}` span (reusing the one
 * the SessionManager adapter opened for the same spawn), with the session
 * in the context so the LLM and tool adapters label their metrics with it;
 * at the end `session.complete` is recorded, `wundr_session_duration_seconds`
 * and `wundr_session_iterations_total` are updated, and a result with
 * `success: false` (or a throw) fails the span. Returns the undo function.
 *
 * @example
 * const undo = instrumentSessionExecutor(executor, { orchestratorId: 'orch-1' });
 */
export function instrumentSessionExecutor(executor: SessionExecutorLike, options: InstrumentSessionExecutorOptions = {}): Undo {
  requireObject(executor, 'instrumentSessionExecutor', 'the SessionExecutor');
  if (typeof executor.executeSession !== 'function') {
    throw new Error('@wundr/otel: instrumentSessionExecutor() needs an object with executeSession(session, task, options)');
  }
  const finish = claim(executor, 'instrumentSessionExecutor');
  const log = new StructuredLogger('SessionExecutor');
  const undos: Undo[] = [];
  try {
    undos.push(
      wrapMethod(executor, 'executeSession', (original) =>
        function (this: unknown, session: unknown, task?: unknown, ...rest: unknown[]) {
          const outer = currentSession();
          const s: SessionInfo = sessionInfoOf(session, {
            orchestratorId: outer?.orchestratorId ?? options.orchestratorId ?? 'unknown',
            sessionType: outer?.sessionType ?? 'claude-code',
          });
          const o = s.orchestratorId!;
          const st = s.sessionType!;
          // Inside the SessionManager's spawn span for the same session: reuse it.
          const active = trace.getSpan(context.active());
          const reuse = outer !== undefined && (outer.sessionId === undefined || outer.sessionId === s.sessionId) && active !== undefined;
          let span: Span;
          if (reuse) {
            span = active!;
            if (s.sessionId) guard('session attributes', () => span.setAttributes({ [ATTR.WUNDR_SESSION_ID]: s.sessionId!, [ATTR.GEN_AI_CONVERSATION_ID]: s.sessionId! }));
          } else {
            let name = st;
            if (options.agentName) guard('agentName()', () => (name = options.agentName!(session, task)));
            span = startAgentSpan({ agentName: name, sessionId: s.sessionId, sessionType: st, orchestratorId: o });
          }
          const ctx = withSession(trace.setSpan(context.active(), span), s);
          const slog = log.child({ sessionId: s.sessionId, orchestratorId: o });
          const t0 = performance.now();
          context.with(ctx, () => slog.info('Session execution started', { sessionType: st }));

          const done = (result: unknown) => {
            guard('session result bookkeeping', () =>
              context.with(ctx, () => {
                const seconds = since(t0);
                const r = (result ?? {}) as ResultLike;
                const ok = r.success !== false;
                const iterations = typeof r.iterations === 'number' && r.iterations >= 0 ? r.iterations : undefined;
                sessionMetrics.duration.observe({ orchestrator_id: o, session_type: st }, seconds);
                if (iterations) sessionMetrics.iterations.inc({ orchestrator_id: o }, iterations);
                if (!ok) failSpan(span, new Error(typeof r.error === 'string' ? r.error : 'session failed'), 'session_failed');
                recordSessionComplete({ sessionId: s.sessionId, exitReason: ok ? 'success' : 'error', iterations });
                const meta = { duration: Math.round(seconds * 1000), iterations, toolCallsMade: r.toolCallsMade, success: ok };
                if (ok) slog.info('Session execution completed', meta);
                else slog.warn('Session execution failed', { ...meta, error: errorMessage(r.error) });
                emitInstrumentEvent('SessionExecutor', 'session.executed', { ...s, durationSeconds: seconds, iterations, success: ok });
              }),
            );
            if (!reuse) span.end();
            return result;
          };
          const fail = (err: unknown) => {
            guard('session error bookkeeping', () =>
              context.with(ctx, () => {
                const seconds = since(t0);
                sessionMetrics.duration.observe({ orchestrator_id: o, session_type: st }, seconds);
                failSpan(span, err);
                recordSessionComplete({ sessionId: s.sessionId, exitReason: 'error' });
                slog.error('Session execution threw', { duration: Math.round(seconds * 1000), error: errorMessage(err) });
              }),
            );
            if (!reuse) span.end();
            throw err;
          };
          return callWith(ctx, () => original.call(this, session, task, ...rest), done, fail);
        },
      ),
    );
  } catch (err) {
    finish(undos)();
    throw err;
  }
  return finish(undos);
}
