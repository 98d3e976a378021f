/**
 * Private member of @opentelemetry/context-async-hooks (pinned 3.1.1): the
 * AsyncLocalStorage of AsyncLocalStorageContextManager, `_asyncLocalStorage`
 * (private in its typings). test/sdk/internals.test.ts fails when a new
 * version renames it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';

/**
 * Detection: the manager's AsyncLocalStorage, or undefined when it is not
 * where 3.1.1 keeps it. Fallback (the caller's): instrumentation-http's
 * server spans instead of ours.
 */
export function asyncLocalStorageOf(manager: object): AsyncLocalStorage<Context> | undefined {
  const als = (manager as { _asyncLocalStorage?: unknown })._asyncLocalStorage;
  return als instanceof AsyncLocalStorage ? (als as AsyncLocalStorage<Context>) : undefined;
}
