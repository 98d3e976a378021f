import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { normalizeKey } from '../config.ts';

/** What a redacted attribute value becomes (the same marker as in log metadata). */
const REDACTED = '[REDACTED]';
/** Cap on remembered key decisions, so a flood of distinct keys cannot grow memory. */
const CACHE_LIMIT = 4096;
/** Attributes holding a URL or query string (HTTP semconv, old and new names). */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set(['url.query', 'url.full', 'http.target', 'http.url']);
/** Query parameters longer than this are not parsed (a hostile URL costs no more than its length). */
const MAX_URL_LENGTH = 16_384;
/** Spans with more attributes than this are always walked key by key. */
const MAX_REMEMBERED_KEYS = 64;

/**
 * Redacts secret-looking span attributes with the list of LOG_REDACT_KEYS
 * (`config.logging.redactKeys`), so log metadata and spans follow one rule.
 *
 * Span attribute keys are flat and dotted (`http.request.header.authorization`,
 * `wundr.llm.api_key`), so a key is secret when the whole key or any of its
 * dot-separated segments is on the list (compared as in log redaction:
 * case, `-` and `_` ignored). Attributes of the span, of its events and of
 * its links are covered. In the URL attributes the HTTP semantic
 * conventions record (`url.query`, `url.full`), the values of query
 * parameters with a listed name (`?token=…`, `&api_key=…`) become `REDACTED`,
 * as the semconv advises for sensitive parameters.
 *
 * It works in `onEnding` (sdk-trace 3.1, experimental): called while the
 * span can still be changed, after every attribute the app set and before
 * any processor sees the finished span, so no exporter ever gets the value.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  private readonly keys: ReadonlySet<string>;
  private readonly decided = new Map<string, boolean>();
  /** The keys of the last span with nothing to redact (see sameCleanKeys). */
  private cleanKeys: string[] | undefined;

  constructor(keys: readonly string[]) {
    this.keys = new Set(keys.map(normalizeKey).filter((k) => k !== ''));
  }

  /** Whether an attribute with this key is redacted. */
  isSecret(key: string): boolean {
    let d = this.decided.get(key);
    if (d === undefined) {
      d = this.keys.has(normalizeKey(key)) || key.split('.').some((seg) => this.keys.has(normalizeKey(seg)));
      if (this.decided.size < CACHE_LIMIT) this.decided.set(key, d);
    }
    return d;
  }

  /**
   * Whether `attributes` has exactly the keys, in order, of the last span
   * found to have neither a secret nor a URL attribute. Spans of one kind
   * (every HTTP server span) have the same keys in the same order: a
   * comparison of interned strings per key instead of a lookup.
   */
  private sameCleanKeys(attributes: Attributes): boolean {
    const last = this.cleanKeys;
    if (last === undefined) return false;
    let i = 0;
    for (const k in attributes) if (last[i++] !== k) return false;
    return i === last.length;
  }

  onStart(): void {}

  onEnding(span: Span): void {
    if (this.keys.size === 0) return;
    try {
      const attributes = span.attributes;
      if (!this.sameCleanKeys(attributes)) {
        const keys: string[] = [];
        let clean = true;
        for (const k in attributes) {
          keys.push(k);
          const v = attributes[k];
          if (this.isSecret(k)) {
            clean = false;
            if (v !== REDACTED) span.setAttribute(k, REDACTED);
          } else if (URL_ATTRIBUTES.has(k)) {
            clean = false;
            if (typeof v === 'string') {
              const c = this.redactQuery(v);
              if (c !== v) span.setAttribute(k, c);
            }
          }
        }
        this.cleanKeys = clean && keys.length <= MAX_REMEMBERED_KEYS ? keys : undefined;
      }
      for (const e of span.events) if (e.attributes) this.scrub(e.attributes);
      for (const l of span.links) if (l.attributes) this.scrub(l.attributes);
    } catch {
      // A frozen attributes object: nothing more can be done, and the span must still end.
    }
  }

  /**
   * `a=1&token=x` -> `a=1&token=REDACTED` for listed parameter names (also
   * after the `?` of a full URL, up to a `#`). A hand-written scan, not a
   * regex replace: it runs for every HTTP span, and costs a few indexOf
   * and one cached Map lookup per parameter.
   */
  redactQuery(v: string): string {
    if (v.length > MAX_URL_LENGTH || v.indexOf('=') === -1) return v;
    let out: string | undefined;
    let last = 0;
    let start = v.indexOf('?') + 1;
    const hash = v.indexOf('#', start);
    const end = hash === -1 ? v.length : hash;
    while (start < end) {
      let amp = v.indexOf('&', start);
      if (amp === -1 || amp > end) amp = end;
      const eq = v.indexOf('=', start);
      if (eq !== -1 && eq < amp) {
        let name = v.slice(start, eq);
        if (name.includes('%')) {
          try {
            name = decodeURIComponent(name);
          } catch {
            // keep the raw name
          }
        }
        if (this.isSecret(name)) {
          out = `${out ?? ''}${v.slice(last, eq + 1)}REDACTED`;
          last = amp;
        }
      }
      start = amp + 1;
    }
    return out === undefined ? v : out + v.slice(last);
  }

  private scrub(attrs: Attributes): void {
    for (const k of Object.keys(attrs)) if (this.isSecret(k)) attrs[k] = REDACTED;
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
