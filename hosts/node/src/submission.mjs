// What a submission is given: the connection (server, TLS, AUTH, timeouts) and the mail
// (envelope and message), checked and turned into the contract's values.

import net from 'node:net';
import { parseTlsa } from './convert.mjs';
import {
  checkedMessage, domain, ehloName, extraRoots, recipientList, sender, timeoutMs,
  uniformTimeouts, usage,
} from './options.mjs';

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
