import { HandoffError } from "@handoff/core";

/** A command-line mistake (unknown option, missing value, malformed number): one line, exit 2. */
export class UsageError extends HandoffError {
  readonly code = "E_USAGE";
  constructor(
    message: string,
    /** The command whose usage was broken (for the `try 'handoff CMD --help'` hint). */
    readonly command?: string,
  ) {
    super(message);
  }
}
