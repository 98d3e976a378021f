/**
 * Export request bodies written in pieces over turns of the event loop: a
 * piece a turn, more when the turns are long (MIN_BYTES_PER_MS).
 *
 * Why: a request of 512 spans is about 200 KB, and the stock transport
 * hands it to the socket in one write. With the collector on the cores the
 * application uses, the requests slower than the p99 clustered right after
 * an export began, while the application's own event loop did not stall
 * then (docs/PERFORMANCE.md has the timeline). Written in 16 KiB pieces,
 * the cluster mostly went: in a 6-round A/B the preloaded server's p99 was
 * 0.92 ms against 1.32 written whole, lower in every round. Measured only
 * with the collector (the bench's sink) on the same 2 cores.
 * `WUNDR_OTEL_OTLP_ENCODER=stock` (the stock pipeline) writes whole.
 *
 * The pacing lives in a subclass's prototype methods, with its state in
 * fields, not in closures set on each request. With closures over the
 * request set as its `write` and `end`, each request survived the young
 * collections: survivors went from about 9 KB to 70-150 KB per scavenge
 * and RSS after load rose by 40 MiB, while an own property holding the
 * prototype's function or a bound function did not do it. Why V8 keeps
 * those closures' requests is not known.
 */
import { ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';

/**
 * Bytes per piece. It is also the size of zlib's output chunks: a gzip
 * body reaches the request in chunks of at most this size, as zlib makes
 * them, and they go through unchanged.
 */
export const PIECE_BYTES = 16 * 1024;

/**
 * The slowest a body goes out, in bytes per millisecond of the event loop's
 * time: a turn writes as many pieces as its time pays for at this rate (at
 * least one; the remainder carries to the next turn), and a body's first
 * write is paid for by the loop's last measured turn.
 * With a piece per turn only, a server whose turns each answer many requests
 * (hundreds of connections) made spans faster than the pieces could carry
 * them, and lost most of them as queue_full. At 16 KiB a piece, this is the
 * pace a piece per turn had where it was measured to help (turns of about
 * 0.25 ms).
 */
export const MIN_BYTES_PER_MS = 64 * 1024;

let measuring = false;

function turnBegins(): void {
  setImmediate(turnEnds, performance.now());
}

function turnEnds(since: number): void {
  PacedClientRequest.loopTurnMs = performance.now() - since;
  measuring = false;
}

function measureLoopTurn(): void {
  if (measuring) return;
  measuring = true;
  // A setImmediate queued from another phase runs in this turn's check phase: the second one is a whole turn later.
  setImmediate(turnBegins);
}

type Callback = (err?: Error | null) => void;
type Piece = { piece: Uint8Array; cbs: Callback[] };

const prototypeWrite = ClientRequest.prototype.write as (this: ClientRequest, ...a: unknown[]) => boolean;
const prototypeEnd = ClientRequest.prototype.end as (this: ClientRequest, ...a: unknown[]) => ClientRequest;

/**
 * A ClientRequest that writes every chunk larger than its piece size in
 * pieces, the first at once and the next ones at the following turns of
 * the event loop (setImmediate): one a turn, more when the turn took long
 * enough to cover them at MIN_BYTES_PER_MS (the first write too, by the
 * loop's last measured turn). A chunk written whole at once makes write()
 * answer as ClientRequest's own write would. Writes keep their order: while
 * pieces are pending, later writes and `end()` wait behind them. `write` returns false
 * while pieces are pending and 'drain' follows once they are written, so a
 * pipe() into the request (the stock transport's) waits as it would for the
 * socket. Once the request is destroyed (the transport's timeout, or its
 * socket closed) what is pending is dropped and the pending writes'
 * callbacks get an error. Nothing in the pacing throws into the event loop:
 * a failure destroys the request with it, which the transport reports as
 * a failed export.
 */
export class PacedClientRequest extends ClientRequest {
  /** The event loop's last measured turn (ms), from one check phase to the next: measured as each body (each chunk written while nothing is pending) begins, shared by all. */
  static loopTurnMs = 0;
  readonly pieceBytes: number;
  readonly minBytesPerMs: number;
  private readonly pending: Piece[] = [];
  /** 'ending': end() was called with pieces pending; 'ended': ClientRequest's own end() was called. */
  private state: 'open' | 'ending' | 'ended' = 'open';
  /** The callbacks given to end() while 'ending'. */
  private endCallbacks: Callback[] = [];
  /** When the last pieces were written (performance.now()); 0 before the first. */
  private lastTurnAt = 0;
  /** Bytes the loop's time has paid for and no piece has used yet (less than a piece while pieces are pending). */
  private credit = 0;
  /** True while write() makes a chunk's first write: its answer is write()'s return value, not a 'drain'. */
  private starting = false;

  constructor(
    url: string | URL | ClientRequestArgs,
    options?: ClientRequestArgs | ((res: IncomingMessage) => void),
    callback?: (res: IncomingMessage) => void,
    pieceBytes = PIECE_BYTES,
    minBytesPerMs = MIN_BYTES_PER_MS,
  ) {
    if (typeof options === 'function') [options, callback] = [undefined, options];
    // node:http's request(url, options, callback), as ClientRequest takes it (its typings know two of the three).
    super(...([url, options] as unknown as [string]));
    if (callback) this.once('response', callback);
    this.pieceBytes = pieceBytes;
    this.minBytesPerMs = minBytesPerMs;
  }

  /** The write of ClientRequest itself: every byte of the body goes out through here. */
  protected writeNow(...args: unknown[]): boolean {
    return prototypeWrite.apply(this, args);
  }

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const pending = this.pending;
    const callback = (typeof encoding === 'function' ? encoding : cb) as Callback | undefined;
    if (this.state === 'ended') return this.writeNow(...(arguments as unknown as unknown[]));
    if (this.state === 'ending') {
      // As ClientRequest answers a write after end(): the callback, then 'error' unless already destroyed.
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      process.nextTick(() => {
        callback?.(err);
        if (!this.destroyed) this.emit('error', err);
      });
      return false;
    }
    const big = chunk instanceof Uint8Array && chunk.length > this.pieceBytes;
    if (!big && pending.length === 0) return this.writeNow(...(arguments as unknown as unknown[]));
    const idle = pending.length === 0;
    const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    for (let at = 0; at < bytes.length; at += this.pieceBytes) pending.push({ piece: bytes.subarray(at, Math.min(bytes.length, at + this.pieceBytes)), cbs: [] });
    if (callback) pending[pending.length - 1]!.cbs.push(callback);
    // A chunk written while nothing is pending starts at once (a piece, or what the loop's last turn covers); the next turns take the rest.
    if (!idle) return false;
    measureLoopTurn();
    this.starting = true;
    try {
      const ok = pump(this);
      return ok && pending.length === 0;
    } finally {
      this.starting = false;
    }
  }

  override end(...args: unknown[]): this {
    const [chunk] = args;
    const callbacks = args.filter((a) => typeof a === 'function') as Callback[];
    if (this.state === 'ending') {
      // A chunk given to a second end() is a write after end.
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') this.write(chunk, callbacks[0]);
      else this.endCallbacks.push(...callbacks);
      return this;
    }
    const big = chunk instanceof Uint8Array && chunk.length > this.pieceBytes;
    if (this.state === 'ended' || (this.pending.length === 0 && !big)) {
      this.state = 'ended';
      return prototypeEnd.apply(this, args) as this;
    }
    // A chunk given to end() goes after the pending pieces; then the request ends, with every callback given to end().
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') this.write(chunk, typeof args[1] === 'string' ? args[1] : 'utf8');
    this.state = 'ending';
    this.endCallbacks.push(...callbacks);
    if (this.pending.length === 0) finish(this);
    return this;
  }

  /**
   * @internal Writes the next pieces: at least one, then as many as the
   * time paid for at minBytesPerMs covers, the remainder carried to the next
   * turn. A chunk that starts while nothing is pending is paid for by the
   * loop's last measured turn, or by the time since the last pieces if
   * shorter (two chunks in one turn share one turn's bytes). Returns the
   * answer of the last write (false once the request is destroyed).
   */
  static pump(req: PacedClientRequest): boolean {
    const pending = req.pending;
    if (req.destroyed) {
      const dropped = pending.splice(0);
      const err = new Error('the request was destroyed before its body was written');
      for (const { cbs } of dropped) for (const cb of cbs) process.nextTick(cb, err);
      return false;
    }
    const now = performance.now();
    const sinceLast = now - req.lastTurnAt;
    req.lastTurnAt = now;
    req.credit += (req.starting ? Math.min(sinceLast, PacedClientRequest.loopTurnMs) : sinceLast) * req.minBytesPerMs;
    let ok = true;
    try {
      do {
        const next = pending[0]!;
        ok = next.cbs.length === 0 ? req.writeNow(next.piece) : req.writeNow(next.piece, (err?: Error | null) => next.cbs.forEach((f) => f(err)));
        pending.shift();
        req.credit = Math.max(0, req.credit - next.piece.length);
      } while (pending.length > 0 && req.credit >= pending[0]!.piece.length);
      // What is left over does not carry to a later chunk: that would send it in a burst.
      if (pending.length === 0) req.credit = 0;
      if (pending.length > 0) setImmediate(pump, req);
      else if (req.state === 'ending') finish(req);
    } catch (err) {
      const dropped = pending.splice(0);
      for (const { cbs } of dropped) for (const cb of cbs) process.nextTick(cb, err as Error);
      req.destroy(err as Error);
      return false;
    }
    // A false `ok` means the socket itself is full: its own 'drain' follows.
    if (ok && pending.length === 0 && req.state === 'open' && !req.starting) req.emit('drain');
    return ok;
  }

  /** @internal The real end(), once nothing is pending. */
  static finish(req: PacedClientRequest): void {
    req.state = 'ended';
    const cbs = req.endCallbacks;
    if (cbs.length === 0) prototypeEnd.call(req);
    else prototypeEnd.call(req, (err?: Error | null) => cbs.forEach((f) => f(err)));
  }
}

const pump = PacedClientRequest.pump;
const finish = PacedClientRequest.finish;

type RequestFn = (...args: any[]) => ClientRequest;

/**
 * `stock` (node:http's or node:https' `request`) with its requests made
 * PacedClientRequests when the options name their agent, as the stock
 * transport's do: the agent then decides the protocol, so one class serves
 * https too. Without an agent in the options the request is `stock`'s own.
 */
export function pacedRequest(stock: RequestFn, pieceBytes = PIECE_BYTES, minBytesPerMs = MIN_BYTES_PER_MS): RequestFn {
  return (url: string | URL | ClientRequestArgs, options?: ClientRequestArgs | ((res: IncomingMessage) => void), callback?: (res: IncomingMessage) => void) =>
    typeof options === 'object' && options !== null && options.agent ? new PacedClientRequest(url, options, callback, pieceBytes, minBytesPerMs) : stock(url, options, callback);
}
