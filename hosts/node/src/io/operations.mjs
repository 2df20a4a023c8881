// Everything the imports need from an event loop, by name: sockets (./sockets.mjs) and DNS
// lookups (../dns/lookups.mjs). Each operation takes one plain object and resolves to plain
// data (`{tag, val}` results), so it can be called across threads (./bridge.mjs) or directly
// under JSPI; `enqueue` (writes nobody waits for) takes a callback too.

import { Sockets } from './sockets.mjs';
import { Lookups } from '../dns/lookups.mjs';
import { systemHosts } from '../dns/hosts.mjs';

/** The operations for a resolver configuration: `{server: {address, port}, trusted,
 * timeoutMs, hostsPath}` (`hostsPath` null: no hosts file). */
export function createOperations(resolver) {
  const sockets = new Sockets();
  const lookups = new Lookups({
    server: resolver.server,
    trusted: resolver.trusted,
    timeoutMs: resolver.timeoutMs,
    hosts: resolver.hostsPath === null ? new Map() : systemHosts(resolver.hostsPath),
  });
  return {
    connect: (args) => sockets.connect(args),
    read: (args) => sockets.read(args),
    write: (args) => sockets.write(args),
    enqueue: (args, taken) => sockets.enqueue(args, taken),
    close: (args) => sockets.close(args),
    closeAll: () => sockets.closeAll(),
    lookupCname: ({ name }) => lookups.cname(name),
    lookupMx: ({ name }) => lookups.mx(name),
    lookupIp: ({ name, family }) => lookups.ip(name, family),
    lookupTlsa: ({ port, protocol, host }) => lookups.tlsa(port, protocol, host),
    lookupTxt: ({ name }) => lookups.txt(name),
  };
}
