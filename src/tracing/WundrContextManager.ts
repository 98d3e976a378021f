import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * The stock AsyncLocalStorage context manager with one addition:
 * `enterWith(ctx)`, which makes `ctx` the active context for the rest of the
 * current synchronous execution and whatever it schedules. The HTTP server
 * spans (src/instrument/httpServerSpans.ts) need it: they are made in a
 * diagnostics_channel subscriber that runs just before Node emits 'request',
 * so there is no callback to wrap in `context.with`.
 *
 * The ALS is a private field of the base class in its types
 * (`_asyncLocalStorage`, @opentelemetry/context-async-hooks pinned at 3.1.0):
 * `canEnter` says whether it was found (sdk.ts falls back to
 * instrumentation-http's server spans when not), and a test fails if a
 * future version renames it.
 */
export class WundrContextManager extends AsyncLocalStorageContextManager {
  private readonly als: AsyncLocalStorage<Context> | undefined;

  constructor() {
    super();
    const als = (this as unknown as { _asyncLocalStorage?: unknown })._asyncLocalStorage;
    this.als = als instanceof AsyncLocalStorage ? (als as AsyncLocalStorage<Context>) : undefined;
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
