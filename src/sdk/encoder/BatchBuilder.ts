import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { AttributeEncoder } from './encodeAttributes.ts';
import { ProtoWriter, varintSize } from './ProtoWriter.ts';

/** One export request, already encoded: the bytes of an ExportTraceServiceRequest or ExportLogsServiceRequest. */
export interface EncodedBatch {
  readonly bytes: Uint8Array;
  /** Spans or log records in it. */
  readonly count: number;
}

/** What spans and log records have in common for grouping. */
export interface Groupable {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
}

export type ItemEncoder<T> = (w: ProtoWriter, attrs: AttributeEncoder, item: T) => void;

/** Writers kept for reuse between batches (one per scope in use). */
const MAX_POOLED = 16;
/** A writer that grew past this (one huge batch) is not kept. */
const MAX_POOLED_BYTES = 4 << 20;

/**
 * Builds one OTLP export request from items encoded as they arrive.
 *
 * Both requests have the same shape: repeated Resource{Spans,Logs} (1) of
 * resource (1), repeated Scope{Spans,Logs} (2) of scope (1) and items (2),
 * each with schema_url (3). Each item is encoded at once into the writer
 * of its (resource, scope) group; at the cut the groups are framed into the
 * request with exact lengths (one copy), resource and scope being encoded
 * once per request. Groups come out in order of first appearance, items in
 * order of arrival, as otlp-transformer groups them.
 */
export class BatchBuilder<T extends Groupable> {
  private readonly encodeItem: ItemEncoder<T>;
  private readonly attrs = new AttributeEncoder();
  private groups = new Map<Resource, Map<InstrumentationScope, ProtoWriter>>();
  private readonly pool: ProtoWriter[] = [];
  private readonly header = new ProtoWriter(1024);
  /** The group of the previous item: most items come from the same scope as the one before. */
  private lastResource: Resource | undefined;
  private lastScope: InstrumentationScope | undefined;
  private lastWriter: ProtoWriter | undefined;
  /** Items in the current request. */
  count = 0;
  /** Encoded bytes of the items so far (the request is a little larger). */
  bytes = 0;

  constructor(encodeItem: ItemEncoder<T>) {
    this.encodeItem = encodeItem;
  }

  /** Encodes `item` into the current request. Throws only on an item the encoder cannot read; the request stays valid. */
  add(item: T): void {
    const w = this.writerFor(item.resource, item.instrumentationScope);
    const start = w.pos;
    try {
      w.byte(0x12);
      const at = w.begin2();
      this.encodeItem(w, this.attrs, item);
      w.end2(at);
    } catch (err) {
      w.pos = start;
      throw err;
    }
    this.bytes += w.pos - start;
    this.count++;
  }

  private writerFor(resource: Resource, scope: InstrumentationScope): ProtoWriter {
    if (scope === this.lastScope && resource === this.lastResource) return this.lastWriter!;
    let scopes = this.groups.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.groups.set(resource, scopes);
    }
    let w = scopes.get(scope);
    if (w === undefined) {
      w = this.pool.pop() ?? new ProtoWriter();
      scopes.set(scope, w);
    }
    this.lastResource = resource;
    this.lastScope = scope;
    this.lastWriter = w;
    return w;
  }

  /** The request of everything added since the last cut; the builder starts over. */
  cut(): EncodedBatch {
    const h = this.header;
    const attrs = this.attrs;
    // The fixed parts (resource, scope, schema URLs) are encoded first, into one scratch writer,
    // and each group's lengths computed from them; then everything is copied once into the request.
    h.reset();
    const parts: { resStart: number; resEnd: number; schema: string | undefined; scopes: { start: number; end: number; w: ProtoWriter; len: number }[]; len: number }[] = [];
    let total = 0;
    for (const [resource, scopes] of this.groups) {
      const resStart = h.pos;
      h.byte(0x0a);
      const r = h.begin();
      if (resource.attributes) attrs.write(h, resource.attributes, 1);
      h.byte(0x10);
      h.byte(0);
      h.end(r);
      const resEnd = h.pos;
      let len = resEnd - resStart;
      const list: (typeof parts)[number]['scopes'] = [];
      for (const [scope, w] of scopes) {
        const start = h.pos;
        encodeScope(h, attrs, scope);
        const end = h.pos;
        const sLen = end - start + w.pos;
        list.push({ start, end, w, len: sLen });
        len += 1 + varintSize(sLen) + sLen;
      }
      const schema = resource.schemaUrl;
      if (schema) len += stringFieldSize(schema);
      parts.push({ resStart, resEnd, schema, scopes: list, len });
      total += 1 + varintSize(len) + len;
    }
    const out = new ProtoWriter(Math.max(total, 16));
    for (const p of parts) {
      out.byte(0x0a);
      out.uint32(p.len);
      out.raw(h.buf.subarray(p.resStart, p.resEnd));
      for (const s of p.scopes) {
        out.byte(0x12);
        out.uint32(s.len);
        out.raw(h.buf.subarray(s.start, s.end));
        out.raw(s.w.buf.subarray(0, s.w.pos));
      }
      if (p.schema) {
        out.byte(0x1a);
        out.string(p.schema);
      }
    }
    const batch: EncodedBatch = { bytes: out.buf.subarray(0, out.pos), count: this.count };
    for (const scopes of this.groups.values()) {
      for (const w of scopes.values()) {
        w.reset();
        if (this.pool.length < MAX_POOLED && w.buf.length <= MAX_POOLED_BYTES) this.pool.push(w);
      }
    }
    this.groups = new Map();
    this.lastResource = undefined;
    this.lastScope = undefined;
    this.lastWriter = undefined;
    this.count = 0;
    this.bytes = 0;
    return batch;
  }
}

/** InstrumentationScope (1), then the scope's schema_url (3) which otlp-transformer writes after the items: order does not matter to a decoder. */
function encodeScope(h: ProtoWriter, attrs: AttributeEncoder, scope: InstrumentationScope): void {
  h.byte(0x0a);
  const at = h.begin();
  h.byte(0x0a);
  h.string(scope.name);
  if (scope.version) {
    h.byte(0x12);
    h.string(scope.version);
  }
  const s = scope as InstrumentationScope & { attributes?: object; droppedAttributesCount?: number };
  if (s.attributes) attrs.write(h, s.attributes, 3);
  if (s.droppedAttributesCount) {
    h.byte(0x20);
    h.varint(s.droppedAttributesCount);
  }
  h.end(at);
  if (scope.schemaUrl) {
    h.byte(0x1a);
    h.string(scope.schemaUrl);
  }
}

function stringFieldSize(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  return 1 + varintSize(n) + n;
}
