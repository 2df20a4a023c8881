// The errors the API rejects with: one class carrying the structured error of the report
// (kind, permanent, reply, command, message), and subclasses for what the caller did wrong
// or what broke in the host.

/** A failed submission or delivery: nothing was delivered. `error` is the report's error
 * object ({kind, permanent, code, enhanced, command, lines, message}); `report` the whole
 * report when there is one. */
export class SmtpClientError extends Error {
  constructor(error, report = null, options = undefined) {
    super(error.message, options);
    this.name = new.target.name;
    this.error = error;
    this.report = report;
  }

  /** What went wrong (the contract's error kinds, with host-example's JSON names). */
  get kind() {
    return this.error.kind;
  }

  /** True when retrying the same thing later will not help. */
  get permanent() {
    return this.error.permanent;
  }

  /** The server reply that caused it: {code, enhanced, lines}, or null. */
  get reply() {
    const { code, enhanced, lines } = this.error;
    return code === null ? null : { code, enhanced, lines };
  }

  /** The SMTP command whose reply (or its absence) caused it, or null. */
  get command() {
    return this.error.command;
  }
}

/** The message file cannot be read (kind `message`). */
export class MessageFileError extends SmtpClientError {}

/** Invalid options: a malformed server, TLSA record, mechanism or address (kind `usage`). */
export class UsageError extends SmtpClientError {}

/** The component trapped or the host around it failed (kind `internal`); `cause` holds the
 * original error. The instance is discarded. */
export class ComponentTrap extends SmtpClientError {}
