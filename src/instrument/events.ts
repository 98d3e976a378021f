import { publish, CHANNELS } from '../tracing/channels.ts';

/**
 * Publishes one adapter observation on `wundr:instrument:event` (only when
 * someone subscribes): `{ adapter, event, attributes }`.
 */
export function emitInstrumentEvent(adapter: string, event: string, attributes: Record<string, unknown>): void {
  publish(CHANNELS.instrumentEvent, { adapter, event, attributes });
}

/** Error text for logs: bounded, never throws. */
export function errorMessage(err: unknown): string {
  try {
    const m = err instanceof Error ? err.message : typeof err === 'string' ? err : String((err as { message?: unknown })?.message ?? err);
    return m.length > 500 ? `${m.slice(0, 500)}…` : m;
  } catch {
    return 'unknown error';
  }
}
