// Values of the contract (wit/types.wit) from and to Node.js forms: IP addresses, TLSA text.

import net from 'node:net';

/** A WIT `ip-address` from its text form ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"). */
export function ipToWit(text) {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) return ipToWit(mapped[1]);
  if (net.isIPv4(text)) return { tag: 'ipv4', val: text.split('.').map(Number) };
  if (!net.isIPv6(text)) throw new TypeError(`not an IP address: ${text}`);
  let address = text.replace(/%.*/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    address = address.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.split('::');
  const groups = (part) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const zeros = new Array(8 - front.length - back.length).fill(0);
  return { tag: 'ipv6', val: [...front, ...zeros, ...back] };
}

/** The text form of a WIT `ip-address` (IPv6 compressed as RFC 5952 §4 says). */
export function witToIp(ip) {
  if (ip.tag === 'ipv4') return ip.val.join('.');
  const groups = ip.val.map((g) => g.toString(16));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && ip.val[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** A WIT `ip-domain` in text: the address, or the domain (Unicode form when it has one). */
export function ipDomainText(host) {
  return host.tag === 'ip' ? witToIp(host.val) : (host.val.unicode ?? host.val.ascii);
}

/** A TLSA record in presentation form, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2). */
export function tlsaText(record) {
  return `${record.usage} ${record.selector} ${record.matchingType} ${Buffer.from(record.data).toString('hex')}`;
}

/** A TLSA record from "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2); null when malformed. */
export function parseTlsa(text) {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 4) return null;
  const numbers = fields.slice(0, 3).map((f) => (/^\d{1,3}$/.test(f) ? Number(f) : NaN));
  const hex = fields.slice(3).join('');
  if (numbers.some((n) => !(n <= 255)) || hex.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(hex)) {
    return null;
  }
  const [usage, selector, matchingType] = numbers;
  return { usage, selector, matchingType, data: new Uint8Array(Buffer.from(hex, 'hex')) };
}
