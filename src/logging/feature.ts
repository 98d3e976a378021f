import type { Feature } from '../feature.ts';
import { applyLoggingConfig, flushLogs, refreshOtelLogger } from './runtime.ts';

/**
 * The logging part of the SDK: applies `config.logging` (format, level,
 * redaction) to every StructuredLogger, points them at the provider just
 * registered, and flushes the stdout buffer on forceFlush/shutdown (the
 * process 'exit' hook writes whatever is left after that).
 *
 * The stdout line is formatted in the logger, not in a LogRecordProcessor:
 * measured in bench/logging.ts, formatting from the bound, pre-redacted
 * fields is cheaper than rebuilding the LogEntry from a record's flattened
 * attributes, and the line still prints when no SDK (or no log exporter) is
 * configured. The OTLP batch processor is added by the SDK assembly when
 * OTEL_LOGS_EXPORTER includes otlp.
 */
export function loggingFeature(): Feature {
  return {
    name: 'logging',
    configure(builder) {
      applyLoggingConfig(builder.config);
    },
    start() {
      refreshOtelLogger();
    },
    forceFlush: () => flushLogs(),
    shutdown: () => flushLogs(),
  };
}
