/**
 * Strict W3C Trace Context Level 2 `tracestate` parsing
 * (https://www.w3.org/TR/trace-context-2/#tracestate-header).
 *
 * The OTel core `TraceState` is lenient: it skips an invalid member and keeps
 * the rest, and keeps the first 32 of a longer list. The spec asks that a
 * list with any invalid member, a duplicated key or more than 32 members be
 * discarded as a whole, so this parser validates first and only then hands a
 * clean string to the core class (which still does the serialising).
 */
import { TraceState } from '@opentelemetry/core';

/** Most list members a tracestate may carry (empty members are not counted). */
export const TRACESTATE_MAX_MEMBERS = 32;
/** Longest tracestate we propagate; longer ones are truncated as §3.3.1.5 asks. */
export const TRACESTATE_PROPAGATED_LENGTH = 512;
/** Members longer than this are the first to go when truncating. */
const TRUNCATE_FIRST_OVER = 128;
/**
 * Longest raw header worth parsing: 32 members of 256+1+256 chars with
 * separators and a little optional whitespace. Anything longer cannot be
 * valid, and is refused before any splitting (hostile input).
 */
export const TRACESTATE_MAX_RAW_LENGTH = 32 * 513 + 31 * 3 + 64;

// key = simple-key / multi-tenant-key
// simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// multi-tenant-key = tenant-id "@" system-id
// tenant-id = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
// system-id = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const MULTI_TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
// value = 0*255(chr) nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E ; chr = %x20 / nblk-chr
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/** True when `key` follows the Level 2 key grammar (simple or `tenant@system`). */
export function isValidTraceStateKey(key: string): boolean {
  return key.includes('@') ? MULTI_TENANT_KEY.test(key) : SIMPLE_KEY.test(key);
}

/** True when `value` follows the Level 2 value grammar (1-256 printable chars, no `,` `=`, no trailing space). */
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
 * Returns `undefined` when the whole tracestate must be discarded: any
 * invalid member, a duplicated key, more than 32 members, or a raw value too
 * long to be valid. Empty and whitespace-only members are allowed and skipped.
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
  while (start <= raw.length) {
    let end = raw.indexOf(',', start);
    if (end === -1) end = raw.length;
    const member = trimOws(raw.slice(start, end));
    start = end + 1;
    if (member === '') {
      if (end === raw.length) break;
      continue;
    }
    const eq = member.indexOf('=');
    if (eq <= 0) return undefined;
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return undefined;
    if (seen.has(key)) return undefined;
    seen.add(key);
    members.push([key, value]);
    if (members.length > TRACESTATE_MAX_MEMBERS) return undefined;
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
 * Strictly parses a tracestate header into an OTel `TraceState`, or
 * `undefined` when it is absent, empty or must be discarded.
 *
 * @example
 * parseTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')?.get('rojo'); // '00f067aa0ba902b7'
 * parseTraceState('Bad=1');                                                // undefined
 */
export function parseTraceState(header: unknown): TraceState | undefined {
  const members = parseTraceStateMembers(header);
  if (members === undefined || members.length === 0) return undefined;
  const kept = truncateTraceStateMembers(members);
  if (kept.length === 0) return undefined;
  return new TraceState(kept.map(([k, v]) => `${k}=${v}`).join(','));
}
