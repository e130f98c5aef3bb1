/** A subcommand of the `continuum` CLI (registered in cli.ts with a one-line summary). */
export interface Command {
  /** Runs the command with its own arguments; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
