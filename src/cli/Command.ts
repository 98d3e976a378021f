/** A `wundr-otel` subcommand (its own module: cli.ts imports the subcommands, they import this). */
export interface Command {
  name: string;
  summary: string;
  /** The command's own help (shown by `wundr-otel <command> --help` and after a usage error). */
  usage?: string;
  /** Returns the exit code; throws a UsageError for a bad command line (exit 2). */
  run(args: string[]): Promise<number> | number;
}
