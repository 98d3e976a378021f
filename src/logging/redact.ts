import { DEFAULT_REDACT_KEYS, normalizeKey } from '../config.ts';

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

export interface RedactOptions {
  /** Strings longer than this are cut and marked (LOG_MAX_STRING_LENGTH). Default 16384. */
  maxStringLength?: number;
  /** Objects nested deeper than this become '[Object]' / '[Array]'. Default 10. */
  maxDepth?: number;
  /** Arrays longer than this keep their first items and a marker. Default 1000. */
  maxArrayLength?: number;
}

export interface Redactor {
  /**
   * A JSON-safe, OTel-AnyValue-safe deep copy of `value`: values under a
   * redacted key (at any depth, compared through `normalizeKey`) replaced by
   * '[REDACTED]', long strings cut, cycles as '[Circular]', BigInt as a
   * decimal string, Errors as { message, name, stack, code }, Dates as ISO
   * strings, getters that throw as '[Throws: …]'. Never throws.
   */
  redact(value: unknown): unknown;
  /** Whether values under this key are redacted. */
  isRedactedKey(key: string): boolean;
  /** Cuts one string to the configured length (with the marker). */
  truncate(s: string): string;
  readonly keys: readonly string[];
  readonly maxStringLength: number;
}

/** Cap on remembered key decisions, so hostile key floods cannot grow memory. */
const KEY_CACHE_LIMIT = 4096;

/**
 * Compiles the redaction rules once (pino's habit): the key list is
 * normalized into a set, and each key's decision is remembered.
 *
 * @example
 * const r = createRedactor(['password', 'api-key']);
 * r.redact({ user: 'a', auth: { API_KEY: 'k' } }); // { user: 'a', auth: { API_KEY: '[REDACTED]' } }
 */
export function createRedactor(keys: readonly string[] = DEFAULT_REDACT_KEYS, options: RedactOptions = {}): Redactor {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    throw new TypeError('@wundr/otel: redaction keys must be an array of strings');
  }
  const maxStringLength = positiveInt(options.maxStringLength, 16384, 'maxStringLength');
  const maxDepth = positiveInt(options.maxDepth, 10, 'maxDepth');
  const maxArrayLength = positiveInt(options.maxArrayLength, 1000, 'maxArrayLength');
  const set = new Set(keys.map(normalizeKey).filter((k) => k !== ''));
  const decided = new Map<string, boolean>();

  const isRedactedKey = (key: string): boolean => {
    let d = decided.get(key);
    if (d === undefined) {
      d = set.has(normalizeKey(key));
      if (decided.size < KEY_CACHE_LIMIT) decided.set(key, d);
    }
    return d;
  };

  const truncate = (s: string): string => {
    if (s.length <= maxStringLength) return s;
    let cut = maxStringLength;
    // Never split a surrogate pair: the half would not encode as UTF-8.
    const c = s.charCodeAt(cut - 1);
    if (c >= 0xd800 && c <= 0xdbff) cut--;
    return `${s.slice(0, cut)}…[truncated ${s.length - cut} chars]`;
  };

  const walk = (v: unknown, depth: number, stack: object[]): unknown => {
    switch (typeof v) {
      case 'string':
        return v.length > maxStringLength ? truncate(v) : v;
      case 'number':
      case 'boolean':
      case 'undefined':
        return v;
      case 'bigint':
        return v.toString();
      case 'symbol':
        return v.toString();
      case 'function':
        return undefined;
    }
    if (v === null) return null;
    const o = v as object;
    for (let i = 0; i < stack.length; i++) if (stack[i] === o) return '[Circular]';
    try {
      if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString();
      if (ArrayBuffer.isView(o)) return `[${o.constructor?.name ?? 'TypedArray'}(${o.byteLength} bytes)]`;
      if (depth >= maxDepth) return Array.isArray(o) ? '[Array]' : '[Object]';
      stack.push(o);
      try {
        if (Array.isArray(o)) {
          const n = Math.min(o.length, maxArrayLength);
          const out: unknown[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const item = walk(read(o, i), depth + 1, stack);
            out[i] = item === undefined ? null : item;
          }
          if (o.length > n) out.push(`…[${o.length - n} more items]`);
          return out;
        }
        if (o instanceof Error) return errorObject(o, depth, stack);
        if (o instanceof Map) {
          const out: Record<string, unknown> = {};
          let n = 0;
          for (const [k, val] of o) {
            if (n++ >= maxArrayLength) break;
            put(out, String(k), val, depth, stack);
          }
          return out;
        }
        if (o instanceof Set) {
          const out: unknown[] = [];
          for (const val of o) {
            if (out.length >= maxArrayLength) break;
            const item = walk(val, depth + 1, stack);
            out.push(item === undefined ? null : item);
          }
          return out;
        }
        const toJSON = (o as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') return walk(toJSON.call(o), depth + 1, stack);
        const out: Record<string, unknown> = {};
        const keys = Object.keys(o);
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          put(out, k, undefined, depth, stack, o);
        }
        return out;
      } finally {
        stack.pop();
      }
    } catch (err) {
      return `[Unserializable: ${errMessage(err)}]`;
    }
  };

  /** Copies one property: redacted by key, read without letting a getter throw. */
  const put = (out: Record<string, unknown>, k: string, val: unknown, depth: number, stack: object[], from?: object): void => {
    let value: unknown;
    if (isRedactedKey(k)) value = REDACTED;
    else {
      if (from !== undefined) val = read(from, k);
      value = walk(val, depth + 1, stack);
      if (value === undefined) return;
    }
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  };

  const errorObject = (e: Error, depth: number, stack: object[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    out['message'] = walk(read(e, 'message'), depth + 1, stack) ?? '';
    const name = read(e, 'name');
    if (typeof name === 'string' && name !== 'Error') out['name'] = name;
    const st = read(e, 'stack');
    if (typeof st === 'string') out['stack'] = truncate(st);
    const code = read(e, 'code');
    if (code !== undefined && code !== null) out['code'] = String(code);
    for (const k of Object.keys(e)) {
      if (k === 'message' || k === 'stack' || k === 'code' || k === 'name') continue;
      put(out, k, undefined, depth, stack, e);
    }
    return out;
  };

  return {
    redact: (value) => walk(value, 0, []),
    isRedactedKey,
    truncate,
    keys: [...set],
    maxStringLength,
  };
}

function read(o: object, k: string | number): unknown {
  try {
    return (o as Record<string | number, unknown>)[k];
  } catch (err) {
    return `[Throws: ${errMessage(err)}]`;
  }
}

function errMessage(err: unknown): string {
  try {
    const m = err instanceof Error ? err.message : String(err);
    return m.length > 200 ? `${m.slice(0, 200)}…` : m;
  } catch {
    return 'unknown';
  }
}

function positiveInt(v: number | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  if (!Number.isInteger(v) || v < 1) throw new TypeError(`@wundr/otel: redaction option ${name} must be a positive integer; got ${String(v)}`);
  return v;
}

const defaultRedactors = new WeakMap<readonly string[], Redactor>();

/**
 * Redacts `value` with `keys` (default: the LOG_REDACT_KEYS defaults); see
 * `Redactor.redact`. The compiled rules are cached per keys array, so pass
 * the same array each time (e.g. `config.logging.redactKeys`) on hot paths.
 *
 * @example
 * redact({ headers: { Authorization: 'Bearer x' } }); // { headers: { Authorization: '[REDACTED]' } }
 */
export function redact(value: unknown, keys: readonly string[] = DEFAULT_REDACT_KEYS, options?: RedactOptions): unknown {
  if (options !== undefined) return createRedactor(keys, options).redact(value);
  let r = defaultRedactors.get(keys);
  if (r === undefined) {
    r = createRedactor(keys);
    defaultRedactors.set(keys, r);
  }
  return r.redact(value);
}
