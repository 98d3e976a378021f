#!/usr/bin/env node
/**
 * `wundr-otel`: the package's command line. Subcommands print what the
 * package derives from its catalogue and configuration.
 */
import { PACKAGE_VERSION } from './version.ts';
import { UsageError } from './cli/UsageError.ts';
import { rulesCommand } from './cli/rules.ts';
import { doctorCommand } from './cli/doctor.ts';
import { metricsCommand } from './cli/metrics.ts';
import { dashboardCommand } from './cli/dashboard.ts';
import type { Command } from './cli/Command.ts';

export type { Command } from './cli/Command.ts';

export const commands: Command[] = [rulesCommand, doctorCommand, metricsCommand, dashboardCommand];

export function usage(): string {
  const lines = [
    `wundr-otel ${PACKAGE_VERSION}: OpenTelemetry instrumentation for the wundr orchestrator daemon`,
    '',
    'Usage: wundr-otel <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    `  ${'help'.padEnd(12)} show this help`,
    '',
    'Preload: node --require @wundr/otel/register app.js   (or --import for ESM apps)',
  ];
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${PACKAGE_VERSION}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`wundr-otel: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage ?? usage());
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`wundr-otel ${cmd.name}: ${err.message}\n\n${cmd.usage ?? usage()}`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`wundr-otel: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
