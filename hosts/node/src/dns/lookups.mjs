// The `resolver` import's lookups (wit/resolver.wit) against one recursive resolver, with the
// answers in the contract's shapes: `{tag: 'ok', val: <answer>}` or `{tag: 'err', val:
// <lookup-error>}`. Asynchronous: they run where an event loop is free (see ../io/bridge.mjs).

import { ipToWit } from '../convert.mjs';
import { exchange, queryMessage, MalformedAnswer } from './transport.mjs';
import { hostsLookup } from './hosts.mjs';

/** CNAME hops followed inside one answer (RFC 1034 §4.3.2 step 3.a: the resolver includes the
 * chain). */
const MAX_CNAME_HOPS = 16;

/** RFC 8914 §4: the EDNS option code of an extended DNS error. */
const EDE_OPTION = 15;

const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });
const notFound = (authentic) => err({ tag: 'not-found', val: { authentic } });
const temporary = (message, extendedError) => err({ tag: 'temporary', val: { extendedError, message } });
const permanent = (message) => err({ tag: 'permanent', val: message });

/** `name` without its trailing dot when it is a valid absolute ASCII name, else null
 * (RFC 1035 §2.3.4: labels of at most 63 octets, at most 255 in all). */
export function absoluteName(name) {
  if (typeof name !== 'string' || !name.endsWith('.') || name.length > 254) return null;
  const bare = name.slice(0, -1);
  if (bare === '') return null;
  // eslint-disable-next-line no-control-regex
  if (!/^[\x21-\x7e]+$/.test(bare)) return null;
  return bare.split('.').every((label) => label.length >= 1 && label.length <= 63) ? bare : null;
}

/** The RFC 8914 extended error of an answer: [info-code, extra text], or null. */
export function extendedError(answer) {
  const opt = (answer.additionals ?? []).find((record) => record.type === 'OPT');
  const option = (opt?.options ?? []).find((o) => o.code === EDE_OPTION && o.data?.length >= 2);
  return option ? [option.data.readUInt16BE(0), option.data.subarray(2).toString('utf8')] : null;
}

/** The records of `type` for `name` in the answer section, following the CNAME chain. */
export function followChain(answer, name, type) {
  let owner = name.toLowerCase();
  const records = answer.answers ?? [];
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const found = records.filter((r) => r.type === type && r.name.toLowerCase() === owner);
    if (found.length > 0 || type === 'CNAME') return found.map((r) => r.data);
    const alias = records.find((r) => r.type === 'CNAME' && r.name.toLowerCase() === owner);
    if (!alias) return [];
    owner = alias.data.toLowerCase();
  }
  return [];
}

/** Lookups against `server` ({address, port}); `trusted` says whether its AD bit counts;
 * `hosts` (from ./hosts.mjs) answers address lookups first. */
export class Lookups {
  constructor({ server, trusted, hosts = new Map(), timeoutMs = 5000 }) {
    this.server = server;
    this.trusted = trusted;
    this.hosts = hosts;
    this.timeoutMs = timeoutMs;
  }

  /** One query, interpreted: `{tag: 'ok', val: {records, authentic}}` with the rdata of
   * `type`, or a lookup-error. */
  async query(name, type) {
    const bare = absoluteName(name);
    if (bare === null) return permanent(`malformed name ${JSON.stringify(name)}`);
    let answer;
    try {
      answer = await exchange(this.server, queryMessage(bare, type), this.timeoutMs);
    } catch (error) {
      if (error instanceof MalformedAnswer) return permanent(error.message);
      return temporary(`${type} ${name}: ${error.message}`);
    }
    // RFC 4035 §3.2.3, RFC 6840 §5.8: the AD bit is only as good as the path to the resolver.
    const authentic = this.trusted && (answer.flags & (1 << 5)) !== 0;
    const ede = extendedError(answer);
    const detail = () => `${answer.rcode.toLowerCase()} from ${this.server.address} for ${type} ${name}`
      + (ede ? ` (extended error ${ede[0]}${ede[1] ? `: ${ede[1]}` : ''})` : '');
    switch (answer.rcode) {
      case 'NOERROR':
        break;
      // RFC 2308 §2.1: the name does not exist.
      case 'NXDOMAIN':
        return notFound(authentic);
      // RFC 1035 §4.1.1 server failure; RFC 8914 §2: the info-code says why.
      case 'SERVFAIL':
        return temporary(detail(), ede ? ede[0] : undefined);
      // REFUSED, FORMERR, NOTIMP and the rest: asking again will not help.
      default:
        return permanent(detail());
    }
    const records = followChain(answer, bare, type);
    // RFC 2308 §2.2: NODATA, the name exists without records of this type.
    if (records.length === 0) return notFound(authentic);
    return ok({ records, authentic });
  }

  async cname(name) {
    const result = await this.query(name, 'CNAME');
    if (result.tag === 'err') return result;
    return ok({ target: absolute(result.val.records[0]), authentic: result.val.authentic });
  }

  async mx(name) {
    const result = await this.query(name, 'MX');
    if (result.tag === 'err') return result;
    const records = result.val.records.map((mx) => ({
      preference: mx.preference,
      exchange: absolute(mx.exchange),
    }));
    return ok({ records, authentic: result.val.authentic });
  }

  async ip(name, family) {
    const listed = hostsLookup(this.hosts, name, family);
    if (listed.length > 0) return ok({ addresses: listed.map(ipToWit), authentic: false });
    if (family === 'ipv4') return addresses(await this.query(name, 'A'));
    if (family === 'ipv6') return addresses(await this.query(name, 'AAAA'));
    const [v4, v6] = await Promise.all([this.query(name, 'A'), this.query(name, 'AAAA')]);
    return mergeAny(addresses(v4), addresses(v6));
  }

  async tlsa(port, protocol, host) {
    const result = await this.query(`_${port}._${protocol}.${host}`, 'TLSA');
    if (result.tag === 'err') return result;
    const records = result.val.records.map((r) => ({
      usage: r.usage,
      selector: r.selector,
      matchingType: r.matchingType,
      data: new Uint8Array(r.certificate),
    }));
    return ok({ records, authentic: result.val.authentic });
  }

  async txt(name) {
    const result = await this.query(name, 'TXT');
    if (result.tag === 'err') return result;
    // Each record's character-strings concatenated (RFC 7208 §3.3).
    const records = result.val.records.map((strings) => new Uint8Array(Buffer.concat(
      (Array.isArray(strings) ? strings : [strings]).map((s) => Buffer.from(s)),
    )));
    return ok({ records, authentic: result.val.authentic });
  }
}

/** A name as the contract returns it: absolute, with its trailing dot; the root is ".". */
function absolute(name) {
  return name === '.' || name === '' ? '.' : `${name.replace(/\.$/, '')}.`.toLowerCase();
}

function addresses(result) {
  if (result.tag === 'err') return result;
  return ok({ addresses: result.val.records.map(ipToWit), authentic: result.val.authentic });
}

/** A and AAAA together: the addresses found, authentic only when both halves were (a
 * validated denial counts); not-found when both are; else the failure. */
export function mergeAny(v4, v6) {
  const authentic = (half) => (half.tag === 'ok' ? half.val.authentic
    : half.val.tag === 'not-found' ? half.val.val.authentic : false);
  const both = authentic(v4) && authentic(v6);
  if (v4.tag === 'ok' || v6.tag === 'ok') {
    const found = [v4, v6].filter((h) => h.tag === 'ok').flatMap((h) => h.val.addresses);
    return ok({ addresses: found, authentic: both });
  }
  if (v4.val.tag === 'not-found' && v6.val.tag === 'not-found') return notFound(both);
  return v4.val.tag === 'not-found' ? v6 : v4;
}
