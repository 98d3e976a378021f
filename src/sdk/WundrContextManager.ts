import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { asyncLocalStorageOf } from './internals/context-async-hooks.ts';

/**
 * The stock AsyncLocalStorage context manager with one addition:
 * `enterWith(ctx)`, which makes `ctx` the active context for the rest of the
 * current synchronous execution and whatever it schedules. The HTTP server
 * spans (httpServerSpans.ts) need it: they are made in a
 * diagnostics_channel subscriber that runs just before Node emits 'request',
 * so there is no callback to wrap in `context.with`.
 *
 * The ALS is a private field of the base class (internals/context-async-hooks.ts):
 * `canEnter` says whether it was found (start.ts falls back to
 * instrumentation-http's server spans when not).
 */
export class WundrContextManager extends AsyncLocalStorageContextManager {
  private readonly als: AsyncLocalStorage<Context> | undefined;

  constructor() {
    super();
    this.als = asyncLocalStorageOf(this);
  }

  /** The base class's AsyncLocalStorage was found: `enterWith` works. */
  get canEnter(): boolean {
    return this.als !== undefined;
  }

  /** Makes `ctx` active from here on in the current execution (AsyncLocalStorage.enterWith). */
  enterWith(ctx: Context): void {
    this.als?.enterWith(ctx);
  }
}
