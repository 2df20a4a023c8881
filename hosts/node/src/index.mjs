// smtpclient for Node.js: the smtpclient WebAssembly component with Node's sockets and a
// DNSSEC-aware stub resolver as its imports.
//
//   import { send, deliver } from 'smtpclient';
//   const report = await send({ server: 'smtp.example.org:587', user, password,
//                               from: 'a@example.org', to: ['b@example.net'], message: 'mail.eml' });
//
// Both resolve with host-example's `--json` report and reject with an SmtpClientError
// (carrying `error` and `report`) when nothing was delivered.

import { Host } from './host.mjs';
import { openSession, submit } from './send.mjs';
import { connectionRequest, mailRequest } from './submission.mjs';
import { deliverAll, deliverRequest } from './deliver.mjs';
import { SmtpClientError } from './errors.mjs';

export { SmtpClientError, MessageFileError, UsageError, ComponentTrap } from './errors.mjs';
export { componentSha256, NotBuiltError } from './component.mjs';
export { stderrLogger } from './imports/log.mjs';
export { EXIT, exitCode } from './report.mjs';

/** Resolves with `report`, or rejects with an SmtpClientError when nothing was delivered:
 * its error is the report's, or the first recipient's refusal. */
function settle(report) {
  if (report.status === 'delivered' || report.status === 'partial') return report;
  const [first] = report.recipients;
  const error = report.error ?? {
    kind: 'status',
    permanent: report.status === 'permanent',
    code: first?.code ?? null,
    enhanced: first?.enhanced ?? null,
    command: 'rcptto',
    lines: first?.lines ?? [],
    message: 'no recipient was accepted',
  };
  throw new SmtpClientError(error, report);
}

/** A host of the component: one I/O worker, one component instance reused by its calls.
 * `options`: `dns` ("IP[:PORT]", a resolver trusted for DNSSEC; default the system's, trusted
 * only on loopback), `dnsTimeoutMs`, `logger` ({enabled(level), transcript(direction, line),
 * log(level, message)}). Close it when done. */
export class Client {
  #host;

  constructor(options = {}) {
    this.#host = new Host(options);
  }

  /** The report of a submission (see `send`), whatever its outcome; rejects only for bad
   * options, an unreadable message or a trap. */
  async sendReport(options) {
    return submit(this.#host, connectionRequest(options), mailRequest(options));
  }

  /** The report of a delivery (see `deliver`), whatever its outcome. */
  async deliverReport(options) {
    return deliverAll(this.#host, deliverRequest(options));
  }

  /** Submits one message: `server` ("HOST[:PORT]", port 587 by default), `tls` (starttls,
   * immediate (465's default), opportunistic, none), `verify` (PKIX, default true), `ca` (PEM
   * texts), `tlsa` (["3 1 1 HEX"]: DANE instead of PKIX), `user`, `password`, `auth`
   * (mechanism names), `clientCertificate` ({chainPem, keyPem}), `ehlo`, `from`, `to`,
   * `message` (a file path, a Buffer, {path} or {bytes}), `eightBitMime`, `smtputf8`,
   * `requireTls`, `normalize` (bare CR/LF to CRLF), `timeout` (seconds, every phase). */
  async send(options) {
    return settle(await this.sendReport(options));
  }

  /** Delivers one message to the MX hosts of its recipients' domains (DANE, MTA-STS): `from`,
   * `to`, `message`, `port` (25), `tlsLevel` (may, encrypt, dane (default), dane-only,
   * verify, secure), `tlsRequiredNo`, `ca`, `ehlo`, `timeout`, `allowPrivateAddresses`,
   * `stsCache` (a directory), `eightBitMime`, `smtputf8`, `requireTls`. */
  async deliver(options) {
    return settle(await this.deliverReport(options));
  }

  /** Opens one session for several messages (the connection options of `send`); rejects
   * with an SmtpClientError when it cannot be opened. */
  async openSession(options) {
    const opened = await openSession(this.#host, connectionRequest(options), []);
    if (opened.report) throw new SmtpClientError(opened.report.error, opened.report);
    return new Submission(opened.session);
  }

  /** Stops the I/O worker. */
  async close() {
    await this.#host.close();
  }
}

/** An open submission session: messages one after another on one connection. */
class Submission {
  #session;

  constructor(session) {
    this.#session = session;
  }

  /** The report of one message (`from`, `to`, `message` and the envelope options of `send`),
   * whatever its outcome. */
  async sendReport(options) {
    return this.#session.transaction(mailRequest(options));
  }

  /** Sends one message; rejects with an SmtpClientError when nothing was delivered. */
  async send(options) {
    return settle(await this.sendReport(options));
  }

  /** QUIT and close the connection. */
  async close() {
    await this.#session.close();
  }
}

/** Runs `f` with a Client of `options`, closed afterwards. */
async function withClient(options, f) {
  const client = new Client(options);
  try {
    return await f(client);
  } finally {
    await client.close();
  }
}

/** Submits one message (see Client.send) with a client of its own. */
export function send(options) {
  return withClient(options, (client) => client.send(options));
}

/** Delivers one message (see Client.deliver) with a client of its own. */
export function deliver(options) {
  return withClient(options, (client) => client.deliver(options));
}
