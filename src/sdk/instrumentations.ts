/**
 * The library instrumentations the SDK installs, as a table: name (as
 * `@opentelemetry/auto-instrumentations-node` names them, the names users
 * put in OTEL_NODE_ENABLED_INSTRUMENTATIONS) -> whether it is on by default
 * and how to build it. Each one is loaded only when it is installed, so an
 * unused instrumentation costs no start-up time.
 */
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { InstrumentationSelection, WundrOtelConfig } from '../config.ts';
import { createUndiciInstrumentation } from './internals/instrumentation-undici.ts';
import { load } from './otlp.ts';
import { createDatabaseInstrumentation, InstrumentationNotInstalledError } from './databases.ts';

/** What an instrumentation may need from the SDK being started. */
export interface InstrumentationContext {
  readonly config: WundrOtelConfig;
  /** Incoming HTTP requests are traced from diagnostics channels (instrumentation-http then only traces outgoing ones). */
  readonly serverSpansFromChannels: boolean;
  /** The port of the package's own endpoint, whose requests are traced by the endpoint itself. */
  endpointPort(): number | undefined;
}

export interface InstrumentationEntry {
  /** Installed unless switched off. */
  readonly defaultOn: boolean;
  /** Builds the instrumentation (throws when its package is missing). */
  create(ctx: InstrumentationContext): Instrumentation;
}

export const INSTRUMENTATIONS: Readonly<Record<string, InstrumentationEntry>> = {
  http: {
    defaultOn: true,
    create(ctx) {
      const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
      return new HttpInstrumentation({
        // Outgoing requests (spans and propagation) always; incoming ones only with the escape hatch.
        disableIncomingRequestInstrumentation: ctx.serverSpansFromChannels,
        // The endpoint traces its own requests; the instrumentation would add a duplicate.
        ignoreIncomingRequestHook: (req) => {
          const port = ctx.endpointPort();
          return port !== undefined && req.socket?.localPort === port;
        },
      });
    },
  },
  // fetch() and undici requests, from undici's diagnostics channels: no
  // module patching, so the same code works under --require and --import,
  // and for the undici bundled into Node that fetch() uses.
  undici: {
    defaultOn: true,
    create: () => createUndiciInstrumentation(),
  },
  // Database clients: optional peer dependencies, only when named.
  pg: { defaultOn: false, create: () => createDatabaseInstrumentation('pg') },
  ioredis: { defaultOn: false, create: () => createDatabaseInstrumentation('ioredis') },
  redis: { defaultOn: false, create: () => createDatabaseInstrumentation('redis') },
};

/**
 * Builds the instrumentations that are switched on (`enabled(name)`, by
 * default each entry's `defaultOn`). One that cannot be built is skipped
 * with one error naming it; the others are still returned.
 */
export function buildInstrumentations(
  ctx: InstrumentationContext,
  enabled: (name: string, entry: InstrumentationEntry) => boolean = (_n, e) => e.defaultOn,
): Instrumentation[] {
  const out: Instrumentation[] = [];
  for (const [name, entry] of Object.entries(INSTRUMENTATIONS)) {
    if (!enabled(name, entry)) continue;
    try {
      out.push(entry.create(ctx));
    } catch (err) {
      if (err instanceof InstrumentationNotInstalledError) diag.warn(`@wundr/otel: ${err.message}`);
      else diag.error(`@wundr/otel: the ${name} instrumentation could not be installed: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * Whether an instrumentation is installed, with auto-instrumentations-node's
 * meaning of the two lists: an enabled list names the only ones installed,
 * and the disabled list wins over it.
 */
export function isInstrumentationEnabled(sel: InstrumentationSelection | undefined, name: string, defaultOn: boolean): boolean {
  if (sel?.disabled.includes(name)) return false;
  return sel?.enabled ? sel.enabled.includes(name) : defaultOn;
}
