import { diag } from '@opentelemetry/api';

/**
 * Work put off to the end of the current event-loop turn (one setImmediate
 * for all of it), so the spans a turn ends are encoded one after another
 * instead of each between two requests' handlers.
 *
 * Why: a span ended after a handler's millisecond of other work finds the
 * encoder's code and tables out of the CPU's caches; encoding it then cost
 * three times what it costs among other spans (docs/PERFORMANCE.md). A
 * turn's spans are still young garbage when they are encoded: it is the
 * same turn.
 *
 * The immediate is not unref()ed: it runs in this turn's check phase, so it
 * never holds a process past the turn, and 'beforeExit' (the final flush)
 * comes only after it.
 */
let due: (() => void)[] = [];
let scheduled = false;

function runDue(): void {
  scheduled = false;
  const list = due;
  due = [];
  for (const drain of list) {
    try {
      drain();
    } catch (err) {
      // An immediate's exception would be the host's uncaught exception.
      diag.error(`@wundr/otel: deferred telemetry work failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

/** Runs `drain` once at the end of this turn (callers ask once per turn, when their first item comes). */
export function atEndOfTurn(drain: () => void): void {
  due.push(drain);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runDue);
  }
}
