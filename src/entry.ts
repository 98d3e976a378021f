import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Whether the app's own modules go through the ESM loader. The loader hooks
 * see every module load, CommonJS included, so they are installed only when
 * needed: for `--import`, or a `--require` whose entry is an ES module. An
 * eval (`-e`/`-p`), the REPL and stdin have no entry file and get none (the
 * in-thread hooks also break Node's eval of builtin `module` there).
 */
export function entryIsEsm(entry: string | undefined, readPkg: (dir: string) => string | undefined): boolean {
  if (!entry) return false;
  if (/\.(mjs|mts)$/.test(entry)) return true;
  if (/\.(cjs|cts|json|node)$/.test(entry)) return false;
  let dir = dirname(resolve(entry));
  for (;;) {
    const pkg = readPkg(dir);
    if (pkg !== undefined) {
      try {
        return (JSON.parse(pkg) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

export function readPackageJson(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
}

