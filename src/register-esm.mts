// `node --import @wundr/otel/register`: the same preload, with the ESM loader
// hooks always on, and a wait for the off-thread loader (older Node lines)
// to acknowledge them, so the app's first `import 'node:http'` is patched.
(globalThis as Record<symbol, unknown>)[Symbol.for('@wundr/otel.esm-entry')] = true;
const preload = (await import('./register.ts')).default as { hooksReady: Promise<void> };
await preload.hooksReady;
