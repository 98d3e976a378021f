/**
 * Request bodies written in pieces (src/sdk/encoder/pacedRequest.ts): against
 * a real node:http server, and through the OTLP/HTTP exporter of encoded
 * requests to the real OTLP receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { BoundedExporter } from '../../../src/sdk/BoundedExporter.ts';
import { TelemetryDrops } from '../../../src/sdk/TelemetryDrops.ts';
import { MIN_BYTES_PER_MS, PIECE_BYTES, PacedClientRequest, pacedRequest } from '../../../src/sdk/encoder/pacedRequest.ts';
import { SpanEncodingProcessor } from '../../../src/sdk/encoder/SpanEncodingProcessor.ts';
import { encodedOtlpExporter } from '../../../src/sdk/otlp.ts';
import { startOtlpReceiver } from '../../support/otlpReceiver.ts';

/** A server that keeps each request's body. */
async function bodyServer(): Promise<{ port: number; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  // closeAllConnections: a request left hanging by a failure must not hold the test file open.
  return {
    port,
    bodies,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Counts turns of the event loop (one setImmediate per turn) until stopped. */
function turnCounter(): { now(): number; stop(): void } {
  let turn = 0;
  let on = true;
  const tick = (): void => {
    turn++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (on = false) };
}

/** Runs `fn` with a body server and a turn counter, and closes both whatever happens. */
async function withServer(fn: (srv: Awaited<ReturnType<typeof bodyServer>>, turns: ReturnType<typeof turnCounter>) => Promise<void>): Promise<void> {
  const srv = await bodyServer();
  const turns = turnCounter();
  try {
    await fn(srv, turns);
  } finally {
    turns.stop();
    await srv.close();
  }
}

/** A paced request whose writes to ClientRequest itself are recorded (length, turn). */
class RecordedRequest extends PacedClientRequest {
  readonly writes: { bytes: number; turn: number; cb: boolean }[] = [];
  turns: { now(): number } | undefined;
  protected override writeNow(...args: unknown[]): boolean {
    const chunk = args[0] as string | Uint8Array;
    this.writes.push({ bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length, turn: this.turns?.now() ?? 0, cb: args.some((a) => typeof a === 'function') });
    return super.writeNow(...args);
  }
}

/** Pieces of `pieceBytes`, one a turn however long the turns (`minBytesPerMs` 0) unless a test says otherwise. */
function recordedRequest(port: number, turns: { now(): number }, pieceBytes = PIECE_BYTES, minBytesPerMs = 0) {
  const req = new RecordedRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: new http.Agent({ keepAlive: false }) }, undefined, undefined, pieceBytes, minBytesPerMs);
  req.turns = turns;
  return { req, writes: req.writes };
}

const answered = (req: http.ClientRequest) =>
  new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });

test('a body piped in one chunk (as the stock transport sends it) goes in pieces, one per turn, and arrives whole', () =>
  withServer(async (srv, turns) => {
    const body = Buffer.alloc(200_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 9)) & 0xff;
    const { req, writes } = recordedRequest(srv.port, turns);
    const status = answered(req);
    const src = new Readable();
    src.push(body);
    src.push(null);
    src.pipe(req);
    assert.equal(await status, 200);
    assert.equal(srv.bodies.length, 1);
    assert.ok(srv.bodies[0]!.equals(body), 'the body arrives byte for byte');
    assert.equal(writes.length, Math.ceil(body.length / PIECE_BYTES));
    assert.ok(writes.every((w) => w.bytes <= PIECE_BYTES), `pieces of at most ${PIECE_BYTES} bytes: ${writes.map((w) => w.bytes)}`);
    assert.equal(new Set(writes.map((w) => w.turn)).size, writes.length, `one piece per turn: ${writes.map((w) => w.turn)}`);
  }));

test('a turn longer than a piece takes at MIN_BYTES_PER_MS writes more pieces: the body keeps up with a busy loop', () =>
  withServer(async (srv, turns) => {
    const body = Buffer.alloc(200_000, 7);
    const { req, writes } = recordedRequest(srv.port, turns, PIECE_BYTES, MIN_BYTES_PER_MS);
    const status = answered(req);
    PacedClientRequest.loopTurnMs = 0;
    req.end(body);
    assert.equal(writes.length, 1, 'the first piece at once');
    // A turn of 4 ms, as when a turn answers many requests: 4 ms at 64 KiB/ms covers the rest.
    for (const until = performance.now() + 4; performance.now() < until; );
    assert.equal(await status, 200);
    assert.ok(srv.bodies[0]!.equals(body), 'the body arrives byte for byte');
    assert.equal(writes.length, Math.ceil(body.length / PIECE_BYTES));
    assert.ok(writes.every((w) => w.bytes <= PIECE_BYTES));
    assert.equal(new Set(writes.slice(1).map((w) => w.turn)).size, 1, `the rest in the next turn: ${writes.map((w) => w.turn)}`);
    assert.notEqual(writes[1]!.turn, writes[0]!.turn);
  }));

test("a body's first write covers the loop's last measured turn: after long turns the body goes in one turn", () =>
  withServer(async (srv, turns) => {
    const body = Buffer.alloc(200_000, 9);
    PacedClientRequest.loopTurnMs = 0;
    const first = recordedRequest(srv.port, turns, PIECE_BYTES, MIN_BYTES_PER_MS);
    const firstStatus = answered(first.req);
    first.req.end(body);
    // The measurement runs from this check phase to the next: make that turn take 4 ms.
    setImmediate(() => {
      for (const until = performance.now() + 4; performance.now() < until; );
    });
    assert.equal(await firstStatus, 200);
    assert.ok(PacedClientRequest.loopTurnMs >= 4, `measured ${PacedClientRequest.loopTurnMs} ms`);
    const second = recordedRequest(srv.port, turns, PIECE_BYTES, MIN_BYTES_PER_MS);
    const secondStatus = answered(second.req);
    second.req.end(body);
    assert.equal(second.writes.length, Math.ceil(body.length / PIECE_BYTES), 'every piece at once');
    assert.equal(await secondStatus, 200);
    assert.ok(srv.bodies[1]!.equals(body));
  }));

test('writes and end() keep their order behind pending pieces; callbacks come after their bytes are written', () =>
  withServer(async (srv, turns) => {
    const { req, writes } = recordedRequest(srv.port, turns, 1000);
    const status = answered(req);
    const order: string[] = [];
    assert.equal(req.write(Buffer.alloc(3500, 'a'), () => order.push('big')), false, 'false while pieces are pending');
    req.write('bb', 'latin1', () => order.push('small'));
    req.end('cc', () => order.push('end'));
    assert.equal(await status, 200);
    assert.equal(srv.bodies[0]!.toString(), 'a'.repeat(3500) + 'bbcc');
    assert.deepEqual(writes.map((w) => w.bytes), [1000, 1000, 1000, 500, 2, 2]);
    assert.deepEqual(order, ['big', 'small', 'end']);
  }));

test('small writes go straight through; a destroyed request drops its pending pieces and calls their callbacks with an error', () =>
  withServer(async (srv, turns) => {
    const a = recordedRequest(srv.port, turns, 1000);
    const status = answered(a.req);
    assert.equal(a.req.write('x'.repeat(1000)), true, 'the underlying answer for a write that fits a piece');
    a.req.end();
    assert.equal(await status, 200);
    assert.deepEqual(a.writes.map((w) => w.bytes), [1000]);

    const b = recordedRequest(srv.port, turns, 1000);
    b.req.on('error', () => {});
    const dropped = new Promise<Error | null | undefined>((resolve) => b.req.write(Buffer.alloc(5000), resolve));
    b.req.destroy();
    const err = await dropped;
    assert.ok(err instanceof Error, 'the pending write reports an error');
    await new Promise((r) => setImmediate(r));
    assert.equal(b.writes.length, 1, 'nothing written after the destroy');
  }));

test('a request destroyed after end(), its pieces pending (the transport\'s timeout), writes nothing more; the pending write learns why', () =>
  withServer(async (srv, turns) => {
    const { req, writes } = recordedRequest(srv.port, turns, 1000);
    req.on('error', () => {});
    const writeCb = new Promise<Error | null | undefined>((resolve) => req.write(Buffer.alloc(5000), resolve));
    let endCalled = false;
    req.end(() => (endCalled = true));
    req.destroy();
    assert.ok((await writeCb) instanceof Error);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 1, 'only the piece written before the destroy');
    assert.equal(endCalled, false, "end's callback: the request never finished");
  }));

/** Resolves with `p`, or rejects after `ms` (a pipe that never drains must fail the test, not hang it). */
const within = <T,>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);

test('a pipe of several large chunks goes on after each one: \'drain\' follows the last piece', () =>
  withServer(async (srv, turns) => {
    const { req, writes } = recordedRequest(srv.port, turns, 1000);
    const status = answered(req);
    const parts = [Buffer.alloc(2500, 'a'), Buffer.alloc(3000, 'b'), Buffer.from('tail')];
    Readable.from(parts).pipe(req);
    assert.equal(await within(status, 5000, 'the piped request'), 200);
    assert.equal(srv.bodies[0]!.toString(), 'a'.repeat(2500) + 'b'.repeat(3000) + 'tail');
    assert.deepEqual(writes.map((w) => w.bytes), [1000, 1000, 500, 1000, 1000, 1000, 4]);

    const second = recordedRequest(srv.port, turns, 1000);
    const answered2 = answered(second.req);
    assert.equal(second.req.write(Buffer.alloc(2000, 'c')), false);
    await within(new Promise((r) => second.req.once('drain', r)), 5000, "'drain' after write()");
    second.req.end();
    assert.equal(await answered2, 200);
    assert.equal(srv.bodies[1]!.toString(), 'c'.repeat(2000));
  }));

test("with the rate on, a chunk written whole at once answers from write() itself: no 'drain' inside write(), and a pipe goes on", () =>
  withServer(async (srv, turns) => {
    PacedClientRequest.loopTurnMs = 1;
    const { req, writes } = recordedRequest(srv.port, turns, PIECE_BYTES, MIN_BYTES_PER_MS);
    const status = answered(req);
    let inWrite = false;
    let drainsInWrite = 0;
    req.on('drain', () => inWrite && drainsInWrite++);
    const write = req.write;
    req.write = function (this: typeof req, ...args: unknown[]) {
      inWrite = true;
      try {
        return (write as (...a: unknown[]) => boolean).apply(this, args);
      } finally {
        inWrite = false;
      }
    } as typeof req.write;
    const parts = [Buffer.alloc(40_000, 'a'), Buffer.alloc(40_000, 'b'), Buffer.alloc(40_000, 'c')];
    Readable.from(parts).pipe(req);
    assert.equal(await within(status, 5000, 'the piped request'), 200);
    assert.ok(srv.bodies[0]!.equals(Buffer.concat(parts)));
    assert.equal(drainsInWrite, 0, "'drain' never comes from inside write()");
    assert.equal(writes.length, 9, 'three pieces a chunk');
    assert.equal(writes[0]!.turn, writes[2]!.turn, 'the first chunk in one turn: the last turn measured covers it');
  }));

test('several pieces in one turn: each callback after its own bytes, in order', () =>
  withServer(async (srv, turns) => {
    PacedClientRequest.loopTurnMs = 1;
    const { req, writes } = recordedRequest(srv.port, turns, 1000, MIN_BYTES_PER_MS);
    const status = answered(req);
    const order: string[] = [];
    req.write(Buffer.alloc(2500, 'x'), () => order.push('first'));
    req.write(Buffer.alloc(1500, 'y'), () => order.push('second'));
    req.end(() => order.push('end'));
    assert.equal(await status, 200);
    assert.equal(srv.bodies[0]!.toString(), 'x'.repeat(2500) + 'y'.repeat(1500));
    assert.equal(writes[0]!.turn, writes[2]!.turn, 'the first chunk in one turn');
    assert.deepEqual(writes.map((w) => [w.bytes, w.cb]), [[1000, false], [1000, false], [500, true], [1000, false], [500, true]], "each callback on its chunk's last piece");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['first', 'second', 'end']);
  }));

test("a second chunk started right after the first shares the measured turn's bytes instead of getting them again", () =>
  withServer(async (srv, turns) => {
    PacedClientRequest.loopTurnMs = 100;
    const { req, writes } = recordedRequest(srv.port, turns, PIECE_BYTES, MIN_BYTES_PER_MS);
    const status = answered(req);
    const first = Buffer.alloc(200_000, 'p');
    const second = Buffer.alloc(2_000_000, 'q');
    req.write(first);
    const firstPieces = Math.ceil(first.length / PIECE_BYTES);
    assert.equal(writes.length, firstPieces, 'the first chunk at once: 100 ms of turn pays for it');
    req.write(second);
    // A fresh 100 ms would pay for all of it; the few µs since the first chunk pay for a piece or a few.
    assert.ok(writes.length - firstPieces < Math.ceil(second.length / PIECE_BYTES) / 2, `${writes.length - firstPieces} pieces of the second chunk at once`);
    req.end();
    assert.equal(await within(status, 10_000, 'the request'), 200);
    assert.ok(srv.bodies[0]!.equals(Buffer.concat([first, second])));
  }));

test('end() with a large chunk and nothing pending writes it in pieces; a second end() adds its callback; a write after end() is an error', () =>
  withServer(async (srv, turns) => {
    const { req, writes } = recordedRequest(srv.port, turns, 1000);
    // Not answered(): the write after end() emits 'error' on the request, as ClientRequest's does.
    const status = new Promise<number>((resolve) => req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))));
    const ended: string[] = [];
    req.end(Buffer.alloc(2200, 'z'), () => ended.push('first'));
    req.end(() => ended.push('second'));
    const secondChunk = new Promise<Error | null | undefined>((resolve) => req.end('zz', resolve));
    const errors: NodeJS.ErrnoException[] = [];
    req.on('error', (e) => errors.push(e));
    const cbErr = new Promise<Error | null | undefined>((resolve) => req.write('late', resolve));
    assert.equal(((await cbErr) as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.equal(((await secondChunk) as NodeJS.ErrnoException).code, 'ERR_STREAM_WRITE_AFTER_END', 'a chunk given to a second end() is a write after end');
    assert.deepEqual(errors.map((e) => e.code), ['ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_WRITE_AFTER_END'], "each emitted as 'error' too");
    assert.equal(await status, 200);
    assert.equal(srv.bodies[0]!.toString(), 'z'.repeat(2200));
    assert.deepEqual(writes.map((w) => w.bytes), [1000, 1000, 200]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ended, ['first', 'second']);
  }));

class Failing extends PacedClientRequest {
  calls = 0;
  protected override writeNow(...args: unknown[]): boolean {
    if (++this.calls === 2) throw new Error('boom');
    return super.writeNow(...args);
  }
}

for (const [when, rate, turnMs] of [
  ['in a later turn', 0, 0],
  ['in the first write, with other pieces of the same turn', MIN_BYTES_PER_MS, 1],
] as const)
test(`a piece that throws (${when}) destroys the request with the error; nothing reaches the event loop`, async () => {
  const srv = await bodyServer();
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    PacedClientRequest.loopTurnMs = turnMs;
    const req = new Failing({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/', agent: new http.Agent() }, undefined, undefined, 1000, rate);
    const failed = new Promise<Error>((resolve) => req.once('error', resolve));
    const writeCb = new Promise<Error | null | undefined>((resolve) => req.write(Buffer.alloc(3000), resolve));
    req.end();
    assert.equal((await within(failed, 5000, 'the error')).message, 'boom');
    assert.equal(((await within(writeCb, 5000, 'the write callback')) as Error).message, 'boom', 'the pending write learns why');
    assert.equal(req.destroyed, true);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(req.calls, 2, 'no piece after the one that threw');
    assert.deepEqual(uncaught, []);
  } finally {
    process.off('uncaughtException', onUncaught);
    await srv.close();
  }
});

test('the constructor takes (url, callback) as node:http\'s request does', async () => {
  const srv = await bodyServer();
  try {
    const got = await within(
      new Promise<number>((resolve) => {
        const req = new PacedClientRequest(`http://127.0.0.1:${srv.port}/`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.end();
      }),
      5000,
      'the response',
    );
    assert.equal(got, 200);
  } finally {
    await srv.close();
  }
});

test('pacedRequest: with an agent in the options the request is paced (an https agent is accepted too; no TLS round trip here); without one it is the stock function\'s', async () => {
  const srv = await bodyServer();
  try {
    let stockCalls = 0;
    const stock = (...args: any[]) => {
      stockCalls++;
      return (http.request as any)(...args) as http.ClientRequest;
    };
    const request = pacedRequest(stock, 4096, 0);
    const agent = new http.Agent({ keepAlive: true });
    let answered200 = 0;
    const req = request(new URL(`http://127.0.0.1:${srv.port}/`), { method: 'POST', agent }, (res: http.IncomingMessage) => {
      res.resume();
      if (res.statusCode === 200) answered200++;
    });
    assert.ok(req instanceof PacedClientRequest);
    assert.equal(stockCalls, 0);
    const done = new Promise((r) => req.on('response', (res) => res.on('end', r)));
    assert.equal(req.write(Buffer.alloc(10_000, 1)), false);
    req.end();
    await done;
    assert.equal(answered200, 1, 'the callback given to request() gets the response');
    assert.equal(srv.bodies[0]!.length, 10_000);
    agent.destroy();

    const plain = request(new URL(`http://127.0.0.1:${srv.port}/`), { method: 'POST' });
    assert.equal(plain instanceof PacedClientRequest, false);
    assert.equal(stockCalls, 1);
    plain.on('error', () => {});
    plain.destroy();

    // The agent decides the protocol: an https agent is accepted for an https URL (no connection is made).
    const https = require('node:https') as typeof import('node:https');
    const tls = request(new URL('https://127.0.0.1:9/'), { method: 'POST', agent: new https.Agent() });
    assert.ok(tls instanceof PacedClientRequest);
    tls.on('error', () => {});
    tls.destroy();
  } finally {
    await srv.close();
  }
});

for (const compression of ['none', 'gzip'] as const) {
  // With gzip, zlib's own chunks (at most 16 KiB) reach the request and go through unchanged: this checks that path, not the pacing.
  test(`the OTLP/HTTP exporter of encoded requests writes a large request in pieces of at most ${PIECE_BYTES} bytes (compression ${compression}), and the receiver decodes every span`, async () => {
    const rx = await startOtlpReceiver();
    const proto = PacedClientRequest.prototype as any;
    const writeNow = proto.writeNow;
    const sizes: number[] = [];
    // Every byte of a paced body reaches ClientRequest through writeNow.
    proto.writeNow = function (this: http.ClientRequest, chunk: any, ...rest: any[]) {
      if (this.path === '/v1/traces') sizes.push(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
      return writeNow.call(this, chunk, ...rest);
    };
    try {
      const drops = new TelemetryDrops();
      const inner = encodedOtlpExporter('traces', { url: `${rx.url}/v1/traces`, headers: {}, timeoutMs: 5000, protocol: 'http/protobuf', compression });
      const exporter = new BoundedExporter(inner, { signal: 'traces', drops, countItems: (b) => b.reduce((n, x) => n + x.count, 0) });
      const processor = new SpanEncodingProcessor({ exporter, drops, maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 60_000, exportTimeoutMillis: 5000 });
      const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'paced' }), sampler: new AlwaysOnSampler(), spanProcessors: [processor] });
      const tracer = provider.getTracer('t');
      // Random hex per span: a body gzip cannot shrink below a few pieces.
      for (let i = 0; i < 512; i++) tracer.startSpan(`s-${i}`, { attributes: { i, 'url.path': `/agents/${i}/sessions`, note: require('node:crypto').randomBytes(100).toString('hex') } }).end();
      await provider.forceFlush();
      await rx.waitFor(() => rx.spans().length === 512, 5000, '512 spans');
      const req = rx.requests().find((r) => r.signal === 'traces')!;
      assert.equal(req.headers['content-encoding'], compression === 'gzip' ? 'gzip' : undefined);
      const bytes = rx.requests().filter((r) => r.signal === 'traces').reduce((n, r) => n + r.bytes, 0);
      assert.ok(bytes > 4 * PIECE_BYTES, `a request of ${bytes} bytes`);
      const written = sizes.reduce((a, b) => a + b, 0);
      if (compression === 'none') assert.equal(written, bytes, 'every byte of the body went through the paced writes');
      // The receiver counts the bytes it decoded; gzip's are fewer, in zlib's chunks.
      assert.ok(sizes.length >= Math.ceil(written / PIECE_BYTES) && sizes.length >= 4, `${written} bytes written in ${sizes.length} writes`);
      assert.ok(Math.max(...sizes) <= PIECE_BYTES, `no write above ${PIECE_BYTES} bytes: ${Math.max(...sizes)}`);
      assert.deepEqual(new Set(rx.spans().map((s) => s.name)).size, 512);
      assert.deepEqual(drops.snapshot(), []);
      await provider.shutdown();
    } finally {
      proto.writeNow = writeNow;
      await rx.close();
    }
  });
}
