// The report of one `send` or `deliver`, in the shape host-example prints with `--json`
// (DESIGN.md "The command line"), built from the component's values; the exit code it maps to
// (sysexits); a few lines of text for the terminal.

import { ipDomainText, tlsaText, witToIp } from './convert.mjs';

/** sysexits(3) codes of the command line. */
export const EXIT = Object.freeze({
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  TEMPFAIL: 75,
});

/** The JSON names of error kinds that differ from the contract's. */
const KIND_NAMES = {
  'eightbitmime-unsupported': '8bitmime',
  'smtputf8-unsupported': 'smtputf8',
  'requiretls-unsupported': 'requiretls',
};

/** The JSON names of commands that differ from the contract's. */
const COMMAND_NAMES = { 'mail-from': 'mailfrom', 'rcpt-to': 'rcptto' };

export const kindName = (kind) => KIND_NAMES[kind] ?? kind;
export const commandName = (command) => (command == null ? null : COMMAND_NAMES[command] ?? command);

/** The report's form of an `smtp-error`. */
export function errorReport(error) {
  return {
    kind: kindName(error.kind),
    permanent: error.permanent,
    code: error.reply?.code ?? null,
    enhanced: error.reply?.enhanced ?? null,
    command: commandName(error.command),
    lines: error.reply?.lines ?? [],
    message: error.message,
  };
}

/** An error that no server reply caused. */
export function hostError(kind, permanent, message) {
  return { kind, permanent, code: null, enhanced: null, command: null, lines: [], message };
}

/** The report's form of a `recipient-result` (client.deliver). */
export function recipientResult(result) {
  const status = result.accepted ? 'delivered' : result.permanent ? 'permanent' : 'temporary';
  return recipient(result.address, status, result.reply);
}

/** One recipient with the reply that decided it. */
export function recipient(address, status, reply) {
  return {
    address,
    status,
    code: reply?.code ?? null,
    enhanced: reply?.enhanced ?? null,
    lines: reply?.lines ?? [],
  };
}

/** The report's form of a `tls-state`. */
export function tlsReport(state) {
  if (!state) return null;
  return {
    version: state.version,
    cipher: state.cipherSuite,
    dane_verified_record: state.daneVerifiedRecord ? tlsaText(state.daneVerifiedRecord) : null,
    pkix_valid: state.pkixValid,
  };
}

/** The report's form of an `event` (wit/README.md shows them). */
export function eventReport(event) {
  const us = (duration) => Number(duration);
  switch (event.tag) {
    case 'command':
      return {
        command: {
          command: commandName(event.val.command),
          code: event.val.code ?? null,
          duration_us: us(event.val.duration),
        },
      };
    case 'dial': {
      const { host, address, port, outcome, duration } = event.val;
      return {
        dial: {
          host: ipDomainText(host),
          address: witToIp(address),
          port,
          outcome: outcome.tag === 'connected' ? 'connected' : { [outcome.tag]: outcome.val },
          duration_us: us(duration),
        },
      };
    }
    default:
      return { [event.tag]: { host: event.val.host, reason: event.val.reason } };
  }
}

/** The overall status from the recipients: delivered when all were accepted, partial when
 * some were, else temporary when any failure was temporary, else permanent. */
export function statusOf(recipients) {
  const delivered = recipients.filter((r) => r.status === 'delivered').length;
  if (delivered > 0 && delivered === recipients.length) return 'delivered';
  if (delivered > 0) return 'partial';
  return recipients.some((r) => r.status === 'temporary') ? 'temporary' : 'permanent';
}

/** An empty report for `status`. */
export function emptyReport(status) {
  return {
    status,
    recipients: [],
    error: null,
    server: null,
    tls: null,
    tlsrpt: [],
    attempts: [],
    events: [],
  };
}

/** A report in which every recipient shares the fate of `error`. */
export function failedReport(to, error) {
  const status = error.permanent ? 'permanent' : 'temporary';
  return {
    ...emptyReport(status),
    recipients: to.map((address) => ({
      address,
      status,
      code: error.code,
      enhanced: error.enhanced,
      lines: error.lines,
    })),
    error,
  };
}

/** The exit code: 65 when the message data was refused; 0 all delivered; 75 when anything
 * failed temporarily; else 69. */
export function exitCode(report) {
  if (report.error?.kind === 'message') return EXIT.DATAERR;
  if (report.status === 'delivered') return EXIT.OK;
  const temporary = report.recipients.some((r) => r.status === 'temporary')
    || (report.recipients.length === 0 && report.status === 'temporary');
  return temporary ? EXIT.TEMPFAIL : EXIT.UNAVAILABLE;
}

const STATUS_WORDS = {
  delivered: 'delivered to',
  partial: 'partially delivered to',
  temporary: 'temporary failure for',
  permanent: 'permanent failure for',
};

/** A few lines for the terminal: each recipient with its reply as the server sent it. */
export function reportText(report) {
  let text = '';
  for (const r of report.recipients) {
    const reply = r.lines.length > 0 ? `: ${r.lines.join(' / ')}` : r.code ? `: ${r.code}` : '';
    text += `${STATUS_WORDS[r.status]} ${r.address}${reply}\n`;
  }
  if (report.error) text += `error: ${report.error.message}\n`;
  return text;
}

/** The report as JSON text (BigInt values as numbers). */
export function reportJson(report) {
  return JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? Number(v) : v), 2);
}
