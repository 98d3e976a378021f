/**
 * Preloaded before the variant's preload by bench/threads.ts: the first
 * subscriber to the two HTTP server channels notes the time, so
 * bench/requestProbe.ts (preloaded after it) can tell how long the
 * subscribers in between, the preload's, took.
 */
import * as dc from 'node:diagnostics_channel';

const mark = ((globalThis as { __wundrBenchMark?: { t: bigint } }).__wundrBenchMark = { t: 0n });
const note = (): void => {
  mark.t = process.hrtime.bigint();
};
dc.subscribe('http.server.request.start', note);
dc.subscribe('http.server.response.finish', note);
