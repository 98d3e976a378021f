import type { Link, SpanContext } from '@opentelemetry/api';
import type { TimedEvent } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { AttributeEncoder } from './encodeAttributes.ts';
import type { ProtoWriter } from './ProtoWriter.ts';

/** SpanFlags (trace.proto): the low byte is the W3C trace flags; these say whether the parent/linked context was remote. */
const CONTEXT_HAS_IS_REMOTE = 0x100;
const CONTEXT_IS_REMOTE = 0x200;

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | CONTEXT_HAS_IS_REMOTE | (isRemote ? CONTEXT_IS_REMOTE : 0);
}

/**
 * Writes one Span message (trace.proto), its fields in the order and with
 * the presence rules of otlp-transformer's ProtobufTraceSerializer
 * (explicit zero dropped counts, status always present, flags with the
 * is-remote bits), so that both decode to the same message.
 */
export function encodeSpan(w: ProtoWriter, attrs: AttributeEncoder, span: ReadableSpan): void {
  const ctx = span.spanContext();
  w.byte(0x0a);
  w.hexId(ctx.traceId);
  w.byte(0x12);
  w.hexId(ctx.spanId);
  traceStateField(w, ctx, 0x1a);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.byte(0x22);
    w.hexId(parent.spanId);
  }
  w.byte(0x2a);
  w.string(span.name);
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.byte(0x30);
    w.uint32(kind);
  }
  w.byte(0x39);
  w.hrTime(span.startTime);
  w.byte(0x41);
  w.hrTime(span.endTime);
  if (span.attributes) attrs.write(w, span.attributes, 9);
  w.byte(0x50);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) encodeEvent(w, attrs, event);
  w.byte(0x60);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) encodeLink(w, attrs, link);
  w.byte(0x70);
  w.varint(span.droppedLinksCount);
  // Status (always present): message (2) when set, code (3).
  w.byte(0x7a);
  const st = w.begin();
  if (span.status.message) {
    w.byte(0x12);
    w.string(span.status.message);
  }
  w.byte(0x18);
  w.varint(span.status.code);
  w.end(st);
  // flags: field 16, fixed32 (tag 0x85 0x01).
  w.byte(0x85);
  w.byte(0x01);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
}

function traceStateField(w: ProtoWriter, ctx: SpanContext, tag: number): void {
  const ts = ctx.traceState?.serialize();
  if (ts) {
    w.byte(tag);
    w.string(ts);
  }
}

function encodeEvent(w: ProtoWriter, attrs: AttributeEncoder, event: TimedEvent): void {
  w.byte(0x5a);
  const at = w.begin();
  w.byte(0x09);
  w.hrTime(event.time);
  w.byte(0x12);
  w.string(event.name);
  if (event.attributes) attrs.write(w, event.attributes, 3);
  w.byte(0x20);
  w.varint(event.droppedAttributesCount || 0);
  w.end(at);
}

function encodeLink(w: ProtoWriter, attrs: AttributeEncoder, link: Link): void {
  w.byte(0x6a);
  const at = w.begin();
  const ctx = link.context;
  w.byte(0x0a);
  w.hexId(ctx.traceId);
  w.byte(0x12);
  w.hexId(ctx.spanId);
  traceStateField(w, ctx, 0x1a);
  if (link.attributes) attrs.write(w, link.attributes, 4);
  w.byte(0x28);
  w.varint(link.droppedAttributesCount || 0);
  w.byte(0x35);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.end(at);
}
