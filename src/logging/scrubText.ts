import { DEFAULT_REDACT_KEYS, normalizeKey } from '../config.ts';
import { REDACTED } from './redact.ts';

/**
 * Query parameters that carry credentials although their names are not on
 * the redaction list (signed URLs: S3, Azure SAS, GCS; OAuth codes).
 */
const SECRET_QUERY_KEYS: ReadonlySet<string> = new Set(['sig', 'signature', 'xamzsignature', 'xamzcredential', 'xamzsecuritytoken', 'xgoogsignature', 'xgoogcredential', 'key', 'auth', 'credential', 'credentials']);

/** `scheme://userinfo@` (userinfo without `/`, `?`, `#`, whitespace). */
const USERINFO = /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s/?#@]+)@/gi;
/**
 * `key=value`, `key: value`, `"key":"value"`; the key may be dotted or
 * dashed, the value may be an auth scheme and its credential.
 */
const PAIR = /(["']?)([A-Za-z0-9_.-]{1,64})\1(\s*[=:](?!\/\/)\s*)(["']?)((?:(?:Bearer|Basic|Token|Digest)\s+)?[^\s&,;"'<>)\]}?]+)/g;

export type KeyTest = (normalizedKey: string) => boolean;

/** A key test from redaction keys: a key matches when its normalized form ends in one of them (`db.password`, `X-Api-Key`). */
export function keyTest(keys: readonly string[] = DEFAULT_REDACT_KEYS): KeyTest {
  const list = [...new Set(keys.map(normalizeKey).filter((k) => k.length > 0))];
  return (k) => list.some((x) => k.endsWith(x));
}

const defaultTest = keyTest();

/**
 * Masks the credentials a free-text message may carry, for answers and
 * warnings that anyone may read: a URL's userinfo, its secret query
 * parameters, and `key=value` / `key: value` pairs whose key is on the
 * redaction list. Never throws; non-strings come back unchanged.
 *
 * @example
 * scrubText('connect failed postgres://app:S3cret@db/x?sslmode=require&password=p');
 * // 'connect failed postgres://[REDACTED]@db/x?sslmode=require&password=[REDACTED]'
 */
export function scrubText(s: string, isSecretKey: KeyTest = defaultTest): string {
  if (typeof s !== 'string' || s.length === 0) return s;
  let out = s.replace(USERINFO, (_m, scheme: string) => `${scheme}${REDACTED}@`);
  out = out.replace(PAIR, (m, q: string, key: string, sep: string, vq: string, value: string) => {
    const k = normalizeKey(key);
    const secret = isSecretKey(k) || (sep.trim() === '=' && SECRET_QUERY_KEYS.has(k));
    if (!secret || value === REDACTED) return m;
    return `${q}${key}${q}${sep}${vq}${REDACTED}`;
  });
  return out;
}

/**
 * A deep copy of `v` with every string scrubbed and values under a secret
 * key masked (metadata objects shown on /health). Depth and size bounded.
 */
export function scrubValue(v: unknown, isSecretKey: KeyTest = defaultTest, depth = 0): unknown {
  if (typeof v === 'string') return scrubText(v, isSecretKey);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= 8) return '[Object]';
  if (v instanceof Date) return v;
  if (v instanceof Error) return scrubText(v.message, isSecretKey);
  if (Array.isArray(v)) return v.slice(0, 1000).map((x) => scrubValue(x, isSecretKey, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = isSecretKey(normalizeKey(k)) ? REDACTED : scrubValue(x, isSecretKey, depth + 1);
  }
  return out;
}

/**
 * A webhook URL as it may be shown: scheme, host and port only. A Slack or
 * Teams webhook's path is its secret, as are userinfo and query.
 */
export function webhookUrlForDisplay(u: string): string {
  try {
    const x = new URL(u);
    const hidden = x.username !== '' || x.password !== '' || (x.pathname !== '/' && x.pathname !== '') || x.search !== '' || x.hash !== '';
    return `${x.protocol}//${x.host}${hidden ? '/***' : '/'}`;
  } catch {
    return '(bad url)';
  }
}
