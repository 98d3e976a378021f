import * as fs from 'node:fs';
import { diag } from '@opentelemetry/api';

export interface LineWriterOptions {
  /** Most characters held while the destination is busy; beyond it lines are dropped and counted. Default 8 Mi. */
  maxBufferedChars?: number;
  /** Register a process 'exit' hook that writes what is left synchronously. Default true. */
  flushOnExit?: boolean;
}

export interface LineWriterStats {
  /** Lines accepted into the buffer. */
  lines: number;
  /** Lines dropped because the buffer was full or the destination failed. */
  dropped: number;
  /** Characters waiting to be written. */
  bufferedChars: number;
  /** Write errors other than EAGAIN (EPIPE, EBADF, …). */
  writeErrors: number;
}

/** First retry delay while a non-blocking destination says EAGAIN; doubles up to the max. */
const BUSY_RETRY_MIN_MS = 1;
const BUSY_RETRY_MAX_MS = 100;
/** At exit, how long to keep retrying a busy destination before giving up. */
const EXIT_BUDGET_MS = 1000;
/** Characters converted and written per write(2) (a pipe takes 64 KiB at a time anyway). */
const MAX_CHUNK_CHARS = 256 * 1024;
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/**
 * An asynchronous, bounded line writer for a file descriptor (stdout by
 * default). `write` only appends to a string buffer; once per event-loop
 * turn everything buffered goes out in one `write(2)` on the main thread.
 *
 * Why not the thread pool (sonic-boom's default)? A stdio pipe or socket is
 * put in non-blocking mode (see the constructor), so a direct write never
 * waits: it takes what fits and says EAGAIN for the rest, which is retried
 * on a timer with back-off. That keeps the app's thread pool (fs, dns,
 * crypto) free, keeps order exact, and lets the exit hook know exactly what
 * was written. A full buffer drops (and counts) the new line. EPIPE and
 * other errors are swallowed and counted: logging never crashes the host.
 */
export class LineWriter {
  readonly fd: number;
  private buf = '';
  /** Bytes taken from `buf` and not yet fully written (a partial write's rest). */
  private pending: Buffer | undefined;
  private scheduled = false;
  private broken = false;
  private readonly warned = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = BUSY_RETRY_MIN_MS;
  private waiters: (() => void)[] = [];
  private readonly max: number;
  private exitHook: (() => void) | undefined;
  private readonly drainCb = (): void => {
    this.scheduled = false;
    this.drain(false);
  };
  readonly stats: LineWriterStats = { lines: 0, dropped: 0, bufferedChars: 0, writeErrors: 0 };

  constructor(fd = 1, options: LineWriterOptions = {}) {
    this.fd = fd;
    this.max = options.maxBufferedChars ?? 8 * 1024 * 1024;
    if (fd === 1 || fd === 2) {
      // Node opens a stdio pipe or socket in non-blocking mode when the
      // stream is first touched (console.log does it too). Without that, a
      // stalled reader would block write(2); with it, writes say EAGAIN.
      // (A TTY stays blocking, as Node itself writes to it synchronously.)
      try {
        void (fd === 1 ? process.stdout : process.stderr);
      } catch {
        // No stdio stream (a detached process): the fd is used as is.
      }
    }
    if (options.flushOnExit !== false) {
      this.exitHook = () => this.flushSync();
      process.on('exit', this.exitHook);
    }
  }

  /** Queues one line (with its '\n'); returns false when it was dropped. */
  write(line: string): boolean {
    if (this.broken || this.stats.bufferedChars + line.length > this.max) {
      this.stats.dropped++;
      return false;
    }
    this.buf += line;
    this.stats.bufferedChars += line.length;
    this.stats.lines++;
    if (!this.scheduled && this.retryTimer === undefined) {
      this.scheduled = true;
      setImmediate(this.drainCb);
    }
    return true;
  }

  /**
   * Resolves true when everything written so far has reached the destination
   * (or was dropped), false when `timeoutMs` passed first (a stalled reader).
   */
  flush(timeoutMs = 10000): Promise<boolean> {
    if (this.idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  /** Writes what is left now, synchronously (process exit); a busy destination is retried for up to 1 s. */
  flushSync(): void {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    this.drain(true);
  }

  /** Stops the exit hook and timers (tests, or a writer being replaced). */
  close(): void {
    if (this.exitHook) process.removeListener('exit', this.exitHook);
    this.exitHook = undefined;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private idle(): boolean {
    return this.buf === '' && this.pending === undefined;
  }

  private drain(atExit: boolean): void {
    const deadline = atExit ? Date.now() + EXIT_BUDGET_MS : 0;
    while (!this.broken) {
      if (this.pending === undefined) {
        if (this.buf === '') break;
        let take = this.buf;
        if (take.length > MAX_CHUNK_CHARS) {
          const nl = take.lastIndexOf('\n', MAX_CHUNK_CHARS);
          take = take.slice(0, nl > 0 ? nl + 1 : MAX_CHUNK_CHARS);
        }
        this.buf = take.length === this.buf.length ? '' : this.buf.slice(take.length);
        this.stats.bufferedChars = this.buf.length;
        this.pending = Buffer.from(take);
      }
      const chunk = this.pending;
      try {
        const n = fs.writeSync(this.fd, chunk, 0, chunk.length);
        this.pending = n < chunk.length ? chunk.subarray(n) : undefined;
        this.retryDelay = BUSY_RETRY_MIN_MS;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          if (atExit) {
            if (Date.now() < deadline) {
              Atomics.wait(SLEEP, 0, 0, 1);
              continue;
            }
          } else {
            // The reader is behind: come back later, less often while it stays behind.
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.drain(false);
            }, this.retryDelay);
            this.retryTimer.unref();
            this.retryDelay = Math.min(this.retryDelay * 2, BUSY_RETRY_MAX_MS);
            return;
          }
        }
        this.fail(err);
        break;
      }
    }
    if (this.idle() || this.broken) this.wake();
  }

  private fail(err: unknown): void {
    this.stats.writeErrors++;
    // What was not written is lost: count its lines.
    this.stats.dropped += countLines(this.pending) + countLinesStr(this.buf);
    this.pending = undefined;
    this.buf = '';
    this.stats.bufferedChars = 0;
    const code = (err as NodeJS.ErrnoException)?.code;
    // The reader is gone for good: keep accepting calls, drop the lines.
    // (Anything else, e.g. ENOSPC, loses this batch only.)
    if (code === 'EPIPE' || code === 'EBADF' || code === 'ECONNRESET' || code === 'ENOTCONN') this.broken = true;
    // Once per writer and kind: stdout is the thing that failed, so the
    // warning goes to the SDK's diagnostics (stderr), and log records still
    // reach the OTLP exporter.
    const kind = this.broken ? 'broken' : (code ?? 'error');
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      diag.warn(
        this.broken
          ? `@wundr/otel: log lines cannot be written to their output (${code}); further lines are dropped and counted (getLoggingStats().dropped), log records still go to the OTLP exporter`
          : `@wundr/otel: writing log lines failed (${code ?? (err as Error)?.message}); the lines of that write were dropped and counted`,
      );
    }
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

function countLines(b: Buffer | undefined): number {
  if (b === undefined) return 0;
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

function countLinesStr(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
