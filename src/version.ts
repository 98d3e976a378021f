import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  try {
    // build/src/version.js -> package.json two levels up.
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export const PACKAGE_NAME = '@wundr/otel';
export const PACKAGE_VERSION: string = readVersion();
