import type { WundrSdk } from './sdk.ts';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Graceful stop. Listening for a signal replaces Node's default action, so:
 * - when the host has no handler of its own, flush and shut down (bounded),
 *   then re-raise the signal so the process ends exactly as it would have;
 * - when the host handles the signal itself, only flush: the host decides
 *   when to stop, and the final shutdown happens on `beforeExit`.
 * A second signal while stopping ends the process at once.
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
    void sdk.shutdown();
  };

  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('beforeExit', onBeforeExit);

  function remove(): void {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.removeListener('beforeExit', onBeforeExit);
  }
  return remove;
}
