// `deliver`: direct delivery to the MX hosts of every recipient domain through the
// component's `delivery.deliver`, one call per domain, merged into one report.

import net from 'node:net';
import { ipDomainText, ipToWit, witToIp } from './convert.mjs';
import { dispose } from './imports/result.mjs';
import {
  checkedMessage, domain, ehloName, extraRoots, recipientList, sender, timeoutMs,
  uniformTimeouts, usage,
} from './options.mjs';
import { emptyReport, errorReport, eventReport, recipient, statusOf, tlsReport } from './report.mjs';
import { tlsrptJson } from './tlsrpt.mjs';
import { StsCache } from './sts-cache.mjs';

/** TLS levels as Postfix names them (wit/delivery.wit `tls-level`). */
const TLS_LEVELS = new Set(['may', 'encrypt', 'dane', 'dane-only', 'verify', 'secure']);

/** The checked delivery request from the embedder's options. */
export function deliverRequest(options) {
  const tlsLevel = options.tlsLevel ?? 'dane';
  if (!TLS_LEVELS.has(tlsLevel)) throw usage(`tls level wants one of ${[...TLS_LEVELS].join(', ')}, got ${tlsLevel}`);
  const port = Number(options.port ?? 25);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usage(`port wants 1 to 65535, got ${options.port}`);
  return {
    from: sender(options.from),
    to: recipientList(options.to),
    source: checkedMessage(options.message),
    port,
    tlsLevel,
    ehlo: ehloName(options.ehlo),
    tlsRequiredNo: Boolean(options.tlsRequiredNo),
    extraRoots: extraRoots(options.ca),
    timeouts: uniformTimeouts(options.timeout),
    connectTimeoutMs: options.timeout === undefined ? undefined : timeoutMs(options.timeout),
    allowPrivateAddresses: Boolean(options.allowPrivateAddresses),
    eightBitMime: Boolean(options.eightBitMime),
    smtputf8: Boolean(options.smtputf8),
    requireTls: Boolean(options.requireTls),
    stsCache: options.stsCache ? new StsCache(options.stsCache) : null,
  };
}

/** The domain of an address: after the last "@"; the whole text when there is none (the
 * component then reports the address as invalid). */
function domainOf(address) {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : address.slice(at + 1);
}

/** A next hop: an address literal "[192.0.2.1]" or "[IPv6:…]" is an IP, anything else a domain. */
function nextHop(name) {
  const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(name)?.[1];
  if (literal && net.isIP(literal)) return { tag: 'ip', val: ipToWit(literal) };
  return { tag: 'domain', val: domain(name) };
}

/** The `delivery-request` for one domain. */
function deliveryRequest(request, name) {
  return {
    nextHop: nextHop(name),
    route: {
      tag: 'mx',
      val: {
        port: request.port,
        tlsLevel: request.tlsLevel,
        cachedStsPolicy: request.stsCache?.get(name),
        ipFamily: 'any',
        allowPrivateAddresses: request.allowPrivateAddresses,
        addressLimit: undefined,
        sessionLimit: undefined,
      },
    },
    ehloHostname: request.ehlo,
    tlsRequiredNo: request.tlsRequiredNo,
    extraRootCas: request.extraRoots,
    clientCertificate: undefined,
    timeouts: request.timeouts,
    connectTimeoutMs: request.connectTimeoutMs,
    deadlineMs: undefined,
    attemptNumber: 1,
    dialedIps: [],
    localAddresses: [],
  };
}

/** Delivers to every recipient domain in turn (in name order) and merges the reports:
 * recipients in the order given, attempts and TLS-reporting results in order.
 * @throws {ComponentTrap} when the component traps */
export async function deliverAll(host, request) {
  const byDomain = new Map();
  for (const address of request.to) {
    const name = domainOf(address).toLowerCase();
    if (!byDomain.has(name)) byDomain.set(name, []);
    byDomain.get(name).push(address);
  }
  const merged = emptyReport('temporary');
  const outcomes = new Map();
  for (const name of [...byDomain.keys()].sort()) {
    const to = byDomain.get(name);
    const message = host.message(request.source);
    let report;
    try {
      const outgoing = [{ envelope: envelope(request, to, message), message, dmarcReport: false }];
      report = (await host.call((e) => e.delivery.deliver(deliveryRequest(request, name), outgoing))).ok;
    } finally {
      message[dispose]();
    }
    if (report.stsPolicy) request.stsCache?.put(name, report.stsPolicy);
    await merge(host, merged, report);
    for (const r of report.messages.flatMap((m) => m.recipients)) {
      outcomes.set(r.address, recipient(r.address, r.status, r.reply ?? r.error?.reply));
    }
  }
  merged.recipients = request.to.map((address) => outcomes.get(address)).filter(Boolean);
  merged.status = statusOf(merged.recipients);
  if (merged.status === 'delivered') merged.error = null;
  return merged;
}

function envelope(request, to, message) {
  return {
    mailFrom: request.from,
    recipients: to.map((address) => ({ address, notify: undefined, originalRecipient: undefined })),
    size: message.size(),
    requireEightbitmime: request.eightBitMime,
    requireSmtputf8: request.smtputf8,
    requireTls: request.requireTls,
    dsn: undefined,
    lineEndings: 'strict',
  };
}

/** Adds one domain's attempts, TLS details, TLS-reporting results, events and error. */
async function merge(host, merged, report) {
  for (const attempt of report.attempts) {
    const hostName = ipDomainText(attempt.host);
    const ip = attempt.address ? witToIp(attempt.address) : null;
    if (attempt.tls || attempt.extensions.length > 0) {
      merged.tls = tlsReport(attempt.tls);
      merged.server = { host: hostName, ip, port: attempt.port, extensions: attempt.extensions };
    }
    merged.attempts.push({
      host: hostName,
      ip,
      port: attempt.port,
      error: attempt.error ? errorReport(attempt.error) : null,
    });
  }
  for (const results of report.tlsResults) merged.tlsrpt.push(...await tlsrptJson(host, results));
  merged.events.push(...report.events.map(eventReport));
  if (report.error) merged.error = errorReport(report.error);
}
