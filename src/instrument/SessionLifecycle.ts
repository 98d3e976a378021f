/**
 * Per-session state for the event-based adapters. The daemon emits its
 * session events in an order that depends on the code path (the real
 * SessionManager emits `session:running`, then `session:completed`, and only
 * then `session:spawned`, because spawning awaits the whole task), so a
 * session is counted once as started and once as ended whatever the order.
 * Bounded: past `max` sessions the oldest are forgotten.
 */
export class SessionLifecycle {
  private readonly started = new Map<string, number>();
  private readonly ended = new Set<string>();
  private readonly max: number;

  constructor(max = 10_000) {
    this.max = max;
  }

  /** True the first time a session is seen starting (and not already ended). */
  start(id: string, now = performance.now()): boolean {
    if (this.started.has(id) || this.ended.has(id)) return false;
    if (this.started.size >= this.max) this.started.delete(this.started.keys().next().value!);
    this.started.set(id, now);
    return true;
  }

  /** Seconds since start when the session was active; undefined when unknown or already ended. */
  end(id: string, now = performance.now()): number | undefined {
    const t0 = this.started.get(id);
    if (t0 === undefined) return undefined;
    this.started.delete(id);
    if (this.ended.size >= this.max) this.ended.delete(this.ended.values().next().value!);
    this.ended.add(id);
    return (now - t0) / 1000;
  }

  /** Marks a session ended without it having been seen starting (a late `spawned` is then ignored). */
  markEnded(id: string): void {
    if (this.ended.size >= this.max) this.ended.delete(this.ended.values().next().value!);
    this.ended.add(id);
  }

  isActive(id: string): boolean {
    return this.started.has(id);
  }

  get activeCount(): number {
    return this.started.size;
  }
}
