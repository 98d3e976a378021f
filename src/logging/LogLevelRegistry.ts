import type { LogLevelName } from '../config.ts';
import { LEVEL_NAMES, requireLevel, type LogLevel } from './levels.ts';

/** What GET /loglevel answers (the old endpoint's shape). */
export interface LogLevelSnapshot {
  globalLevel: LogLevelName;
  componentLevels: Record<string, LogLevelName>;
  validLevels: LogLevelName[];
}

/**
 * Global and per-component log levels, changeable at run time (the health
 * endpoint exposes them on GET/POST /loglevel). Unlike the old registry of
 * the same name, every logger reads it: a change takes effect on each
 * logger's next call, at the cost of one integer compare per call.
 *
 * Precedence for a logger of component C: a level set here for C, then the
 * level the logger was constructed with (`new StructuredLogger(C, { level })`,
 * `withLevel`, old `new Logger(C, LogLevel.X)` / `setLevel`), then the global
 * level here (initially LOG_LEVEL).
 *
 * @example
 * const levels = getLogLevelRegistry();
 * levels.setComponentLevel('SessionExecutor', 'debug');
 * levels.setGlobalLevel('warn');
 * levels.list(); // { globalLevel: 'warn', componentLevels: { SessionExecutor: 'debug' }, validLevels: [...] }
 * levels.reset(); // back to LOG_LEVEL, no component levels
 */
export class LogLevelRegistry {
  /** Bumped on every change; loggers compare it to refresh their cached level. */
  version = 0;
  private baseLevel: LogLevel = 1;
  private globalLevel: LogLevel = 1;
  private readonly components = new Map<string, LogLevel>();
  private readonly listeners = new Set<(snapshot: LogLevelSnapshot) => void>();

  getGlobalLevel(): LogLevelName {
    return LEVEL_NAMES[this.globalLevel]!;
  }

  /** Sets the level of every logger without a component or construction-time level. Throws on an unknown level. */
  setGlobalLevel(level: LogLevelName | LogLevel): void {
    this.globalLevel = requireLevel(level, 'the global log level');
    this.changed();
  }

  getComponentLevel(component: string): LogLevelName | undefined {
    const n = this.components.get(component);
    return n === undefined ? undefined : LEVEL_NAMES[n];
  }

  /** Sets the level of one component (the logger's name, e.g. 'SessionExecutor'). Throws on an unknown level. */
  setComponentLevel(component: string, level: LogLevelName | LogLevel): void {
    if (typeof component !== 'string' || component === '') {
      throw new TypeError(`@wundr/otel: a component name must be a non-empty string; got ${typeof component === 'string' ? '""' : typeof component}`);
    }
    this.components.set(component, requireLevel(level, `the log level of component ${JSON.stringify(component)}`));
    this.changed();
  }

  /** Every component level set, by component name. */
  getComponentLevels(): Record<string, LogLevelName> {
    return Object.fromEntries([...this.components].map(([k, v]) => [k, LEVEL_NAMES[v]!]));
  }

  /** Removes a component's level; returns whether it had one. */
  clearComponentLevel(component: string): boolean {
    const had = this.components.delete(component);
    if (had) this.changed();
    return had;
  }

  /** The level a logger of this component uses, given the level it was constructed with (if any). */
  getEffectiveLevel(component: string, ownLevel?: LogLevelName | LogLevel): LogLevelName {
    return LEVEL_NAMES[this.effective(component, ownLevel === undefined ? undefined : requireLevel(ownLevel, 'the level'))]!;
  }

  /** @internal numeric form for the loggers' hot path. */
  effective(component: string, own: LogLevel | undefined): LogLevel {
    if (this.components.size > 0) {
      const c = this.components.get(component);
      if (c !== undefined) return c;
    }
    return own ?? this.globalLevel;
  }

  list(): LogLevelSnapshot {
    return {
      globalLevel: this.getGlobalLevel(),
      componentLevels: this.getComponentLevels(),
      validLevels: [...LEVEL_NAMES],
    };
  }

  /** Back to the configured level (LOG_LEVEL) with no component levels. */
  reset(): void {
    this.globalLevel = this.baseLevel;
    this.components.clear();
    this.changed();
  }

  /** Called on every change (after it took effect). Returns a function that unsubscribes. */
  onChange(listener: (snapshot: LogLevelSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal The configured level (LOG_LEVEL): the global level now and after reset(). */
  setBaseLevel(level: LogLevel): void {
    this.baseLevel = level;
    this.globalLevel = level;
    this.changed();
  }

  /** @internal */
  touch(): void {
    this.changed();
  }

  private changed(): void {
    this.version++;
    if (this.listeners.size === 0) return;
    const snap = this.list();
    for (const l of this.listeners) {
      try {
        l(snap);
      } catch {
        // A listener's failure is its own; levels have changed regardless.
      }
    }
  }
}

const registry = new LogLevelRegistry();

/** The process-wide registry every StructuredLogger reads. */
export function getLogLevelRegistry(): LogLevelRegistry {
  return registry;
}
