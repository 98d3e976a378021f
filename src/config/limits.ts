/**
 * The attribute, event and link limits. The stock TracerProvider and
 * LoggerProvider only take them as options (sdk-node alone reads the
 * environment), so they are read here with the specification's precedence:
 * the span or log record variable, else the general one, else its default.
 */
import type { Reader } from './reader.ts';
import { VARIABLES } from './variables.ts';
import type { LogRecordLimitsConfig, SpanLimitsConfig } from './types.ts';

export function readLimits(r: Reader): { span: SpanLimitsConfig; logRecord: LogRecordLimitsConfig } {
  // The general value is the default of the specific one, so a bad specific value warns once and names what is used instead.
  const length = r.get('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT');
  // The table's default is a length no string reaches; the SDK is given Infinity for it, its own "no limit".
  const unbounded = (n: number): number => (n >= VARIABLES.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.max ? Infinity : n);
  const count = r.get('OTEL_ATTRIBUTE_COUNT_LIMIT');
  return {
    span: {
      attributeValueLengthLimit: unbounded(r.get('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', length)),
      attributeCountLimit: r.get('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', count),
      eventCountLimit: r.get('OTEL_SPAN_EVENT_COUNT_LIMIT'),
      linkCountLimit: r.get('OTEL_SPAN_LINK_COUNT_LIMIT'),
      attributePerEventCountLimit: r.get('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'),
      attributePerLinkCountLimit: r.get('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'),
    },
    logRecord: {
      attributeValueLengthLimit: unbounded(r.get('OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT', length)),
      attributeCountLimit: r.get('OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT', count),
    },
  };
}
