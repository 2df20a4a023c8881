// The system's recursive resolver: the first `nameserver` of resolv.conf(5). Only its
// nameserver lines are used: search domains and options never apply (names are absolute).

import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The first nameserver of resolv.conf text, or null. */
export function firstNameserver(text) {
  for (const line of text.split('\n')) {
    const [keyword, address] = line.replace(/[#;].*/, '').trim().split(/\s+/);
    if (keyword === 'nameserver' && address && net.isIP(address.replace(/%.*/, ''))) {
      return address.replace(/%.*/, '');
    }
  }
  return null;
}

/** The system resolver as {address, port}; 127.0.0.1 when resolv.conf names none (as the C
 * library does). */
export function systemResolver(path = '/etc/resolv.conf') {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // no resolv.conf: the C library's default
  }
  return { address: firstNameserver(text) ?? '127.0.0.1', port: 53 };
}

/** True for 127.0.0.0/8 and ::1: a resolver on this machine, reached without a network. */
export function isLoopback(address) {
  if (net.isIPv4(address)) return address.startsWith('127.');
  return address === '::1' || address.startsWith('::ffff:127.');
}
