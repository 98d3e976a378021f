/**
 * Resolves with `p`'s value, or `undefined` when it rejects or has not
 * settled within `ms` (the timer never keeps the process alive). For reads
 * of the SDK's own data that must not stall a route or an evaluation round.
 */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}
