import type { Attributes } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { normalizeKey } from '../config.ts';

/** What a redacted attribute value becomes (the same marker as in log metadata). */
const REDACTED = '[REDACTED]';
/** Cap on remembered key decisions, so a flood of distinct keys cannot grow memory. */
const CACHE_LIMIT = 4096;

/**
 * Redacts secret-looking span attributes with the list of LOG_REDACT_KEYS
 * (`config.logging.redactKeys`), so log metadata and spans follow one rule.
 *
 * Span attribute keys are flat and dotted (`http.request.header.authorization`,
 * `wundr.llm.api_key`), so a key is secret when the whole key or any of its
 * dot-separated segments is on the list (compared as in log redaction:
 * case, `-` and `_` ignored). Attributes of the span, of its events and of
 * its links are covered.
 *
 * It works in `onEnding` (sdk-trace 3.1, experimental): called while the
 * span can still be changed, after every attribute the app set and before
 * any processor sees the finished span, so no exporter ever gets the value.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  private readonly keys: ReadonlySet<string>;
  private readonly decided = new Map<string, boolean>();

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

  onStart(): void {}

  onEnding(span: Span): void {
    if (this.keys.size === 0) return;
    try {
      for (const k of Object.keys(span.attributes)) {
        if (this.isSecret(k) && span.attributes[k] !== REDACTED) span.setAttribute(k, REDACTED);
      }
      for (const e of span.events) if (e.attributes) this.scrub(e.attributes);
      for (const l of span.links) if (l.attributes) this.scrub(l.attributes);
    } catch {
      // A frozen attributes object: nothing more can be done, and the span must still end.
    }
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
