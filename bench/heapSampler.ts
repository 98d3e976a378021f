/**
 * Preloaded into the server by bench/gc.ts --promoted: SIGUSR2 starts V8's
 * sampling heap profiler counting only the objects that survived a young
 * collection and died in a full one (promoted garbage: what grows the old
 * generation and makes young collections copy); the second SIGUSR2 writes
 * the profile to the file named by WUNDR_BENCH_HEAP_SAMPLES.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.WUNDR_BENCH_HEAP_SAMPLES;
if (file) {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false }),
      );
      return;
    }
    session.post('HeapProfiler.stopSampling', (err, r) => {
      writeFileSync(file, err ? JSON.stringify({ error: err.message }) : JSON.stringify((r as { profile: unknown }).profile));
    });
  });
}
