import { context, trace } from '@opentelemetry/api';
import { daemonMetrics } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { failSpan, startSpan } from '../tracing/spans.ts';
import { startAgentSpan } from '../tracing/agentSpans.ts';
import { ATTR } from '../tracing/genai.ts';
import { claim, guard, listen, requireObject, wrapMethod, type Undo, callWith } from './patch.ts';
import { sessionInfoOf, withSession, type SessionInfo } from './sessionContext.ts';
import { SessionLifecycle } from './SessionLifecycle.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

/** The part of the daemon's SessionManager the adapter uses. */
export interface SessionManagerLike {
  /** `spawnSession(orchestratorId, task, sessionType?, …)`: resolves with the session. */
  spawnSession(orchestratorId: string, task: unknown, sessionType?: string, ...rest: unknown[]): unknown;
  /** `stopSession(sessionId)`. */
  stopSession?(sessionId: string, ...rest: unknown[]): unknown;
  on?(event: string, listener: (...args: any[]) => void): unknown;
  off?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

export interface InstrumentSessionManagerOptions {
  /** Agent name for the `invoke_agent {name}` span; default: the session type. */
  agentName?: (task: unknown, sessionType: string) => string;
}

const START_EVENTS = ['session:running', 'session:spawned'];
const END_EVENTS = ['session:completed', 'session:failed', 'session:stopped'];

/**
 * Session count and spans for the SessionManager (docs/ADAPTERS.md "update on
 * spawn/stop"): `spawnSession` runs inside an `invoke_agent {type}` span
 * (the "Session Spawn" of docs/TRACING.md; the session's LLM and tool spans nest
 * under it), `stopSession` gets a `session.stop` span, and
 * `orchestrator_sessions_active{orchestrator_id,session_type}` follows the
 * session events (or, without events, spawn/stop). Returns the undo function.
 *
 * @example
 * const undo = instrumentSessionManager(sessionManager);
 */
export function instrumentSessionManager(manager: SessionManagerLike, options: InstrumentSessionManagerOptions = {}): Undo {
  requireObject(manager, 'instrumentSessionManager', 'the SessionManager');
  if (typeof manager.spawnSession !== 'function') {
    throw new Error('@wundr/otel: instrumentSessionManager() needs an object with spawnSession(orchestratorId, task, sessionType)');
  }
  const finish = claim(manager, 'instrumentSessionManager');
  const log = new StructuredLogger('SessionManager');
  const lifecycle = new SessionLifecycle();
  const known = new Map<string, SessionInfo>();
  const undos: Undo[] = [];
  const hasEvents = typeof manager.on === 'function';

  const activeUp = (s: SessionInfo) => {
    if (!s.sessionId || !lifecycle.start(s.sessionId)) return;
    known.set(s.sessionId, s);
    if (known.size > 10_000) known.delete(known.keys().next().value!);
    daemonMetrics.sessionsActive.inc({ orchestrator_id: s.orchestratorId ?? 'unknown', session_type: s.sessionType ?? 'unknown' });
    emitInstrumentEvent('SessionManager', 'session.active', { ...s });
  };
  const activeDown = (s: SessionInfo) => {
    if (!s.sessionId) return;
    const seconds = lifecycle.end(s.sessionId);
    if (seconds === undefined) return lifecycle.markEnded(s.sessionId);
    const k = known.get(s.sessionId) ?? s;
    known.delete(s.sessionId);
    daemonMetrics.sessionsActive.dec({ orchestrator_id: k.orchestratorId ?? 'unknown', session_type: k.sessionType ?? 'unknown' });
    emitInstrumentEvent('SessionManager', 'session.inactive', { ...k, durationSeconds: seconds });
  };

  try {
    undos.push(
      wrapMethod(manager, 'spawnSession', (original) =>
        function (this: unknown, orchestratorId: string, task: unknown, sessionType?: string, ...rest: unknown[]) {
          const type = typeof sessionType === 'string' ? sessionType : 'claude-code';
          let name = type;
          if (options.agentName) guard('agentName()', () => (name = options.agentName!(task, type)));
          const span = startAgentSpan({ agentName: name, sessionType: type, orchestratorId });
          const parent = context.active();
          // Session id is unknown until spawnSession returns; the executor adapter fills it in.
          const ctx = withSession(trace.setSpan(parent, span), { orchestratorId, sessionType: type });
          log.info('Spawning session', { orchestratorId, sessionType: type });
          const done = (session: unknown) => {
            guard('session spawn bookkeeping', () => {
              const s = sessionInfoOf(session, { orchestratorId, sessionType: type });
              if (s.sessionId) span.setAttributes({ [ATTR.WUNDR_SESSION_ID]: s.sessionId, [ATTR.GEN_AI_CONVERSATION_ID]: s.sessionId });
              if (!hasEvents) activeUp(s);
            });
            span.end();
            return session;
          };
          const fail = (err: unknown) => {
            failSpan(span, err);
            span.end();
            log.error('Session spawn failed', { orchestratorId, sessionType: type, error: errorMessage(err) });
            throw err;
          };
          return callWith(ctx, () => original.call(this, orchestratorId, task, sessionType, ...rest), done, fail);
        },
      ),
    );
    if (typeof manager.stopSession === 'function') {
      undos.push(
        wrapMethod(manager, 'stopSession', (original) =>
          function (this: unknown, sessionId: string, ...rest: unknown[]) {
            const span = startSpan('session.stop', { attributes: { [ATTR.WUNDR_SESSION_ID]: String(sessionId) } });
            log.info('Stopping session', { sessionId });
            const done = (v: unknown) => {
              if (!hasEvents) guard('session stop bookkeeping', () => activeDown(known.get(sessionId) ?? { sessionId }));
              span.end();
              return v;
            };
            const fail = (err: unknown) => {
              failSpan(span, err);
              span.end();
              throw err;
            };
            return callWith(trace.setSpan(context.active(), span), () => original.call(this, sessionId, ...rest), done, fail);
          },
        ),
      );
    }
    if (hasEvents) {
      const source = manager as Required<Pick<SessionManagerLike, 'on'>> & SessionManagerLike;
      for (const e of START_EVENTS) undos.push(listen(source as never, e, (session: unknown) => activeUp(sessionInfoOf(session))));
      for (const e of END_EVENTS) {
        undos.push(
          listen(source as never, e, (a: unknown) => {
            const session = a !== null && typeof a === 'object' && 'session' in (a as object) ? (a as { session: unknown }).session : a;
            activeDown(sessionInfoOf(session));
          }),
        );
      }
    }
  } catch (err) {
    finish(undos)();
    throw err;
  }
  return finish(undos);
}
