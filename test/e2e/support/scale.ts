/**
 * The `for` scaling of the e2e run, shared by the test (the rule file it
 * gives Prometheus) and the daemon's e2e preload (the in-process evaluator).
 * No side effects: the preload imports it into the daemon.
 */

/** The scaled `for` in whole seconds, at least 1 (0 stays 0). */
export function scaledFor(seconds: number, scale: number): number {
  return seconds > 0 ? Math.max(1, Math.round(seconds * scale)) : 0;
}
