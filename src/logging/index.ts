// The logging area's public surface (re-exported from the package root).
export { StructuredLogger, Logger, createLogger, createChildLogger } from './StructuredLogger.ts';
export type { LogContext, StructuredLoggerConfig } from './StructuredLogger.ts';
export { LogLevel, StructuredLogLevel, isLogLevelName } from './levels.ts';
export { LogLevelRegistry, getLogLevelRegistry } from './LogLevelRegistry.ts';
export type { LogLevelSnapshot } from './LogLevelRegistry.ts';
export type { LogEntry } from './format.ts';
export { formatJsonLine, formatTextLine } from './format.ts';
export { InMemoryLogWriter } from './InMemoryLogWriter.ts';
export { configureLogging, getLoggingStats, flushLogs, flushLogsSync } from './runtime.ts';
export type { LogWriter, ConfigureLoggingOptions, LoggingStats } from './runtime.ts';
export { redact, createRedactor, REDACTED } from './redact.ts';
export type { Redactor, RedactOptions } from './redact.ts';
export { LogLineProcessor } from './LogLineProcessor.ts';
export type { LogLineProcessorOptions } from './LogLineProcessor.ts';
