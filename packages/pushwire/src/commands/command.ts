// What a `pushwire` command is, and how it refuses bad input. Owned here (not by cli.ts) so that the commands
// and the dispatcher both import it and neither imports the other.

/** One `pushwire <name>` command, loaded on use by cli.ts. */
export interface Command {
  /** One line for `pushwire --help`. */
  summary: string;
  /** The full help: `pushwire help <name>`, `pushwire <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves with the exit code. Throws UsageError. */
  run(args: string[]): Promise<number>;
}

/**
 * Bad command-line input (an unknown flag, a value out of range): the CLI prints the message with the
 * command's name and a pointer to its help, and exits with status 2 (the shell convention for usage errors).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
