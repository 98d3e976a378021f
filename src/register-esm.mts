// `node --import @wundr/otel/register`: the same preload, plus a wait for the
// off-thread ESM loader (older Node lines) to acknowledge the hooks, so the
// app's first `import 'node:http'` is already patched.
import preload from './register.ts';

await preload.hooksReady;
