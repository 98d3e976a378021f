/**
 * Export request bodies written in pieces, one piece per turn of the event
 * loop.
 *
 * Why: a request of 512 spans is about 200 KB, and the stock transport
 * hands it to the socket in one write. On a host where the collector shares
 * cores with the application, the requests slower than the p99 cluster
 * right after an export begins (docs/PERFORMANCE.md has the timeline). In
 * 16 KiB pieces the collector reads as the body comes: in a 6-round A/B
 * the preloaded server's p99 was 0.92 ms against 1.32 written whole.
 *
 * The pacing lives in a subclass's prototype methods, with its state in
 * fields, not in closures set on each request. With closures over the
 * request set as its `write` and `end`, each request survived the young
 * collections: survivors went from about 9 KB to 70-150 KB per scavenge
 * and RSS after load rose by 40 MiB (a bound function or a prototype
 * method did not do it). The likely reason: the call sites that call
 * `write` and `end` keep the function last called in their feedback, and
 * the scavenger holds what that function's closure holds.
 */
import { ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';

/** Bytes per piece: the size of zlib's output chunks, so a gzip body comes in pieces of this size too. */
export const PIECE_BYTES = 16 * 1024;

type Callback = (err?: Error | null) => void;
type Piece = { piece: Uint8Array; cbs: Callback[] };

const prototypeWrite = ClientRequest.prototype.write as (this: ClientRequest, ...a: unknown[]) => boolean;
const prototypeEnd = ClientRequest.prototype.end as (this: ClientRequest, ...a: unknown[]) => ClientRequest;

/**
 * A ClientRequest that writes every chunk larger than its piece size in
 * pieces, the first one at once and each next one at the following turn of
 * the event loop (setImmediate). Writes keep their order: while pieces are
 * pending, later writes and `end()` wait behind them. `write` returns false
 * while pieces are pending and 'drain' follows once they are written, so a
 * pipe() into the request (the stock transport's) waits as it would for the
 * socket. A destroyed request (timeout, error) drops what is pending and
 * calls the pending writes' callbacks with an error.
 */
export class PacedClientRequest extends ClientRequest {
  readonly pieceBytes: number;
  private readonly pending: Piece[] = [];
  private endArgs: unknown[] | undefined;

  constructor(url: string | URL | ClientRequestArgs, options?: ClientRequestArgs | ((res: IncomingMessage) => void), callback?: (res: IncomingMessage) => void, pieceBytes = PIECE_BYTES) {
    if (typeof options === 'function') [options, callback] = [undefined, options];
    // node:http's request(url, options, callback), as ClientRequest takes it (its typings know two of the three).
    super(...([url, options] as unknown as [string]));
    if (callback) this.once('response', callback);
    this.pieceBytes = pieceBytes;
  }

  /** The write of ClientRequest itself: every byte of the body goes out through here. */
  protected writeNow(...args: unknown[]): boolean {
    return prototypeWrite.apply(this, args);
  }

  override write(chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    const pending = this.pending;
    const big = chunk instanceof Uint8Array && chunk.length > this.pieceBytes;
    if (!big && pending.length === 0) return this.writeNow(...(arguments as unknown as unknown[]));
    const idle = pending.length === 0;
    const callback = (typeof encoding === 'function' ? encoding : cb) as Callback | undefined;
    const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    for (let at = 0; at < bytes.length; at += this.pieceBytes) pending.push({ piece: bytes.subarray(at, Math.min(bytes.length, at + this.pieceBytes)), cbs: [] });
    if (callback) pending[pending.length - 1]!.cbs.push(callback);
    // The first piece of a chunk written while nothing is pending goes at once; the next turns take the rest.
    if (idle) pump(this);
    return false;
  }

  override end(...args: unknown[]): this {
    if (this.pending.length === 0) return prototypeEnd.apply(this, args) as this;
    // A chunk given to end() goes after the pending pieces; then the request ends (with end's callback).
    if (args[0] !== undefined && typeof args[0] !== 'function') this.write(args[0], typeof args[1] === 'string' ? args[1] : 'utf8');
    const callback = args.find((a) => typeof a === 'function');
    this.endArgs = callback === undefined ? [] : [callback];
    return this;
  }

  /** @internal */
  static pump(req: PacedClientRequest): void {
    const pending = req.pending;
    if (req.destroyed) {
      const dropped = pending.splice(0);
      const err = new Error('the request was destroyed before its body was written');
      for (const { cbs } of dropped) for (const cb of cbs) process.nextTick(cb, err);
      return;
    }
    const { piece, cbs } = pending.shift()!;
    const ok = cbs.length === 0 ? req.writeNow(piece) : req.writeNow(piece, (err?: Error | null) => cbs.forEach((f) => f(err)));
    if (pending.length > 0) setImmediate(pump, req);
    else if (req.endArgs !== undefined) prototypeEnd.apply(req, req.endArgs);
    // A false `ok` means the socket itself is full: its own 'drain' follows.
    else if (ok) req.emit('drain');
  }
}

const pump = PacedClientRequest.pump;

type RequestFn = (...args: any[]) => ClientRequest;

/**
 * `stock` (node:http's or node:https' `request`) with its requests made
 * PacedClientRequests when the options name their agent, as the stock
 * transport's do: the agent then decides the protocol, so one class serves
 * https too. Without an agent in the options the request is `stock`'s own.
 */
export function pacedRequest(stock: RequestFn, pieceBytes = PIECE_BYTES): RequestFn {
  return (url: string | URL | ClientRequestArgs, options?: ClientRequestArgs | ((res: IncomingMessage) => void), callback?: (res: IncomingMessage) => void) =>
    typeof options === 'object' && options !== null && options.agent ? new PacedClientRequest(url, options, callback, pieceBytes) : stock(url, options, callback);
}
