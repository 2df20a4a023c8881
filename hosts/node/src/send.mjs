// `send`: submit one message to one server through the component's `client` interface
// (open-session, deliver, close), the host dialing the server itself.

import net from 'node:net';
import { ipToWit, witToIp } from './convert.mjs';
import { dispose } from './imports/result.mjs';
import {
  errorReport, eventReport, failedReport, hostError, recipientResult, statusOf, tlsReport,
} from './report.mjs';
import { tlsrptJson } from './tlsrpt.mjs';

/** The server's addresses: an IP address as given, else the host's resolver's answer. */
async function addresses(host, name) {
  if (net.isIP(name)) return { ok: [name] };
  const answer = await host.resolver.lookupIp(`${name.replace(/\.$/, '')}.`, 'any');
  if (answer.tag === 'ok') return { ok: answer.val.addresses.map(witToIp) };
  const failure = answer.val;
  const message = failure.tag === 'not-found' ? `${name} has no addresses`
    : failure.tag === 'temporary' ? `looking up ${name}: ${failure.val.message}`
      : `looking up ${name}: ${failure.val}`;
  return { err: hostError('dns', failure.tag !== 'temporary', message) };
}

/** Connects to the server of `connection` (each of its addresses in turn) and opens a
 * session: `{session}`, or `{report}` for `to` when that failed. */
export async function openSession(host, connection, to) {
  // Compiled and instantiated before dialing, so that the server never waits for it.
  await host.exports();
  const found = await addresses(host, connection.host);
  if (found.err) return { report: failedReport(to, found.err) };
  const attempts = [];
  for (const ip of found.ok) {
    const remote = { address: ipToWit(ip), port: connection.port };
    const connected = await host.tcp.connect(remote, undefined, connection.connectTimeoutMs);
    const attempt = { host: connection.host, ip, port: connection.port, error: null };
    attempts.push(attempt);
    if (connected.tag === 'err') {
      const reason = connected.val.val ?? connected.val.tag;
      attempt.error = hostError('io', false, `connecting to ${ip} port ${connection.port}: ${reason}`);
      continue;
    }
    const server = { host: connection.host, ip, port: connection.port, extensions: [] };
    const opened = await host.call((e) => e.client.openSession(connected.val, connection.openOptions));
    if (opened.err) {
      const report = failedReport(to, errorReport(opened.err.error));
      attempt.error = report.error;
      report.tlsrpt = await tlsrptJson(host, opened.err.tlsResults);
      return { report: { ...report, server, attempts } };
    }
    return { session: await Session.opened(host, opened.ok, server, attempts) };
  }
  const last = attempts.at(-1)?.error ?? hostError('io', false, 'no address to connect to');
  return { report: { ...failedReport(to, last), attempts } };
}

/** An open SMTP session (client.session): transactions, then close. */
export class Session {
  #host;
  #session;
  #opened;
  #attempts;

  /** `opened`: what the report says of the session (server, tls, tlsrpt), known once open. */
  constructor(host, session, opened, attempts) {
    this.#host = host;
    this.#session = session;
    this.#opened = opened;
    this.#attempts = attempts;
  }

  /** The Session for `session`, with its server, TLS state and TLS-reporting results.
   * @throws {ComponentTrap} */
  static async opened(host, session, server, attempts) {
    const extensions = (await host.call(() => session.extensions())).ok.lines;
    const state = (await host.call(() => session.tlsState())).ok;
    const results = (await host.call(() => session.tlsResults())).ok;
    const opened = {
      server: { ...server, extensions },
      tls: tlsReport(state),
      tlsrpt: await tlsrptJson(host, results),
    };
    return new Session(host, session, opened, attempts);
  }

  /** Sends the message of `mail` (from mailRequest) and reports on its recipients.
   * @throws {ComponentTrap} */
  async transaction(mail) {
    const host = this.#host;
    const session = this.#session;
    const message = host.message(mail.source);
    let delivered;
    try {
      delivered = await host.call(() => session.deliver(envelope(mail, message), message));
    } finally {
      message[dispose]();
    }
    const events = (await host.call(() => session.takeEvents())).ok;
    const report = delivered.ok ? successReport(delivered.ok) : failureReport(mail, delivered.err);
    report.server = this.#opened.server;
    report.tls = this.#opened.tls;
    report.tlsrpt = this.#opened.tlsrpt;
    report.events = events.map(eventReport);
    const attempt = this.#attempts.at(-1);
    report.attempts = [...this.#attempts.slice(0, -1), { ...attempt, error: report.error }];
    return report;
  }

  /** QUIT and close the connection; a failing QUIT changes nothing. */
  async close() {
    try {
      await this.#host.call(() => this.#session.close());
    } finally {
      this.#session[dispose]?.();
    }
  }
}

/** Submits `mail` over `connection` (see connectionRequest, mailRequest) and reports what
 * happened to each recipient. SMTP and network failures are in the report.
 * @throws {ComponentTrap} when the component traps */
export async function submit(host, connection, mail) {
  const opened = await openSession(host, connection, mail.to);
  if (opened.report) return opened.report;
  try {
    return await opened.session.transaction(mail);
  } finally {
    await opened.session.close();
  }
}

function envelope(mail, message) {
  return {
    mailFrom: mail.from,
    recipients: mail.to.map((address) => ({ address, notify: undefined, originalRecipient: undefined })),
    size: message.size(),
    requireEightbitmime: mail.eightBitMime,
    requireSmtputf8: mail.smtputf8,
    requireTls: mail.requireTls,
    dsn: undefined,
    lineEndings: mail.normalize ? 'normalize' : 'strict',
  };
}

function successReport(success) {
  const recipients = success.recipients.map(recipientResult);
  return {
    status: statusOf(recipients), recipients, error: null, server: null, tls: null, tlsrpt: [], attempts: [], events: [],
  };
}

function failureReport(mail, failure) {
  const error = errorReport(failure.error);
  if (failure.recipients.length === 0) return failedReport(mail.to, error);
  // Accepted at RCPT but the transaction failed: the message was not delivered.
  const recipients = failure.recipients.map(recipientResult).map((r) => (r.status === 'delivered'
    ? { ...r, status: error.permanent ? 'permanent' : 'temporary' } : r));
  return {
    status: statusOf(recipients), recipients, error, server: null, tls: null, tlsrpt: [], attempts: [], events: [],
  };
}
