// TCP connections for the `tcp` import (wit/tcp.wit), asynchronous, on `node:net`. They run
// where an event loop is free: the I/O worker thread on Node 20 (see ./bridge.mjs), the main
// thread under JSPI. Every operation resolves to `{tag: 'ok', val}` or `{tag: 'err', val}`
// with `val` a `tcp-error`, within the timeout it was given.

import net from 'node:net';
import { tcpError } from './tcp-errors.mjs';

/** Received bytes kept per connection before the socket is paused (backpressure). */
const READ_BUFFER_LIMIT = 1 << 20;

/** Bytes a connection may have queued in Node.js beyond what the kernel took, and still count
 * as written: the guest's next bytes are then ready while these drain, so the kernel never
 * waits for them. Beyond it, `write` waits for the queue to drain, within its timeout. */
const SEND_QUEUE_LIMIT = 1 << 20;

/** One turn of the event loop: what "already arrived" means for a timeout of 0. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits for `promise` at most `timeoutMs` (0: one turn of the event loop); `undefined` when
 * the time passed first. */
async function within(promise, timeoutMs) {
  let timer;
  const expired = timeoutMs === 0
    ? turn().then(() => turn())
    : new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs); });
  try {
    return await Promise.race([promise, expired.then(() => undefined)]);
  } finally {
    clearTimeout(timer);
  }
}

const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });

/** A connected socket with what it received and has not been read yet. */
class Connection {
  constructor(socket) {
    this.socket = socket;
    this.chunks = [];
    this.buffered = 0;
    this.ended = false;
    this.error = null;
    this.wake = null;
    socket.on('data', (chunk) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered >= READ_BUFFER_LIMIT) socket.pause();
      this.notify();
    });
    socket.on('end', () => { this.ended = true; this.notify(); });
    socket.on('error', (error) => { this.error = error; this.notify(); });
    socket.on('close', () => { this.ended = true; this.notify(); });
  }

  notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Resolves when something arrives (data, end of stream, an error). */
  arrival() {
    return new Promise((resolve) => { this.wake = resolve; });
  }

  /** At most `max` received bytes, or null when nothing is buffered. */
  take(max) {
    if (this.buffered === 0) return null;
    const parts = [];
    let taken = 0;
    while (taken < max && this.chunks.length > 0) {
      const chunk = this.chunks[0];
      const want = max - taken;
      if (chunk.length <= want) {
        parts.push(chunk);
        this.chunks.shift();
        taken += chunk.length;
      } else {
        parts.push(chunk.subarray(0, want));
        this.chunks[0] = chunk.subarray(want);
        taken += want;
      }
    }
    this.buffered -= taken;
    if (this.buffered < READ_BUFFER_LIMIT && this.socket.isPaused()) this.socket.resume();
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, taken);
  }

  /** What `read` returns now, or null when it has to wait. */
  ready(max) {
    const data = this.take(max);
    if (data) return ok(data);
    if (this.error) return err(tcpError(this.error));
    if (this.ended) return ok(new Uint8Array(0));
    return null;
  }
}

function socketAddress(address, port) {
  return { address, port };
}

/** The open connections of one thread, by number. */
export class Sockets {
  #next = 1;
  #open = new Map();

  /** `tcp.connect`: TCP_NODELAY set, `local` bound when given. */
  async connect({ address, port, local, timeoutMs }) {
    const socket = new net.Socket();
    socket.setNoDelay(true);
    const connected = new Promise((resolve) => {
      socket.once('connect', () => resolve(null));
      socket.once('error', (error) => resolve(error));
    });
    socket.connect({ host: address, port, localAddress: local ?? undefined });
    const outcome = await within(connected, timeoutMs);
    if (outcome === undefined) {
      socket.destroy();
      return err({ tag: 'timeout' });
    }
    if (outcome !== null) {
      socket.destroy();
      return err(tcpError(outcome));
    }
    const id = this.#next++;
    this.#open.set(id, new Connection(socket));
    return ok({
      id,
      local: socketAddress(socket.localAddress, socket.localPort),
      remote: socketAddress(socket.remoteAddress, socket.remotePort),
    });
  }

  /** `connection.read`: at least one byte within `timeoutMs`, at most `max`; empty at the end. */
  async read({ id, max, timeoutMs }) {
    const conn = this.#open.get(id);
    if (!conn) return err({ tag: 'closed' });
    let result = conn.ready(max);
    if (result) return result;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = timeoutMs === 0 ? 0 : deadline - Date.now();
      if (left < 0 || (await within(conn.arrival(), left)) === undefined) {
        return conn.ready(max) ?? err({ tag: 'timeout' });
      }
      result = conn.ready(max);
      if (result) return result;
    }
  }

  /** `connection.write`: all of `data` taken within `timeoutMs`: handed to the kernel, or
   * queued behind at most SEND_QUEUE_LIMIT bytes (Node.js sends them in order; a failure shows
   * in the next read or write). */
  async write({ id, data, timeoutMs }) {
    const conn = this.#open.get(id);
    if (!conn) return err({ tag: 'closed' });
    if (conn.error) return err(tcpError(conn.error));
    const { socket } = conn;
    if (socket.destroyed || socket.writableEnded) return err({ tag: 'closed' });
    const written = new Promise((resolve) => {
      socket.write(data, (error) => resolve(error ?? null));
    });
    written.then((error) => { if (error) conn.error ??= error; });
    if (socket.writableLength <= SEND_QUEUE_LIMIT) return ok(undefined);
    const drained = new Promise((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve(null);
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    const outcome = await within(Promise.race([written, drained]), timeoutMs);
    if (outcome === undefined) return err({ tag: 'timeout' });
    if (conn.error) return err(tcpError(conn.error));
    if (outcome !== null) return err(tcpError(outcome));
    return ok(undefined);
  }

  /** Queues `data` without waiting for it (the caller bounds how much is queued). `taken()`
   * runs once Node.js handed it to the kernel, or could not; a failure shows in the next read
   * or write. */
  enqueue({ id, data }, taken) {
    const conn = this.#open.get(id);
    if (!conn || conn.error || conn.socket.destroyed || conn.socket.writableEnded) {
      taken();
      return;
    }
    conn.socket.write(data, (error) => {
      if (error) conn.error ??= error;
      taken();
    });
  }

  /** Every connection closed at once (the guest that held them trapped). */
  closeAll() {
    for (const conn of this.#open.values()) conn.socket.destroy();
    this.#open.clear();
    return ok(undefined);
  }

  /** Dropping the resource: FIN after what is queued, and the socket gone soon after. */
  close({ id }) {
    const conn = this.#open.get(id);
    if (!conn) return ok(undefined);
    this.#open.delete(id);
    conn.socket.end();
    setTimeout(() => conn.socket.destroy(), 2000).unref();
    return ok(undefined);
  }
}
