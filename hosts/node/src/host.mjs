// A host for the component: the I/O side (sockets and DNS), the four imports over it, and
// one component instance, made on first use and replaced after a trap. Two ways to wait:
// 'sync' (Node 20): the synchronous imports block on the I/O worker (./io/bridge.mjs);
// 'jspi' (Node 24+, WebAssembly.Suspending): imports return Promises on this thread's event
// loop (./io/direct.mjs) and the guest is suspended meanwhile.

import net from 'node:net';
import { BlockingBridge } from './io/bridge.mjs';
import { DirectIo } from './io/direct.mjs';
import { instantiate, isTranspiled } from './component.mjs';
import { tcpImport } from './imports/tcp.mjs';
import { resolverImport } from './imports/resolver.mjs';
import { logImport } from './imports/log.mjs';
import { spoolImport } from './imports/spool.mjs';
import { isLoopback, systemResolver } from './dns/system.mjs';
import { ComponentTrap, MessageFileError, UsageError } from './errors.mjs';
import { hostError } from './report.mjs';

/** The default time one DNS lookup may take. */
const DNS_TIMEOUT_MS = 5000;

/** "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6" as {address, port}; null when malformed. */
export function parseSocketAddress(text, defaultPort) {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed && net.isIPv6(bracketed[1])) {
    return { address: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  }
  if (net.isIP(text)) return { address: text, port: defaultPort };
  const [address, port] = text.split(':');
  if (net.isIPv4(address) && /^\d+$/.test(port ?? '') && Number(port) < 65536) {
    return { address, port: Number(port) };
  }
  return null;
}

/** The resolver configuration: `dns` ("IP[:PORT]") is trusted for its AD bit, as a resolver
 * the user configured; else the system's, trusted only on loopback. */
export function resolverConfig({ dns, dnsTimeoutMs = DNS_TIMEOUT_MS, hostsPath = '/etc/hosts' } = {}) {
  if (dns !== undefined && dns !== null) {
    const server = parseSocketAddress(String(dns), 53);
    if (!server) {
      throw new UsageError(hostError('usage', true, `dns wants IP[:PORT], got ${JSON.stringify(dns)}`));
    }
    return { server, trusted: true, timeoutMs: dnsTimeoutMs, hostsPath };
  }
  const server = systemResolver();
  return { server, trusted: isLoopback(server.address), timeoutMs: dnsTimeoutMs, hostsPath };
}

/** JSPI when this Node.js has it and the build made its variant, else blocking imports. */
export function defaultMode() {
  return typeof WebAssembly.Suspending === 'function' && isTranspiled('jspi') ? 'jspi' : 'sync';
}

export class Host {
  #io;
  #resolver;
  #imports;
  #mode;
  #instance = null;

  /** @param {object} options `dns`, `dnsTimeoutMs`, `hostsPath` (see resolverConfig),
   * `logger` (see ./imports/log.mjs), `mode` ('sync' or 'jspi'; default: defaultMode()) */
  constructor(options = {}) {
    this.#resolver = resolverConfig(options);
    this.#mode = options.mode ?? defaultMode();
    if (this.#mode !== 'sync' && this.#mode !== 'jspi') {
      throw new UsageError(hostError('usage', true, `mode wants sync or jspi, got ${this.#mode}`));
    }
    this.#io = this.#mode === 'jspi' ? new DirectIo(this.#resolver) : new BlockingBridge(this.#resolver);
    this.#imports = {
      tcp: tcpImport(this.#io),
      // A lookup may use UDP, a retry and TCP within its timeout, for A and AAAA at once.
      resolver: resolverImport(this.#io, this.#resolver.timeoutMs),
      log: logImport(options.logger),
      spool: spoolImport(),
    };
  }

  /** The component's exports, instantiating it when there is no usable instance. */
  async exports() {
    this.#instance ??= instantiate(this.#imports, this.#mode);
    try {
      return await this.#instance;
    } catch (error) {
      this.#instance = null;
      throw error;
    }
  }

  /** 'sync' or 'jspi'. */
  get mode() {
    return this.#mode;
  }

  /** Calls `f(exports)` (awaited: under JSPI an async export returns a Promise); a WIT `err`
   * result (jco throws it with a `payload`) comes back as `{err}`, a value as `{ok}`.
   * Anything else thrown is a trap: the instance is dropped.
   * @throws {ComponentTrap} */
  async call(f) {
    const exports = await this.exports();
    try {
      return { ok: await f(exports) };
    } catch (error) {
      if (error !== null && typeof error === 'object' && Object.hasOwn(error, 'payload')) {
        return { err: error.payload };
      }
      this.#instance = null;
      // Its connections can no longer be dropped by the guest.
      this.#io.post('closeAll', {});
      throw new ComponentTrap(
        hostError('internal', false, `the component failed: ${error?.message ?? error}`),
        null,
        { cause: error },
      );
    }
  }

  /** A `message` resource for the component.
   * @throws {MessageFileError} when its file cannot be opened */
  message(source) {
    try {
      return new this.#imports.spool.Message(source);
    } catch (error) {
      throw new MessageFileError(
        hostError('message', true, `cannot read message file ${source.path}: ${error.message}`),
        null,
        { cause: error },
      );
    }
  }

  /** The `tcp` import, for connections the host opens itself (submission); its results are
   * Promises under JSPI. */
  get tcp() {
    return this.#imports.tcp;
  }

  /** The `resolver` import, for lookups the host makes itself (the submission server). */
  get resolver() {
    return this.#imports.resolver;
  }

  /** Stops the I/O worker. */
  async close() {
    await this.#io.terminate();
  }
}
