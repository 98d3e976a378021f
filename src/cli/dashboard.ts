import type { Command } from './Command.ts';
import { parseCommandArgs } from './UsageError.ts';

export const dashboardCommand: Command = {
  name: 'dashboard',
  summary: 'print the Grafana dashboard (JSON model, Grafana 10+)',
  usage:
    'Usage: wundr-otel dashboard\n\nPrints the Grafana dashboard of the wundr orchestrator daemon, generated from the metric catalogue\n(the same JSON as deploy/grafana/dashboards/wundr.json).\n',
  run(args) {
    parseCommandArgs(args, {});
    // Loaded on demand: the Grafana builder is only needed here.
    const { dashboardJson } = require('../dashboard/wundrDashboard') as typeof import('../dashboard/wundrDashboard.ts');
    process.stdout.write(dashboardJson());
    return 0;
  },
};
