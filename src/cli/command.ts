/**
 * A `berth` subcommand. Each lives in `src/cli/commands/<name>.ts` and default-exports one of
 * these; `src/cli/main.ts` finds it by name. Contract: `run` returns the process exit code
 * (0 ok, 1 operation failed, 2 usage error) and prints errors as one clear line; it throws only on
 * programmer errors.
 */
export interface Command {
  readonly name: string;
  /** One line for `berth --help`. */
  readonly summary: string;
  /** Full text for `berth <name> --help`. */
  readonly help: string;
  run(argv: readonly string[]): Promise<number>;
}

/** A user-facing failure: printed as one line without a stack trace. */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}

/** The one positional argument a command takes (`what` names it in the error); not empty. */
export function onePositional(positionals: readonly string[], what: string): string {
  const only = positionals[0];
  if (positionals.length !== 1 || only === undefined || only === '')
    throw new UsageError(`expected exactly one ${what}`);
  return only;
}
