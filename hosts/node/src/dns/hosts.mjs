// The hosts file (hosts(5)), consulted first for address lookups as the system resolver does
// (so that `localhost` and local names work). Its answers are never authentic.

import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Addresses by lower-case name (no trailing dot), from the text of a hosts file. */
export function parseHosts(text) {
  const byName = new Map();
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) continue;
    const address = fields[0].replace(/%.*/, '');
    if (!net.isIP(address)) continue;
    for (const name of fields.slice(1)) {
      const key = name.toLowerCase().replace(/\.$/, '');
      if (!byName.has(key)) byName.set(key, []);
      if (!byName.get(key).includes(address)) byName.get(key).push(address);
    }
  }
  return byName;
}

/** The system's hosts file; empty when it cannot be read. */
export function systemHosts(path = '/etc/hosts') {
  try {
    return parseHosts(readFileSync(path, 'utf8'));
  } catch {
    return new Map();
  }
}

/** The addresses of `name` (absolute, trailing dot) of `family` ('any', 'ipv4', 'ipv6'). */
export function hostsLookup(hosts, name, family) {
  const all = hosts.get(name.toLowerCase().replace(/\.$/, '')) ?? [];
  return all.filter((address) => family === 'any'
    || (family === 'ipv4' && net.isIPv4(address))
    || (family === 'ipv6' && net.isIPv6(address)));
}
