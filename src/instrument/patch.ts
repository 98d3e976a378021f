import { context, diag, type Context } from '@opentelemetry/api';

/** Removes what an adapter added and restores the object exactly as it was. Idempotent. */
export type Undo = () => void;

const INSTRUMENTED = Symbol.for('@wundr/otel.instrumented');

type AnyFn = (...args: any[]) => any;

/**
 * Replaces `target[key]` with `wrap(original)`. Undo puts back exactly what
 * was there: the own property (with its descriptor) or, when the method came
 * from the prototype, no own property at all. When someone else wrapped the
 * method after us, undo cannot remove our layer from under theirs; it turns
 * our wrapper into a plain pass-through instead.
 */
export function wrapMethod<T extends object>(target: T, key: string, wrap: (original: AnyFn) => AnyFn): Undo {
  const holder = target as Record<string, unknown>;
  const original = holder[key];
  if (typeof original !== 'function') throw new Error(`@wundr/otel: cannot instrument ${key}(): it is not a method of the object`);
  const hadOwn = Object.prototype.hasOwnProperty.call(target, key);
  const descriptor = hadOwn ? Object.getOwnPropertyDescriptor(target, key) : undefined;
  let active = true;
  const wrapped = wrap(original as AnyFn);
  const layer = function (this: unknown, ...args: unknown[]) {
    return active ? wrapped.apply(this, args) : (original as AnyFn).apply(this, args);
  };
  Object.defineProperty(layer, 'name', { value: (original as AnyFn).name || key });
  Object.defineProperty(layer, 'length', { value: (original as AnyFn).length });
  Object.defineProperty(target, key, { value: layer, writable: true, configurable: true, enumerable: descriptor?.enumerable ?? false });
  return () => {
    if (!active) return;
    active = false;
    if (holder[key] !== layer) {
      diag.debug(`@wundr/otel: ${key}() was wrapped again after instrumentation; leaving a pass-through in place`);
      return;
    }
    if (descriptor) Object.defineProperty(target, key, descriptor);
    else delete holder[key];
  };
}

/**
 * Adds a listener that can never throw into the emitter (telemetry must not
 * break the daemon's emit()); undo removes it.
 */
export function listen(emitter: EventSourceLike, event: string, listener: (...args: any[]) => void): Undo {
  const safe = (...args: unknown[]) => {
    try {
      listener(...args);
    } catch (err) {
      diag.error(`@wundr/otel: instrumentation listener for ${event} failed: ${(err as Error)?.message ?? String(err)}`);
    }
  };
  emitter.on(event, safe);
  return () => {
    if (typeof emitter.off === 'function') emitter.off(event, safe);
    else emitter.removeListener?.(event, safe);
  };
}

/** Runs telemetry code that must never throw into the host. */
export function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.error(`@wundr/otel: ${what} failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** The structural part of an EventEmitter that the event-based adapters need. */
export interface EventSourceLike {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Marks `target` as instrumented by `adapter` and returns an undo that runs
 * `undos` in reverse and clears the mark. Instrumenting the same object twice
 * with the same adapter is a programming error and throws.
 */
export function claim(target: object, adapter: string): (undos: Undo[]) => Undo {
  const t = target as Record<symbol, Set<string> | undefined>;
  let set = t[INSTRUMENTED];
  if (set?.has(adapter)) {
    throw new Error(`@wundr/otel: this object is already instrumented by ${adapter}(); call the undo function it returned first`);
  }
  const hadMark = Object.prototype.hasOwnProperty.call(target, INSTRUMENTED);
  if (!set) {
    set = new Set();
    Object.defineProperty(target, INSTRUMENTED, { value: set, configurable: true, enumerable: false, writable: true });
  }
  set.add(adapter);
  return (undos) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (let i = undos.length - 1; i >= 0; i--) {
        try {
          undos[i]!();
        } catch (err) {
          diag.debug(`@wundr/otel: undo step failed: ${(err as Error).message}`);
        }
      }
      set!.delete(adapter);
      if (set!.size === 0 && !hadMark) delete t[INSTRUMENTED];
    };
  };
}

/** Whether `target` carries the instrumented mark of `adapter`. */
export function isInstrumented(target: object, adapter: string): boolean {
  return (target as Record<symbol, Set<string> | undefined>)[INSTRUMENTED]?.has(adapter) === true;
}

export function requireObject(target: unknown, adapter: string, what: string): asserts target is object {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
    throw new Error(`@wundr/otel: ${adapter}() needs ${what}, got ${target === null ? 'null' : typeof target}`);
  }
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

/** Seconds since a performance.now() mark. */
export function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/**
 * Runs `call` in `ctx`, then `done` on its result or `fail` on its error,
 * whether the wrapped method returns a value or a promise (the adapters
 * wrap both kinds without changing which one the caller gets).
 */
export function callWith(ctx: Context, call: () => unknown, done: (v: unknown) => unknown, fail: (err: unknown) => unknown): unknown {
  let out: unknown;
  try {
    out = context.with(ctx, call);
  } catch (err) {
    return fail(err);
  }
  return isThenable(out) ? (out as Promise<unknown>).then(done, fail) : done(out);
}
