/**
 * The preload: `node --require @wundr/otel/register app.js` or
 * `node --import @wundr/otel/register app.mjs`. The only module of the
 * package that does anything on import. It never throws into the host: on
 * any failure it says plainly that the app is NOT instrumented, and the app
 * runs on.
 */
import { formatWarning, loadConfig } from './config.ts';
import { installShutdownHandlers } from './sdk/shutdown.ts';
import { startSdk, type WundrSdk } from './sdk/start.ts';
import { entryIsEsm, readPackageJson } from './entry.ts';
import { optionalInstrumentationModules } from './sdk/databases.ts';

const HOOKED_MODULES = ['http', 'https', 'node:http', 'node:https'];

/** Resolves when ESM loader hooks (if any) have taken the instrumentations' hook requests. */
export let hooksReady: Promise<void> = Promise.resolve();
export let sdk: WundrSdk | undefined;

/**
 * ESM apps need a loader hook for their `import 'node:http'` to be patched.
 * Node >= 24.11.1 / 22.22.3 has in-thread synchronous hooks, usable from a
 * `--require` preload too; older lines use the off-thread loader, whose
 * hook requests the `--import` entry waits for.
 */
function registerEsmHooks(extraModules: readonly string[]): (() => Promise<void>) | undefined {
  const { supportsSyncHooks } = require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean };
  if (supportsSyncHooks()) {
    const { register } = require('import-in-the-middle/register-hooks.mjs') as {
      register(o: { include: string[] }): void;
    };
    register({ include: [...HOOKED_MODULES, ...extraModules] });
    return undefined;
  }
  const mod = require('node:module') as typeof import('node:module');
  const { createAddHookMessageChannel } = require('import-in-the-middle') as {
    createAddHookMessageChannel(): { registerOptions: object; waitForAllMessagesAcknowledged(): Promise<void> };
  };
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  mod.register('import-in-the-middle/hook.mjs', require('node:url').pathToFileURL(__filename), registerOptions as never);
  return waitForAllMessagesAcknowledged;
}

/** Set by the `--import` entry before it loads this module. */
const ESM_ENTRY = Symbol.for('@wundr/otel.esm-entry');

function main(): void {
  const { config, warnings } = loadConfig(process.env, { stdoutIsTTY: process.stdout.isTTY === true });
  for (const w of warnings) process.stderr.write(`${formatWarning(w)}\n`);
  if (config.disabled) {
    // Typed recorders become no-ops instead of filling cells nobody reads.
    (require('./metrics/families/index.js') as typeof import('./metrics/families/index.ts')).runtime.enabled = false;
    return;
  }

  let waitHooks: (() => Promise<void>) | undefined;
  const esm = (globalThis as Record<symbol, unknown>)[ESM_ENTRY] === true || entryIsEsm(process.argv[1], readPackageJson);
  try {
    if (esm) waitHooks = registerEsmHooks(optionalInstrumentationModules(config.instrumentations));
  } catch (err) {
    process.stderr.write(
      `@wundr/otel: ESM loader hooks could not be registered (${(err as Error).message}); ESM modules are not instrumented\n`,
    );
  }
  sdk = startSdk(config);
  installShutdownHandlers(sdk);
  if (waitHooks) hooksReady = waitHooks().catch(() => undefined);
}

try {
  main();
} catch (err) {
  process.stderr.write(
    `@wundr/otel: the application is NOT instrumented: ${(err as Error)?.stack ?? String(err)}\n`,
  );
}
