// The batch CLI's exit statuses, and the error that carries one to the entry point.

export const EXIT = {
  ok: 0,
  /** `wait`: the batch ended failed, expired or cancelled; `download`: nothing to download. */
  notCompleted: 1,
  /** The gateway answered with an error, or did not answer. */
  gateway: 2,
  /** sysexits.h EX_USAGE, EX_SOFTWARE, EX_NOINPUT, EX_CANTCREAT. */
  usage: 64,
  noInput: 66,
  bug: 70,
  cantCreate: 73,
} as const;

/** An error the CLI expected: its message is for the user, `exitCode` for the shell. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** What the user sees. */
  override toString(): string {
    return this.message;
  }
}
