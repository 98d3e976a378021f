import type { Command } from './Command.ts';
import { parseCommandArgs } from './UsageError.ts';

export const metricsCommand: Command = {
  name: 'metrics',
  summary: 'print the metric catalogue as a markdown table',
  usage: 'Usage: wundr-otel metrics\n\nPrints every metric of the catalogue (name, type, labels, buckets, help) as markdown.\n',
  run(args) {
    parseCommandArgs(args, {});
    const { catalogueMarkdown } = require('../metrics/catalogueMarkdown') as typeof import('../metrics/catalogueMarkdown.ts');
    process.stdout.write(catalogueMarkdown());
    return 0;
  },
};
