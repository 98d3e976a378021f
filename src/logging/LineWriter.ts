import * as fs from 'node:fs';

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

/** Retry delay while a non-blocking destination says EAGAIN. */
const BUSY_RETRY_MS = 10;
/** At exit, how long to keep retrying a busy destination before giving up. */
const EXIT_BUDGET_MS = 1000;
/** Largest single write (a pipe takes 64 KiB at a time anyway). */
const MAX_WRITE_BYTES = 1024 * 1024;
const SLEEP = new Int32Array(new SharedArrayBuffer(4));

/**
 * An asynchronous, bounded line writer for a file descriptor (stdout by
 * default), in the manner of pino's sonic-boom: `write` only appends to a
 * string buffer; one `fs.write` is in flight at a time and takes everything
 * buffered meanwhile, so a slow consumer costs memory up to the bound, never
 * event-loop time. A full buffer drops (and counts) the new line. EPIPE and
 * other errors are swallowed and counted: logging never crashes the host.
 * On process 'exit', what is left is written with `fs.writeSync`.
 */
export class LineWriter {
  readonly fd: number;
  private buf = '';
  /** Bytes of the chunk being written (kept for partial writes). */
  private pending: Buffer | undefined;
  private writing = false;
  private broken = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private readonly max: number;
  private exitHook: (() => void) | undefined;
  readonly stats: LineWriterStats = { lines: 0, dropped: 0, bufferedChars: 0, writeErrors: 0 };

  constructor(fd = 1, options: LineWriterOptions = {}) {
    this.fd = fd;
    this.max = options.maxBufferedChars ?? 8 * 1024 * 1024;
    if (fd === 1 || fd === 2) {
      // Node opens a stdio pipe or socket in non-blocking mode when the
      // stream is first touched (console.log does it too). Without that, a
      // stalled reader would park a thread-pool thread in write(2) forever
      // and the exit flush would block the process; with it, writes get
      // EAGAIN and are retried (bounded at exit).
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
    if (!this.writing) this.startWrite();
    return true;
  }

  /**
   * Resolves true when everything written so far has reached the destination
   * (or was dropped), false when `timeoutMs` passed first (a stalled reader).
   */
  flush(timeoutMs = 10000): Promise<boolean> {
    if (!this.writing && this.buf === '' && this.pending === undefined) return Promise.resolve(true);
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

  /**
   * Writes what is left synchronously (process exit). A chunk already handed
   * to the thread pool is left to it; the rest follows it.
   */
  flushSync(): void {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.writing = false;
    }
    let chunk: Buffer | undefined;
    if (!this.writing && this.pending !== undefined) {
      chunk = this.pending;
      this.pending = undefined;
    }
    if (this.buf !== '') {
      const b = Buffer.from(this.buf);
      chunk = chunk === undefined ? b : Buffer.concat([chunk, b]);
      this.buf = '';
    }
    if (chunk === undefined) return;
    const deadline = Date.now() + EXIT_BUDGET_MS;
    let off = 0;
    while (off < chunk.length && !this.broken) {
      try {
        off += fs.writeSync(this.fd, chunk, off, chunk.length - off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < deadline) {
          // A non-blocking pipe is full: give the reader a moment, within the exit budget.
          Atomics.wait(SLEEP, 0, 0, 1);
          continue;
        }
        this.pending = chunk.subarray(off);
        this.fail(err);
        break;
      }
    }
    this.stats.bufferedChars = 0;
    if (!this.writing) this.wake();
  }

  /** Stops the exit hook (tests, or a writer being replaced). */
  close(): void {
    if (this.exitHook) process.removeListener('exit', this.exitHook);
    this.exitHook = undefined;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
  }

  private startWrite(): void {
    if (this.pending === undefined) {
      if (this.buf === '') {
        this.writing = false;
        this.wake();
        return;
      }
      let take = this.buf;
      // Convert at most ~1 MiB at a time (characters are <= 3 bytes in UTF-8 from UTF-16 units).
      if (take.length > MAX_WRITE_BYTES / 3) {
        const nl = take.lastIndexOf('\n', MAX_WRITE_BYTES / 3);
        take = take.slice(0, nl > 0 ? nl + 1 : MAX_WRITE_BYTES / 3);
      }
      this.buf = this.buf.length === take.length ? '' : this.buf.slice(take.length);
      this.stats.bufferedChars = this.buf.length;
      this.pending = Buffer.from(take);
    }
    this.writing = true;
    const chunk = this.pending;
    fs.write(this.fd, chunk, 0, chunk.length, null, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.startWrite();
          }, BUSY_RETRY_MS);
          this.retryTimer.unref();
          return;
        }
        this.fail(err);
        this.writing = false;
        this.wake();
        return;
      }
      if (this.pending === chunk) this.pending = n < chunk.length ? chunk.subarray(n) : undefined;
      this.startWrite();
    });
  }

  private fail(err: unknown): void {
    this.stats.writeErrors++;
    // EPIPE/EBADF: the reader is gone; keep accepting calls, drop the lines.
    const lost = countLines(this.pending) + countLinesStr(this.buf);
    this.stats.dropped += lost;
    this.pending = undefined;
    this.buf = '';
    this.stats.bufferedChars = 0;
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'EPIPE' || code === 'EBADF' || code === 'ECONNRESET') this.broken = true;
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
