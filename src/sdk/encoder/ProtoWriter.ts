import type { HrTime } from '@opentelemetry/api';

/** Smallest buffer a writer starts with; it doubles as needed and is reused batch after batch. */
const INITIAL_SIZE = 4096;
/** Strings up to this length are copied in JS when ASCII: cheaper than a call into C++ for short values. */
const SHORT_STRING = 64;

/** Size of `v` (0 <= v < 2^32) as a protobuf varint. */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * A protobuf writer over one growing Buffer. Nested messages are written
 * with a reserved length prefix and back-patched (`begin`/`end`), so a
 * message is encoded in one pass, without estimating its size first.
 */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A varint of 0 <= v < 2^32. */
  uint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    v >>>= 0;
    while (v > 127) {
      buf[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[this.pos++] = v;
  }

  /**
   * A varint of any integral JS number: negatives as 64-bit two's
   * complement (10 bytes), as int64 requires. The split into 32-bit halves
   * is done as @opentelemetry/otlp-transformer does it, so that values past
   * 2^53 come out with the same bits.
   */
  varint(value: number): void {
    if (value >= 0 && value <= 0xffffffff) return this.uint32(value);
    this.ensure(10);
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 4294967296) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 4294967296) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    const buf = this.buf;
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 127;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = low & 255;
    buf[p++] = (low >>> 8) & 255;
    buf[p++] = (low >>> 16) & 255;
    buf[p++] = (low >>> 24) & 255;
    buf[p++] = high & 255;
    buf[p++] = (high >>> 8) & 255;
    buf[p++] = (high >>> 16) & 255;
    buf[p++] = (high >>> 24) & 255;
    this.pos = p;
  }

  /** [seconds, nanoseconds] as fixed64 nanoseconds, exact past 2^53 (the product is split in 16-bit parts). */
  hrTime(t: HrTime): void {
    const seconds = t[0];
    const nanos = t[1];
    const lo16 = (seconds & 0xffff) * 1e9;
    const hi = ((seconds / 0x10000) >>> 0) * 1e9;
    const lowSum = (lo16 >>> 0) + ((((hi & 0xffff) * 0x10000) >>> 0)) + nanos;
    const high = (Math.floor(lo16 / 4294967296) + ((hi / 0x10000) >>> 0) + Math.floor(lowSum / 4294967296)) >>> 0;
    this.fixed64(lowSum >>> 0, high);
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (lone surrogates become U+FFFD, as TextEncoder makes them). */
  string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      this.ensure(n + 1);
      const buf = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[start] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.uint32(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** Bytes copied as they are (already encoded fields). */
  raw(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    if (n < 32) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i]!;
      this.pos = p;
    } else {
      this.buf.set(b, this.pos);
      this.pos += n;
    }
  }

  /** Length-delimited bytes. */
  bytes(b: Uint8Array): void {
    this.uint32(b.length);
    this.raw(b);
  }

  /** A trace or span id given in hex, as length-delimited bytes. */
  hexId(hex: string): void {
    const n = hex.length >>> 1;
    this.ensure(n + 1);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = n;
    // Node's own hex decoding is 3x faster than a loop here; it stops at the first non-hex digit, where the loop decodes on as otlp-transformer does.
    if (buf.write(hex, p, n, 'hex') !== n) for (let i = 0; i < hex.length; i += 2) buf[p + (i >>> 1)] = (nibble(hex.charCodeAt(i)) << 4) | nibble(hex.charCodeAt(i + 1));
    this.pos = p + n;
  }

  /** Reserves one length byte for a nested message; pass the result to {@link end}. */
  begin(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Reserves two length bytes (for messages usually 128 bytes to 16 KiB long, such as a span). */
  begin2(): number {
    this.ensure(2);
    const at = this.pos;
    this.pos += 2;
    return at;
  }

  /** Back-patches the length of the message begun at `at` with {@link begin}. */
  end(at: number): void {
    this.patch(at, 1);
  }

  end2(at: number): void {
    this.patch(at, 2);
  }

  private patch(at: number, reserved: number): void {
    const len = this.pos - at - reserved;
    const size = varintSize(len);
    if (size !== reserved) {
      // Move the body so that the length takes exactly its varint size (canonical encoding).
      if (size > reserved) this.ensure(size - reserved);
      this.buf.copyWithin(at + size, at + reserved, this.pos);
      this.pos += size - reserved;
    }
    const buf = this.buf;
    let v = len;
    let p = at;
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p] = v;
  }

  /** A copy of what was written. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** A hex digit's value, matching otlp-transformer's decoding (which takes upper case too). */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}
