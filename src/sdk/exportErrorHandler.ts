import { diag } from '@opentelemetry/api';
import type { ErrorHandler } from '@opentelemetry/core';

/** Set (to the signal) on errors that BoundedExporter reports, so the warning says what failed. */
export const EXPORT_SIGNAL = Symbol.for('@wundr/otel.export-signal');

/** Reports an export failure of `signal` through the SDK's global error handler. */
export function exportError(signal: string, err: unknown): unknown {
  if (err !== null && typeof err === 'object') {
    try {
      (err as Record<symbol, unknown>)[EXPORT_SIGNAL] = signal;
    } catch {
      // a frozen error: reported without the signal
    }
  }
  return err;
}

/**
 * The SDK's global error handler, rate-limited. The stock handler prints
 * every failed export as a JSON stack on stderr: with a collector down and
 * steady load that is several lines a second, for as long as it is down.
 * Here each kind of error (name + code/status) is printed once, and then
 * summarised at most once per `intervalMs` with how many more there were.
 * The counts that matter are in `wundr_otel_telemetry_dropped_total`.
 */
export function createExportErrorHandler(options: { intervalMs?: number; now?: () => number } = {}): ErrorHandler {
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  const seen = new Map<string, { last: number; suppressed: number }>();
  return (ex) => {
    try {
      const { key: k0, text } = describe(ex);
      const signal = ex !== null && typeof ex === 'object' ? (ex as unknown as Record<symbol, unknown>)[EXPORT_SIGNAL] : undefined;
      const what = typeof signal === 'string' ? `telemetry export failed (${signal})` : 'OpenTelemetry SDK error';
      const key = `${typeof signal === 'string' ? signal : ''}|${k0}`;
      const t = now();
      const s = seen.get(key);
      if (s === undefined) {
        if (seen.size >= 100) seen.clear();
        seen.set(key, { last: t, suppressed: 0 });
        diag.warn(
          `@wundr/otel: ${what}: ${text}. The application is unaffected${signal ? '; undelivered items are counted in wundr_otel_telemetry_dropped_total' : ''} (repeats are summarised every ${Math.round(intervalMs / 1000)} s)`,
        );
        return;
      }
      s.suppressed++;
      if (t - s.last >= intervalMs) {
        diag.warn(`@wundr/otel: ${what}, again: ${text} (${s.suppressed} times in the last ${Math.round((t - s.last) / 1000)} s)`);
        s.last = t;
        s.suppressed = 0;
      }
    } catch {
      // Never let the reporting of an error become one.
    }
  };
}

function describe(ex: unknown): { key: string; text: string } {
  if (ex instanceof Error) {
    const e = ex as Error & { code?: unknown };
    const code = e.code !== undefined ? String(e.code) : '';
    const msg = e.message.length > 300 ? `${e.message.slice(0, 300)}…` : e.message;
    return { key: `${e.name}|${code}`, text: `${e.name}${code ? ` ${code}` : ''}: ${msg}` };
  }
  const s = typeof ex === 'string' ? ex : String(ex);
  const short = s.length > 300 ? `${s.slice(0, 300)}…` : s;
  return { key: short.slice(0, 80), text: short };
}
