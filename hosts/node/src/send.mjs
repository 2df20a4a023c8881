// `send`: submit one message to one server through the component's `client` interface
// (open-session, deliver, close), the host dialing the server itself.

import net from 'node:net';
import { ipToWit, parseTlsa, witToIp } from './convert.mjs';
import { dispose } from './imports/result.mjs';
import {
  checkedMessage, domain, ehloName, extraRoots, recipientList, sender, timeoutMs,
  uniformTimeouts, usage,
} from './options.mjs';
import {
  errorReport, eventReport, failedReport, hostError, recipientResult, statusOf, tlsReport,
} from './report.mjs';

/** The connect timeout without `timeout` (RFC 5321 §4.5.3.2 has none; 30 s as MTAs use). */
const CONNECT_TIMEOUT_MS = 30_000;

/** The SASL mechanisms of the contract (wit/client.wit `sasl-mechanism`). */
const MECHANISMS = new Set([
  'scram-sha-256-plus', 'scram-sha-256', 'scram-sha-1-plus', 'scram-sha-1', 'cram-md5',
  'plain', 'login', 'xoauth2', 'oauthbearer',
]);

const TLS_MODES = {
  immediate: 'immediate',
  starttls: 'required-starttls',
  opportunistic: 'opportunistic',
  none: 'skip',
};

/** "HOST[:PORT]" ("[v6]:PORT" for IPv6) as {host, port}. */
export function splitServer(text, defaultPort = 587) {
  const value = String(text ?? '');
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed && net.isIPv6(bracketed[1])) {
    return { host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  }
  if (net.isIPv6(value)) return { host: value, port: defaultPort };
  const colon = value.lastIndexOf(':');
  if (colon >= 0) {
    const port = value.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535 || colon === 0) {
      throw usage(`server wants HOST[:PORT], got ${JSON.stringify(value)}`);
    }
    return { host: value.slice(0, colon), port: Number(port) };
  }
  if (value === '') throw usage('server wants HOST[:PORT]');
  return { host: value, port: defaultPort };
}

/** The checked connection part of a submission: server, TLS, AUTH, timeouts. */
export function connectionRequest(options) {
  const { host, port } = splitServer(options.server, options.port ?? 587);
  const tls = options.tls ?? (port === 465 ? 'immediate' : 'starttls');
  if (!(tls in TLS_MODES)) throw usage(`tls wants immediate, starttls, opportunistic or none, got ${tls}`);
  const daneRecords = (options.tlsa ?? []).map((text) => {
    const record = parseTlsa(String(text));
    if (!record) throw usage(`tlsa wants "USAGE SELECTOR MATCHING-TYPE HEX", got ${JSON.stringify(text)}`);
    return record;
  });
  const mechanisms = (options.auth ?? []).map((name) => {
    const mechanism = String(name).toLowerCase();
    if (!MECHANISMS.has(mechanism)) throw usage(`unknown SASL mechanism ${name}`);
    return mechanism;
  });
  if (options.user !== undefined && options.password === undefined) {
    throw usage('user needs a password');
  }
  return {
    host,
    port,
    connectTimeoutMs: options.timeout === undefined ? CONNECT_TIMEOUT_MS : timeoutMs(options.timeout),
    openOptions: {
      tlsMode: TLS_MODES[tls],
      verifyPkix: options.verify ?? true,
      ehloHostname: ehloName(options.ehlo),
      remoteHostname: domain(host),
      // Cleartext mechanisms stay refused without TLS unless asked for.
      auth: options.user === undefined ? undefined : {
        username: String(options.user),
        secret: String(options.password),
        mechanisms,
        allowCleartextWithoutTls: Boolean(options.allowCleartextAuth),
      },
      daneRecords: daneRecords.length > 0 ? daneRecords : undefined,
      daneMoreHostnames: [],
      ignoreTlsVerifyErrors: false,
      extraRootCas: extraRoots(options.ca),
      clientCertificate: options.clientCertificate
        ? { chainPem: String(options.clientCertificate.chainPem), keyPem: String(options.clientCertificate.keyPem) }
        : undefined,
      timeouts: uniformTimeouts(options.timeout),
      tlsResults: undefined,
    },
  };
}

/** The checked transaction part: envelope and message. */
export function mailRequest(options) {
  return {
    from: sender(options.from),
    to: recipientList(options.to),
    source: checkedMessage(options.message),
    eightBitMime: Boolean(options.eightBitMime),
    smtputf8: Boolean(options.smtputf8),
    requireTls: Boolean(options.requireTls),
    normalize: Boolean(options.normalize),
  };
}

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
    return { session: new Session(host, opened.ok, server, attempts) };
  }
  const last = attempts.at(-1)?.error ?? hostError('io', false, 'no address to connect to');
  return { report: { ...failedReport(to, last), attempts } };
}

/** An open SMTP session (client.session): transactions, then close. */
export class Session {
  #host;
  #session;
  #server;
  #attempts;

  constructor(host, session, server, attempts) {
    this.#host = host;
    this.#session = session;
    this.#server = server;
    this.#attempts = attempts;
  }

  /** Sends the message of `mail` (from mailRequest) and reports on its recipients.
   * @throws {ComponentTrap} */
  async transaction(mail) {
    const host = this.#host;
    const session = this.#session;
    const state = (await host.call(() => session.tlsState())).ok;
    const results = (await host.call(() => session.tlsResults())).ok;
    this.#server.extensions = (await host.call(() => session.extensions())).ok.lines;
    const message = host.message(mail.source);
    let delivered;
    try {
      delivered = await host.call(() => session.deliver(envelope(mail, message), message));
    } finally {
      message[dispose]();
    }
    const events = (await host.call(() => session.takeEvents())).ok;
    const report = delivered.ok ? successReport(delivered.ok) : failureReport(mail, delivered.err);
    report.server = { ...this.#server };
    report.tls = tlsReport(state);
    report.tlsrpt = await tlsrptJson(host, results);
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

/** The RFC 8460 JSON objects of `results`, from the component's `tls-report` export. */
export async function tlsrptJson(host, results) {
  const texts = (await host.call((e) => e.tlsReport.toJson(results))).ok;
  return texts.flatMap((text) => {
    try {
      return [JSON.parse(text)];
    } catch {
      return [];
    }
  });
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
