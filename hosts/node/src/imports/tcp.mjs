// The `tcp` import (wit/tcp.wit): `connect` and the `connection` resource, over `io` (the
// blocking bridge on Node 20, the operations themselves under JSPI), which runs `node:net`.

import { ipToWit, witToIp } from '../convert.mjs';
import { err, ok, then, guarded, dispose } from './result.mjs';

const failed = (message) => err({ tag: 'other', val: `the i/o thread failed: ${message}` });

/** The `smtp:client/tcp` import object for `io`. */
export function tcpImport(io) {
  class Connection {
    #id;
    #local;
    #remote;

    constructor({ id, local, remote }) {
      this.#id = id;
      this.#local = local;
      this.#remote = remote;
    }

    read(max, timeoutMs) {
      return guarded(io, 'read', { id: this.#id, max, timeoutMs }, timeoutMs, failed);
    }

    write(data, timeoutMs) {
      // jco hands over a copy of the guest's bytes: when it is a buffer of its own, it moves
      // to the I/O thread instead of being copied again.
      const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      const transfer = owned ? [data.buffer] : [];
      const args = { id: this.#id, data, timeoutMs };
      // The blocking bridge takes small writes without a round trip (see its enqueue).
      if (io.enqueue?.(args, transfer)) return ok(undefined);
      return guarded(io, 'write', args, timeoutMs, failed, transfer);
    }

    localAddress() {
      return ok({ address: ipToWit(this.#local.address), port: this.#local.port });
    }

    remoteAddress() {
      return ok({ address: ipToWit(this.#remote.address), port: this.#remote.port });
    }

    /** Dropped by the guest: close the socket. */
    [dispose]() {
      io.post('close', { id: this.#id });
    }
  }

  function connect(remote, local, timeoutMs) {
    const args = {
      address: witToIp(remote.address),
      port: remote.port,
      local: local === undefined || local === null ? null : witToIp(local),
      timeoutMs,
    };
    return then(guarded(io, 'connect', args, timeoutMs, failed),
      (result) => (result.tag === 'ok' ? ok(new Connection(result.val)) : result));
  }

  return { Connection, connect };
}
