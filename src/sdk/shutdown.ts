import { writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { failActiveRequest } from './httpServerSpans.ts';
import type { WundrSdk } from './start.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Longest flush on the crash path. The app is in an unknown state after an
 * uncaught exception and keeps running while we flush, so the window is
 * short: WUNDR_OTEL_SHUTDOWN_TIMEOUT, but at most this.
 */
export const CRASH_FLUSH_MAX_MS = 2000;

/**
 * Graceful stop. Listening for a signal replaces Node's default action, so:
 * - when the host has no handler of its own, flush and shut down (bounded),
 *   then re-raise the signal so the process ends exactly as it would have;
 * - when the host handles the signal itself, only flush: the host decides
 *   when to stop, and the final shutdown happens on `beforeExit`.
 * A second signal while stopping ends the process at once.
 *
 * Crash path: an uncaught exception with no handler of the host's would end
 * the process at once, losing every span and log record still in a batch.
 * Our 'uncaughtException' listener (which replaces Node's default) flushes,
 * bounded by min(WUNDR_OTEL_SHUTDOWN_TIMEOUT, CRASH_FLUSH_MAX_MS), then does
 * what Node would have done: prints the error on stderr and exits with code
 * 1 ('exit' handlers still run and may change the code). A second exception
 * while flushing gets Node's default at once. When the host has its own
 * listener it keeps control: we only start a flush.
 * Returns a function that removes the handlers.
 */
export function installShutdownHandlers(sdk: WundrSdk): () => void {
  let stopping = false;
  let exiting = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    const hostHandles = process.listenerCount(signal) > 1;
    if (hostHandles) {
      void sdk.forceFlush();
      return;
    }
    if (stopping) {
      reRaise(signal);
      return;
    }
    stopping = true;
    void sdk.shutdown().finally(() => reRaise(signal));
  };

  const reRaise = (signal: NodeJS.Signals): void => {
    remove();
    process.kill(process.pid, signal);
  };

  const onBeforeExit = (): void => {
    // beforeExit fires again once the shutdown's own work drains: run once.
    if (exiting) return;
    exiting = true;
    // The app was done: only our shutdown keeps the loop alive now. When it
    // gives up (a hanging collector), its sockets and retry timers would hold
    // the process for the exporter's own timeouts (measured: 20 s), so end
    // it as it was about to end, with its exit code.
    void sdk.shutdown().then((finished) => {
      if (!finished) process.exit();
    });
  };

  const onUncaught = (err: unknown, origin: string): void => {
    const ending = process.listenerCount('uncaughtException') <= 1;
    // Emitted in the context the exception was thrown in: a request handler's, if one threw.
    if (origin === 'uncaughtException') {
      try {
        failActiveRequest(err, ending);
      } catch {
        // Never in the way of the crash path.
      }
    }
    if (!ending) {
      void sdk.forceFlush();
      return;
    }
    // From here on a further exception gets Node's default handling.
    process.removeListener('uncaughtException', onUncaught);
    const bound = Math.min(sdk.config.shutdownTimeoutMs, CRASH_FLUSH_MAX_MS);
    void sdk.shutdown(bound).finally(() => {
      remove();
      try {
        const text = origin === 'unhandledRejection' ? `Uncaught (in promise) ${inspect(err)}` : inspect(err);
        writeSync(2, `${text}\n\nNode.js ${process.version}\n`);
      } catch {
        // stderr is gone: the exit code still tells.
      }
      process.exit(1);
    });
  };

  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('uncaughtException', onUncaught);

  function remove(): void {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('uncaughtException', onUncaught);
  }
  return remove;
}
