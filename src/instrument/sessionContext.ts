import { context, createContextKey, type Context } from '@opentelemetry/api';

/** What the session adapters know about the session a piece of work belongs to. */
export interface SessionInfo {
  sessionId?: string;
  orchestratorId?: string;
  sessionType?: string;
}

const SESSION_KEY = createContextKey('@wundr/otel session');

/** The context with `info` as the current session (the LLM and tool adapters read it for their labels). */
export function withSession(ctx: Context, info: SessionInfo): Context {
  return ctx.setValue(SESSION_KEY, info);
}

/** The current session, if the work runs inside an instrumented session. */
export function currentSession(ctx: Context = context.active()): SessionInfo | undefined {
  return ctx.getValue(SESSION_KEY) as SessionInfo | undefined;
}

/** Reads the session fields the daemon's Session objects carry (id, orchestratorId, type). */
export function sessionInfoOf(session: unknown, fallback: SessionInfo = {}): SessionInfo {
  if (session === null || typeof session !== 'object') return { ...fallback };
  const s = session as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    sessionId: str(s.id) ?? str(s.sessionId) ?? fallback.sessionId,
    orchestratorId: str(s.orchestratorId) ?? fallback.orchestratorId,
    sessionType: str(s.type) ?? str(s.sessionType) ?? fallback.sessionType,
  };
}
