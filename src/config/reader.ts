/** Reading and checking single variables, with the warning texts of every kind of bad value. */
import type { ConfigWarning, Env } from './types.ts';
import {
  SECRET_VARIABLES,
  VARIABLES,
  type BoolSpec,
  type HostSpec,
  type KeyValuesSpec,
  type ListSpec,
  type NumberSpec,
  type OneOfSpec,
  type SpecOf,
  type UrlSpec,
  type VariableName,
  type VariableSpec,
} from './variables.ts';

/** The type a table entry reads to. */
export type ValueOf<S> = S extends BoolSpec
  ? boolean
  : S extends NumberSpec
    ? number
    : S extends OneOfSpec<infer T>
      ? T
      : S extends ListSpec<infer T>
        ? T[]
        : S extends KeyValuesSpec
          ? Record<string, string>
          : S extends HostSpec
            ? string
            : S extends UrlSpec
              ? string | undefined
              : string | undefined;

/** Longest value quoted back in a warning; hostile values are cut and escaped. */
const MAX_QUOTED = 64;

export function quoteValue(variable: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (SECRET_VARIABLES.has(variable)) return '"***"';
  let shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  // JSON escaping keeps control characters and newlines out of the warning line;
  // DEL, C1 controls, line separators and bidi overrides (which JSON leaves
  // raw) are escaped too, so a value cannot rewrite the terminal line.
  shown = JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > MAX_QUOTED ? `${shown} (${value.length} chars)` : shown;
}

export class Reader {
  readonly warnings: ConfigWarning[] = [];
  readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  /** The raw value, or undefined when unset or blank (blank counts as unset, as in the OTel spec). */
  raw(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    return v.trim() === '' ? undefined : v.trim();
  }

  warn(variable: string, message: string): void {
    // A secret variable's value stays out of the warning, which may be logged or printed.
    this.warnings.push({ variable, value: SECRET_VARIABLES.has(variable) && this.env[variable] !== undefined ? '***' : this.env[variable], message });
  }

  invalid(variable: string, expected: string, used: unknown): void {
    this.warn(
      variable,
      `${variable}=${quoteValue(variable, this.env[variable])} is not ${expected}; using ${formatUsed(used)}`,
    );
  }

  /**
   * Reads one variable as its table entry says: its default when unset, and
   * one warning plus the default when invalid. `def` replaces the entry's
   * default where it depends on something else (a TTY, the base OTLP value).
   */
  get<N extends VariableName>(name: N, def?: ValueOf<SpecOf<N>>): ValueOf<SpecOf<N>> {
    const s = VARIABLES[name] as VariableSpec;
    const d = (def ?? ('default' in s ? s.default : undefined)) as never;
    switch (s.kind) {
      case 'bool':
        return this.bool(name, d) as never;
      case 'number':
        return this.number(name, d, s) as never;
      case 'oneOf':
        return this.oneOf(name, s.values, d) as never;
      case 'list':
        return (this.list(name, s.values, s.default) ?? [...s.default]) as never;
      case 'keyValues':
        // Header lists drop the entries HTTP does not allow (with one warning).
        return parseKeyValueList(this, name, name.endsWith('_HEADERS')) as never;
      case 'url': {
        const v = this.raw(name);
        if (v === undefined || validUrl(v)) return (v ?? d) as never;
        this.invalid(name, 'an http(s) URL', s.fallback);
        return d;
      }
      case 'host':
        return (hostValue(this, name) ?? d) as never;
      case 'text':
        return this.raw(name) as never;
    }
  }

  /**
   * Reads a variable that gives way to another one: undefined when unset,
   * so the caller can tell "unset" from "set to the default". An invalid
   * number or host is undefined too (after its warning).
   */
  opt<N extends VariableName>(name: N): ValueOf<SpecOf<N>> | undefined {
    const s = VARIABLES[name] as VariableSpec;
    switch (s.kind) {
      case 'bool':
        return this.optBool(name, s.default) as never;
      case 'number':
        return this.optNumber(name, s.default, s) as never;
      case 'oneOf':
        return this.optOneOf(name, s.values, s.default) as never;
      case 'list':
        return this.list(name, s.values, s.default) as never;
      case 'host':
        return hostValue(this, name) as never;
      default:
        return this.raw(name) === undefined ? undefined : this.get(name);
    }
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase();
    if (l === 'true' || l === '1' || l === 'yes' || l === 'on') return true;
    if (l === 'false' || l === '0' || l === 'no' || l === 'off') return false;
    this.invalid(name, 'a boolean (true|false)', def);
    return def;
  }

  /** Optional boolean: undefined when unset or invalid (after warning). */
  optBool(name: string, def: boolean): boolean | undefined {
    return this.raw(name) === undefined ? undefined : this.bool(name, def);
  }

  number(name: string, def: number, opts: { min?: number; max?: number; integer?: boolean; what?: string } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    return this.parseNumber(name, v, def, opts) ?? def;
  }

  optNumber(name: string, def: number, opts: { min?: number; max?: number; integer?: boolean; what?: string } = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    return this.parseNumber(name, v, def, opts);
  }

  private parseNumber(
    name: string,
    v: string,
    def: number,
    opts: { min?: number; max?: number; integer?: boolean; what?: string },
  ): number | undefined {
    const { min = -Infinity, max = Infinity, integer = false } = opts;
    const what =
      opts.what ??
      `${integer ? 'an integer' : 'a number'}${
        Number.isFinite(min) && Number.isFinite(max)
          ? ` from ${min} to ${max}`
          : Number.isFinite(min)
            ? ` >= ${min}`
            : Number.isFinite(max)
              ? ` <= ${max}`
              : ''
      }`;
    // Number('') and Number(' ') are 0 and Number('0x10') is 16: accept plain decimals only.
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
      this.invalid(name, what, def);
      return undefined;
    }
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      this.invalid(name, what, def);
      return undefined;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], def: T): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    const l = v.toLowerCase() as T;
    if (allowed.includes(l)) return l;
    this.invalid(name, `one of ${allowed.join('|')}`, def);
    return def;
  }

  optOneOf<T extends string>(name: string, allowed: readonly T[], def: T): T | undefined {
    return this.raw(name) === undefined ? undefined : this.oneOf(name, allowed, def);
  }

  /** Comma-separated list of names; `none` alone means the empty list. */
  list<T extends string>(name: string, allowed: readonly T[], def: readonly T[]): T[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const items = v
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '');
    if (items.length === 1 && items[0] === 'none') return [];
    const out: T[] = [];
    const bad: string[] = [];
    for (const it of items) {
      if (it === 'none') continue;
      if ((allowed as readonly string[]).includes(it)) {
        if (!out.includes(it as T)) out.push(it as T);
      } else bad.push(it);
    }
    if (bad.length > 0) {
      const used = out.length > 0 ? out : [...def];
      this.warn(
        name,
        `${name}=${quoteValue(name, this.env[name])} names unknown value(s) ${bad
          .map((b) => quoteValue(name, b))
          .join(', ')} (known: ${allowed.join('|')}, none); using ${used.length ? used.join(',') : 'none'}`,
      );
      return used;
    }
    return out;
  }
}

function formatUsed(v: unknown): string {
  if (Array.isArray(v)) return v.length ? v.join(',') : 'none';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
const HEADER_VALUE_BAD = /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/;

/**
 * W3C Baggage-style `key=value,key2=value2` with percent-decoding (OTEL_RESOURCE_ATTRIBUTES, *_HEADERS).
 * With `headers`, an entry HTTP does not allow is dropped with one warning.
 */
export function parseKeyValueList(r: Reader, name: string, headers = false): Record<string, string> {
  const v = r.raw(name);
  const out: Record<string, string> = {};
  if (v === undefined) return out;
  let bad = 0;
  const unsafe: string[] = [];
  for (const part of v.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      bad++;
      continue;
    }
    const key = safeDecode(part.slice(0, eq).trim());
    const value = safeDecode(part.slice(eq + 1).trim());
    if (key === undefined || value === undefined || key === '') {
      bad++;
      continue;
    }
    // A header Node would refuse (CR/LF, control characters, a bad name) would fail every export: drop it.
    if (headers && (!HEADER_NAME.test(key) || HEADER_VALUE_BAD.test(value))) {
      unsafe.push(key);
      continue;
    }
    out[key] = value;
  }
  if (unsafe.length > 0) {
    r.warn(
      name,
      `${name} has ${unsafe.length} header(s) with characters HTTP does not allow (CR, LF, control characters, or a bad name); dropping ${unsafe.length === 1 ? 'it' : 'them'}, the other headers are sent`,
    );
  }
  if (bad > 0) {
    r.warn(
      name,
      `${name}=${quoteValue(name, r.env[name])} has ${bad} malformed entr${bad === 1 ? 'y' : 'ies'} (expected key=value,…); ignoring ${bad === 1 ? 'it' : 'them'}`,
    );
  }
  return out;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function validUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function hostValue(r: Reader, name: string): string | undefined {
  const v = r.raw(name);
  if (v === undefined) return undefined;
  // A host name, an IPv4 address or an IPv6 literal; nothing that could smuggle a path or port.
  if (/^[A-Za-z0-9.-]{1,253}$/.test(v) || /^\[?[0-9A-Fa-f:.]{2,45}\]?$/.test(v)) return v.replace(/^\[|\]$/g, '');
  r.invalid(name, 'a host name or IP address', '0.0.0.0');
  return undefined;
}

