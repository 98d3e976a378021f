import { recordAgentCompleted, recordAgentFailed, recordAgentSpawned } from '../metrics/wundrMetrics.ts';
import { recordError } from '../metrics/daemonMetrics.ts';
import { StructuredLogger } from '../logging/StructuredLogger.ts';
import { errorTypeOf } from '../tracing/spans.ts';
import { claim, listen, requireObject, type EventSourceLike, type Undo } from './patch.ts';
import { sessionInfoOf } from './sessionContext.ts';
import { SessionLifecycle } from './SessionLifecycle.ts';
import { emitInstrumentEvent, errorMessage } from './events.ts';

export interface OrchestratorDaemonEvents {
  /** Emitted when a session (agent) starts. Default: `session:spawned` and `session:running`. */
  spawned: string[];
  /** Emitted when a session finishes well. Default: `session:completed`. */
  completed: string[];
  /** Emitted when a session fails, with `(session, error)` or `({ session, error })`. Default: `session:failed`. */
  failed: string[];
  /** Emitted when a session is stopped from outside. Default: `session:stopped` (counted as completed, exit reason `stopped`). */
  stopped: string[];
}

export interface InstrumentOrchestratorDaemonOptions {
  /** Used when a session object does not name its orchestrator. */
  orchestratorId?: string;
  /** Used when a session object does not name its type. Default `claude-code`. */
  sessionType?: string;
  events?: Partial<OrchestratorDaemonEvents>;
}

const DEFAULT_EVENTS: OrchestratorDaemonEvents = {
  spawned: ['session:spawned', 'session:running'],
  completed: ['session:completed'],
  failed: ['session:failed'],
  stopped: ['session:stopped'],
};

/**
 * Agent lifecycle metrics (docs/ADAPTERS.md "OrchestratorDaemon: emit on
 * spawn/complete/fail events"): listens to the daemon's session events and
 * records `wundr_agent_spawned_total`, `wundr_agent_running`,
 * `wundr_agent_completed_total`, `wundr_agent_failed_total`,
 * `wundr_agent_duration_seconds` (and `orchestrator_errors_total` on
 * failures), with one log line per event. Returns the undo function.
 *
 * @example
 * const undo = instrumentOrchestratorDaemon(daemon, { orchestratorId: 'orch-1' });
 */
export function instrumentOrchestratorDaemon(daemon: EventSourceLike, options: InstrumentOrchestratorDaemonOptions = {}): Undo {
  requireObject(daemon, 'instrumentOrchestratorDaemon', 'an event emitter (the OrchestratorDaemon)');
  if (typeof daemon.on !== 'function') throw new Error('@wundr/otel: instrumentOrchestratorDaemon() needs an object with on(event, listener)');
  const events = { ...DEFAULT_EVENTS, ...options.events };
  const finish = claim(daemon, 'instrumentOrchestratorDaemon');
  const fallback = { orchestratorId: options.orchestratorId ?? 'unknown', sessionType: options.sessionType ?? 'claude-code' };
  const lifecycle = new SessionLifecycle();
  const log = new StructuredLogger('OrchestratorDaemon');
  const undos: Undo[] = [];

  const onSpawned = (session: unknown) => {
    const s = sessionInfoOf(session, fallback);
    const id = s.sessionId ?? '';
    if (id && !lifecycle.start(id)) return;
    recordAgentSpawned(s.orchestratorId!, s.sessionType!);
    log.info('Agent spawned', { sessionId: s.sessionId, orchestratorId: s.orchestratorId, sessionType: s.sessionType });
    emitInstrumentEvent('OrchestratorDaemon', 'agent.spawned', { ...s });
  };
  const onEnded = (kind: 'completed' | 'stopped') => (session: unknown) => {
    const s = sessionInfoOf(session, fallback);
    const id = s.sessionId ?? '';
    const seconds = id ? lifecycle.end(id) : undefined;
    if (id && seconds === undefined) return lifecycle.markEnded(id);
    const exitReason = kind === 'stopped' ? 'stopped' : 'success';
    recordAgentCompleted(s.orchestratorId!, s.sessionType!, exitReason, seconds);
    log.info('Agent completed', { sessionId: s.sessionId, orchestratorId: s.orchestratorId, exitReason, duration: seconds !== undefined ? Math.round(seconds * 1000) : undefined });
    emitInstrumentEvent('OrchestratorDaemon', 'agent.completed', { ...s, exitReason, durationSeconds: seconds });
  };
  const onFailed = (a: unknown, b?: unknown) => {
    // (session, error) or ({ session, error })
    const wrapped = a !== null && typeof a === 'object' && 'session' in (a as object);
    const session = wrapped ? (a as { session: unknown }).session : a;
    const error = wrapped ? (a as { error?: unknown }).error : b;
    const s = sessionInfoOf(session, fallback);
    const id = s.sessionId ?? '';
    const seconds = id ? lifecycle.end(id) : undefined;
    if (id && seconds === undefined) return lifecycle.markEnded(id);
    const errorType = error === undefined ? 'unknown' : errorTypeOf(error);
    recordAgentFailed(s.orchestratorId!, s.sessionType!, errorType, seconds);
    recordError({ orchestrator_id: s.orchestratorId!, error_type: errorType });
    log.error('Agent failed', { sessionId: s.sessionId, orchestratorId: s.orchestratorId, errorType, error: errorMessage(error) });
    emitInstrumentEvent('OrchestratorDaemon', 'agent.failed', { ...s, errorType, durationSeconds: seconds });
  };

  try {
    for (const e of events.spawned) undos.push(listen(daemon, e, onSpawned));
    for (const e of events.completed) undos.push(listen(daemon, e, onEnded('completed')));
    for (const e of events.stopped) undos.push(listen(daemon, e, onEnded('stopped')));
    for (const e of events.failed) undos.push(listen(daemon, e, onFailed));
  } catch (err) {
    finish(undos)();
    throw err;
  }
  return finish(undos);
}
