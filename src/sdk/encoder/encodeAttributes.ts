import { ProtoWriter } from './ProtoWriter.ts';

/** Keys remembered with their encoded bytes; past this the cache starts over (a flood of distinct keys). */
const MAX_KEYS = 2048;
/** Distinct values remembered per key; a key with more is high-cardinality and no longer cached. */
const MAX_VALUES_PER_KEY = 64;
/** Only short strings are cached as whole key/value pairs. */
const MAX_CACHED_STRING = 64;
/** Bytes of cached pairs, all keys together: past it no new pair is cached (distinct keys and values cannot grow memory). */
const MAX_CACHED_BYTES = 1 << 20;

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

interface KeyEntry {
  /** KeyValue field 1 (tag, length, UTF-8). */
  readonly keyField: Buffer;
  /** Encoded KeyValue messages (length prefix included) by value; null once the key proved high-cardinality. */
  values: Map<unknown, Buffer> | null;
  /** The pair written last for this key: most keys repeat their value from one span to the next. */
  lastValue: unknown;
  lastPair: Buffer | undefined;
}

/**
 * Writes OTel attributes as repeated OTLP KeyValue, field for field as
 * @opentelemetry/otlp-transformer writes them (key order, integers as
 * int_value, other numbers as double_value, arrays, maps, bytes, null as an
 * empty AnyValue). Keys are encoded once and kept as bytes; whole pairs
 * whose value repeats (methods, routes, status codes, service names) are
 * kept as bytes too, so the common span costs little more than copies.
 */
export class AttributeEncoder {
  private readonly keys = new Map<string, KeyEntry>();
  private readonly scratch = new ProtoWriter(256);
  private cachedBytes = 0;

  /** Writes each attribute as field `field` (length-delimited KeyValue). */
  write(w: ProtoWriter, attributes: object, field: number): void {
    const tag = (field << 3) | 2;
    const attrs = attributes as Record<string, unknown>;
    for (const key in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
      const value = attrs[key];
      const entry = this.entry(key);
      const t = typeof value;
      if (value === entry.lastValue && entry.lastPair !== undefined) {
        w.byte(tag);
        w.raw(entry.lastPair);
        continue;
      }
      if (entry.values !== null && (t === 'number' || t === 'boolean' || (t === 'string' && (value as string).length <= MAX_CACHED_STRING))) {
        let kv = entry.values.get(value);
        if (kv === undefined) {
          kv = this.encodePair(entry, value);
          if (entry.values.size >= MAX_VALUES_PER_KEY) entry.values = null;
          else if (this.cachedBytes < MAX_CACHED_BYTES) {
            entry.values.set(value, kv);
            this.cachedBytes += kv.length;
          }
        }
        entry.lastValue = value;
        entry.lastPair = kv;
        w.byte(tag);
        w.raw(kv);
        continue;
      }
      w.byte(tag);
      const at = w.begin();
      w.raw(entry.keyField);
      writeValueField(w, value);
      w.end(at);
    }
  }

  private entry(key: string): KeyEntry {
    let e = this.keys.get(key);
    if (e === undefined) {
      if (this.keys.size >= MAX_KEYS) {
        this.keys.clear();
        this.cachedBytes = 0;
      }
      const s = this.scratch;
      s.reset();
      s.byte(0x0a);
      s.string(key);
      e = { keyField: s.take(), values: new Map(), lastValue: undefined, lastPair: undefined };
      this.keys.set(key, e);
    }
    return e;
  }

  private encodePair(entry: KeyEntry, value: unknown): Buffer {
    const s = this.scratch;
    s.reset();
    const at = s.begin();
    s.raw(entry.keyField);
    writeValueField(s, value);
    s.end(at);
    return s.take();
  }
}

/** KeyValue field 2: the value as a length-delimited AnyValue. */
function writeValueField(w: ProtoWriter, value: unknown): void {
  w.byte(0x12);
  const at = w.begin();
  writeAnyValue(w, value);
  w.end(at);
}

/** The fields of one AnyValue (without its own length prefix). */
export function writeAnyValue(w: ProtoWriter, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.byte(0x0a);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.byte(0x10);
    w.byte(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.byte(0x18);
      w.varint(n);
    } else {
      w.byte(0x21);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.byte(0x3a);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.byte(0x2a);
    const arr = w.begin();
    for (const item of value) {
      w.byte(0x0a);
      const at = w.begin();
      writeAnyValue(w, item);
      w.end(at);
    }
    w.end(arr);
  } else if (t === 'object' && value !== null) {
    w.byte(0x32);
    const list = w.begin();
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      w.byte(0x0a);
      const kv = w.begin();
      w.byte(0x0a);
      w.string(k);
      writeValueField(w, obj[k]);
      w.end(kv);
    }
    w.end(list);
  }
}
