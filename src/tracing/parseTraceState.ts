/**
 * `tracestate` parsing by the current W3C Trace Context text
 * (w3c/trace-context, spec/20-http_request_header_format.md#tracestate-header).
 *
 * The current key grammar is one rule, `( lcalpha / DIGIT ) 0*255 keychar`
 * with `@` among the key characters, where Level 1 had separate simple and
 * multi-tenant keys: `foo@=1`, `0a=1` and 256-char keys with `@` anywhere are
 * valid now. A header is never thrown away for one bad member: invalid
 * members are dropped, a repeated key keeps its first (leftmost, most recent)
 * entry, and only the first 32 members are kept. OTel core's `TraceState`
 * still validates keys with the Level 1 grammar, so the parsed members go into
 * our own `W3CTraceState`, not through the core class.
 */
import type { TraceState } from '@opentelemetry/api';

/** Most list members a tracestate may carry (empty members are not counted). */
export const TRACESTATE_MAX_MEMBERS = 32;
/** Longest tracestate we propagate; longer ones are truncated as the spec's "tracestate Limits" ask. */
export const TRACESTATE_PROPAGATED_LENGTH = 512;
/** Members longer than this are the first to go when truncating. */
const TRUNCATE_FIRST_OVER = 128;
/**
 * Longest raw header worth parsing: 32 members of 256+1+256 chars with
 * separators, plus the same again for empty, whitespace or invalid members
 * that are dropped. Anything longer is refused before any splitting (hostile
 * input).
 */
export const TRACESTATE_MAX_RAW_LENGTH = 2 * (32 * 513 + 31 * 3) + 64;

// key = ( lcalpha / DIGIT ) 0*255 ( keychar )
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// value = 0*255(chr) nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E ; chr = %x20 / nblk-chr
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** True when `key` follows the current key grammar (1-256 of a-z 0-9 _ - * / @, starting with a-z or 0-9). */
export function isValidTraceStateKey(key: string): boolean {
  return KEY.test(key);
}

/** True when `value` follows the value grammar (1-256 printable chars, no `,` `=`, no trailing space). */
export function isValidTraceStateValue(value: string): boolean {
  return VALUE.test(value);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isOws(s.charCodeAt(a))) a++;
  while (b > a && isOws(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Parses one or more `tracestate` header values (several headers are one
 * comma-joined list, RFC 9110 §5.3) into ordered `[key, value]` members.
 * Invalid members are dropped, a repeated key keeps its first entry, and at
 * most 32 members are kept. Returns `undefined` only when the input is not a
 * string (or list of strings) or is too long to be a tracestate at all.
 * Never throws.
 */
export function parseTraceStateMembers(header: unknown): [string, string][] | undefined {
  let raw: string;
  if (typeof header === 'string') raw = header;
  else if (Array.isArray(header)) {
    let total = 0;
    for (const h of header) {
      if (typeof h !== 'string') return undefined;
      total += h.length + 1;
      if (total > TRACESTATE_MAX_RAW_LENGTH) return undefined;
    }
    raw = header.join(',');
  } else return undefined;
  if (raw.length > TRACESTATE_MAX_RAW_LENGTH) return undefined;

  const members: [string, string][] = [];
  const seen = new Set<string>();
  let start = 0;
  while (start <= raw.length && members.length < TRACESTATE_MAX_MEMBERS) {
    let end = raw.indexOf(',', start);
    if (end === -1) end = raw.length;
    const member = trimOws(raw.slice(start, end));
    start = end + 1;
    const eq = member.indexOf('=');
    if (eq > 0) {
      const key = member.slice(0, eq);
      const value = member.slice(eq + 1);
      if (isValidTraceStateKey(key) && isValidTraceStateValue(value) && !seen.has(key)) {
        seen.add(key);
        members.push([key, value]);
      }
    }
    if (end === raw.length) break;
  }
  return members;
}

/**
 * Truncates members for propagation as the spec suggests: when the list is
 * longer than 512 chars, members over 128 chars go first, then members from
 * the end, until it fits.
 */
export function truncateTraceStateMembers(members: [string, string][], limit = TRACESTATE_PROPAGATED_LENGTH): [string, string][] {
  const len = (ms: [string, string][]) => ms.reduce((n, [k, v], i) => n + k.length + 1 + v.length + (i > 0 ? 1 : 0), 0);
  if (len(members) <= limit) return members;
  let out = members.filter(([k, v]) => k.length + 1 + v.length <= TRUNCATE_FIRST_OVER);
  while (out.length > 0 && len(out) > limit) out = out.slice(0, -1);
  return out;
}

/**
 * An immutable tracestate that validates with the current key grammar (the
 * OTel API's `TraceState` interface, so samplers and propagators take it as
 * they take core's). `set` moves the key to the front, as the spec asks of a
 * modified entry; past 32 members the rightmost goes.
 */
export class W3CTraceState implements TraceState {
  private readonly members: readonly (readonly [string, string])[];

  constructor(members: readonly (readonly [string, string])[] = []) {
    this.members = members;
  }

  set(key: string, value: string): W3CTraceState {
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return this;
    const rest = this.members.filter(([k]) => k !== key);
    return new W3CTraceState([[key, value] as const, ...rest].slice(0, TRACESTATE_MAX_MEMBERS));
  }

  unset(key: string): W3CTraceState {
    return this.members.some(([k]) => k === key) ? new W3CTraceState(this.members.filter(([k]) => k !== key)) : this;
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.members) if (k === key) return v;
    return undefined;
  }

  serialize(): string {
    return this.members.map(([k, v]) => `${k}=${v}`).join(',');
  }
}

/**
 * Parses a tracestate header into a `TraceState`, or `undefined` when it is
 * absent, empty, or has no valid member left.
 *
 * @example
 * parseTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')?.get('rojo'); // '00f067aa0ba902b7'
 * parseTraceState('Bad=1,foo@=2')?.serialize();                            // 'foo@=2'
 */
export function parseTraceState(header: unknown): W3CTraceState | undefined {
  const members = parseTraceStateMembers(header);
  if (members === undefined || members.length === 0) return undefined;
  const kept = truncateTraceStateMembers(members);
  if (kept.length === 0) return undefined;
  return new W3CTraceState(kept);
}
