import type { LogEntry } from './format.ts';
import type { LogWriter } from './runtime.ts';

/**
 * Keeps lines and entries in memory (tests, or an in-process log view).
 * Bounded: past `maxEntries` the oldest are discarded.
 *
 * @example
 * const mem = new InMemoryLogWriter();
 * const log = new StructuredLogger('X', { writer: mem });
 * log.info('hi');
 * mem.entries[0].message; // 'hi'
 */
export class InMemoryLogWriter implements LogWriter {
  readonly entries: LogEntry[] = [];
  readonly lines: string[] = [];
  readonly maxEntries: number;

  constructor(maxEntries = 10000) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`@wundr/otel: InMemoryLogWriter maxEntries must be a positive integer; got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
  }

  write(line: string, entry: LogEntry): void {
    this.lines.push(line);
    this.entries.push(entry);
    if (this.entries.length > this.maxEntries) {
      this.entries.shift();
      this.lines.shift();
    }
  }

  /** Entries at this level (or all). */
  getEntries(level?: LogEntry['level']): LogEntry[] {
    return level === undefined ? [...this.entries] : this.entries.filter((e) => e.level === level);
  }

  clear(): void {
    this.entries.length = 0;
    this.lines.length = 0;
  }
}
