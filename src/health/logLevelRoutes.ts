import { json, readBody, type Route } from '../endpoint/EndpointServer.ts';
import { LEVEL_NAMES, isLogLevelName } from '../logging/levels.ts';

/**
 * What /loglevel needs from the logging part's level registry
 * (`getLogLevelRegistry()`). Methods are looked up by name so the
 * route keeps working across small API differences (old and new spellings).
 */
export interface LogLevelControl {
  getGlobalLevel(): string;
  setGlobalLevel(level: string): void;
  getComponentLevels(): Record<string, string>;
  setComponentLevel(component: string, level: string): void;
  clearComponentLevel(component: string): void;
  reset(): void;
}

type AnyFn = (...a: unknown[]) => unknown;

function pick(obj: Record<string, unknown>, names: string[]): AnyFn | undefined {
  for (const n of names) if (typeof obj[n] === 'function') return (obj[n] as AnyFn).bind(obj);
  return undefined;
}

/** Adapts a level registry object to LogLevelControl; throws (naming what is missing) when it cannot. */
export function adaptLogLevelRegistry(reg: unknown): LogLevelControl {
  if (!reg || typeof reg !== 'object') throw new TypeError('@wundr/otel: no log level registry');
  const o = reg as Record<string, unknown>;
  const getGlobal = pick(o, ['getGlobalLevel', 'getLevel', 'globalLevel']);
  const setGlobal = pick(o, ['setGlobalLevel', 'setLevel']);
  const getComponents = pick(o, ['getComponentLevels', 'getAllComponentLevels', 'list', 'snapshot']);
  const setComponent = pick(o, ['setComponentLevel']);
  const clearComponent = pick(o, ['clearComponentLevel', 'resetComponentLevel', 'removeComponentLevel', 'deleteComponentLevel']);
  const reset = pick(o, ['reset', 'resetAll', 'clear']);
  const missing = [
    ['getGlobalLevel', getGlobal ?? (typeof o.globalLevel === 'string' ? 1 : undefined)],
    ['setGlobalLevel', setGlobal],
    ['setComponentLevel', setComponent],
  ].filter(([, f]) => f === undefined);
  if (missing.length > 0) throw new TypeError(`@wundr/otel: the log level registry lacks ${missing.map(([n]) => n).join(', ')}`);
  const levelName = (v: unknown): string => (typeof v === 'number' ? (LEVEL_NAMES[v] ?? String(v)) : String(v));
  return {
    getGlobalLevel: () => levelName(getGlobal ? getGlobal() : o.globalLevel),
    setGlobalLevel: (l) => void setGlobal!(l),
    getComponentLevels: () => {
      let raw: unknown = getComponents ? getComponents() : o.componentLevels;
      if (raw && typeof raw === 'object' && 'componentLevels' in raw) raw = (raw as { componentLevels: unknown }).componentLevels;
      const out: Record<string, string> = {};
      if (raw instanceof Map) for (const [k, v] of raw) out[String(k)] = levelName(v);
      else if (raw && typeof raw === 'object') for (const [k, v] of Object.entries(raw)) out[k] = levelName(v);
      return out;
    },
    setComponentLevel: (c, l) => void setComponent!(c, l),
    clearComponentLevel: (c) => {
      if (clearComponent) clearComponent(c);
      else throw new Error('the log level registry cannot clear one component level');
    },
    reset: () => {
      if (reset) reset();
      else throw new Error('the log level registry cannot reset');
    },
  };
}

const COMPONENT = /^[A-Za-z0-9_.:\-/]{1,128}$/;

/** Most per-component levels kept: each is state a caller adds, so it is bounded. */
export const MAX_COMPONENT_LEVELS = 256;

function state(c: LogLevelControl): Record<string, unknown> {
  return { globalLevel: c.getGlobalLevel(), componentLevels: c.getComponentLevels(), validLevels: [...LEVEL_NAMES] };
}

/**
 * GET /loglevel -> `{ globalLevel, componentLevels, validLevels }`.
 * POST /loglevel (admin token when one is set) with one of:
 * `{ "level": "debug" }` (global), `{ "level": "debug", "component": "SessionExecutor" }`,
 * `{ "component": "SessionExecutor", "reset": true }` (back to the global level),
 * `{ "reset": true }` (every level back to the configured one). Bad input: 400;
 * past MAX_COMPONENT_LEVELS component entries: 409.
 */
export function logLevelRoutes(getControl: () => LogLevelControl | undefined): Route[] {
  const unavailable = () => json(503, { error: 'log levels are not available (logging part not loaded)', statusCode: 503 });
  return [
    {
      method: 'GET',
      path: '/loglevel',
      handler: () => {
        const c = getControl();
        return c ? json(200, state(c)) : unavailable();
      },
    },
    {
      method: 'POST',
      path: '/loglevel',
      admin: true,
      handler: async (req) => {
        const c = getControl();
        if (!c) return unavailable();
        const bad = (error: string) => json(400, { error, statusCode: 400, validLevels: [...LEVEL_NAMES], timestamp: new Date().toISOString() });
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > 4096) return bad('body must be a JSON object of at most 4096 bytes');
        let body: unknown;
        try {
          const text = await readBody(req, 4096);
          body = JSON.parse(text);
        } catch (err) {
          return bad(`body must be a JSON object of at most 4096 bytes (${(err as Error).message})`);
        }
        if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('body must be a JSON object');
        const b = body as Record<string, unknown>;
        const unknownKeys = Object.keys(b).filter((k) => k !== 'level' && k !== 'component' && k !== 'reset');
        if (unknownKeys.length > 0) return bad(`unknown field(s): ${unknownKeys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`);
        if (b.component !== undefined && (typeof b.component !== 'string' || !COMPONENT.test(b.component))) {
          return bad('component must be a name of 1-128 characters [A-Za-z0-9_.:-/]');
        }
        if (b.reset !== undefined && typeof b.reset !== 'boolean') return bad('reset must be true or false');
        if (b.reset === true) {
          if (b.level !== undefined) return bad('give either level or reset, not both');
          if (typeof b.component === 'string') c.clearComponentLevel(b.component);
          else c.reset();
          return json(200, state(c));
        }
        if (b.level === undefined) return bad('level is required (or reset: true)');
        const level = typeof b.level === 'string' ? b.level.toLowerCase() : b.level;
        if (!isLogLevelName(level)) return bad(`level must be one of ${LEVEL_NAMES.join('|')}`);
        if (typeof b.component === 'string') {
          const current = c.getComponentLevels();
          if (!Object.hasOwn(current, b.component) && Object.keys(current).length >= MAX_COMPONENT_LEVELS) {
            return json(409, {
              error: `at most ${MAX_COMPONENT_LEVELS} per-component levels are kept; reset some ({"component": "…", "reset": true}) or all ({"reset": true}) first`,
              statusCode: 409,
              timestamp: new Date().toISOString(),
            });
          }
          c.setComponentLevel(b.component, level);
        } else c.setGlobalLevel(level);
        return json(200, state(c));
      },
    },
  ];
}
