/**
 * The database client instrumentations from opentelemetry-js-contrib, off by
 * default and installed only when named in OTEL_NODE_ENABLED_INSTRUMENTATIONS.
 * Their packages are optional peer dependencies: an app that uses Redis or
 * PostgreSQL installs the one it needs; nobody else pays for them.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';

/** What a user installs to get an instrumentation, and the client library it patches. */
export interface OptionalInstrumentationPackage {
  /** The npm package of the instrumentation. */
  readonly packageName: string;
  /** The client libraries it patches (documentation and ESM hooks). */
  readonly modules: readonly string[];
}

/** Thrown when a named instrumentation's package is not installed; the message says what to install. */
export class InstrumentationNotInstalledError extends Error {
  constructor(name: string, packageName: string) {
    super(`${name} is named in OTEL_NODE_ENABLED_INSTRUMENTATIONS, but ${packageName} is not installed (npm install ${packageName}); not instrumented`);
    this.name = 'InstrumentationNotInstalledError';
  }
}

type Req = (id: string) => any;
const load: Req = (id) => require(id);

/**
 * Loads an optional instrumentation package; a missing package (and only
 * that: a package that is present but fails to load keeps its own error)
 * becomes an InstrumentationNotInstalledError.
 */
export function loadOptional(name: string, packageName: string, req: Req = load): any {
  try {
    return req(packageName);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${packageName}'`)) {
      throw new InstrumentationNotInstalledError(name, packageName);
    }
    throw err;
  }
}

export const DATABASE_PACKAGES = {
  pg: { packageName: '@opentelemetry/instrumentation-pg', modules: ['pg', 'pg-pool'] },
  ioredis: { packageName: '@opentelemetry/instrumentation-ioredis', modules: ['ioredis'] },
  redis: { packageName: '@opentelemetry/instrumentation-redis', modules: ['redis', '@redis/client'] },
} as const satisfies Record<string, OptionalInstrumentationPackage>;

export type DatabaseInstrumentationName = keyof typeof DATABASE_PACKAGES;

/** Builds one database instrumentation with the upstream defaults (throws InstrumentationNotInstalledError when absent). */
export function createDatabaseInstrumentation(name: DatabaseInstrumentationName, req: Req = load): Instrumentation {
  const { packageName } = DATABASE_PACKAGES[name];
  const mod = loadOptional(name, packageName, req);
  switch (name) {
    case 'pg':
      return new mod.PgInstrumentation();
    case 'ioredis':
      return new mod.IORedisInstrumentation();
    case 'redis':
      return new mod.RedisInstrumentation();
  }
}

/** The client modules of the database instrumentations switched on (an ESM app's imports of them need loader hooks). */
export function optionalInstrumentationModules(sel: { enabled: readonly string[] | undefined; disabled: readonly string[] }): string[] {
  const out: string[] = [];
  for (const [name, pkg] of Object.entries(DATABASE_PACKAGES)) {
    if (sel.enabled?.includes(name) && !sel.disabled.includes(name)) out.push(...pkg.modules);
  }
  return out;
}
