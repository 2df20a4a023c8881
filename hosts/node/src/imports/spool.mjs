// The `spool` import (wit/spool.wit): the `message` resource, from a file or from bytes. The
// component reads it in chunks (at most 1 MiB), from offset 0 for every transaction.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dispose } from './result.mjs';
import { err, ok } from './result.mjs';

/** The message source an embedder gives: a file path, or bytes (Buffer, Uint8Array, string). */
export function messageSource(message) {
  if (typeof message === 'string' || message instanceof URL) return { path: message };
  if (message instanceof Uint8Array) return { bytes: message };
  if (message && typeof message === 'object' && 'path' in message) return { path: message.path };
  if (message && typeof message === 'object' && 'bytes' in message) {
    return { bytes: typeof message.bytes === 'string' ? Buffer.from(message.bytes) : message.bytes };
  }
  throw new TypeError('message: a file path, {path}, a Buffer or Uint8Array, or {bytes}');
}

/** The `smtp:client/spool` import object. */
export function spoolImport() {
  /** One message: a file read at each request (kept open while the component holds it), or
   * bytes in memory. */
  class Message {
    #bytes = null;
    #fd = null;
    #size;
    #path;

    /** @param {{path: string} | {bytes: Uint8Array}} source */
    constructor(source) {
      if (source.bytes) {
        this.#bytes = source.bytes;
        this.#size = BigInt(source.bytes.length);
      } else {
        this.#path = String(source.path);
        this.#fd = openSync(source.path, 'r');
        this.#size = BigInt(fstatSync(this.#fd).size);
      }
    }

    size() {
      return this.#size;
    }

    read(offset, max) {
      const start = Number(offset);
      if (this.#bytes) return ok(this.#bytes.subarray(start, start + max));
      try {
        const buffer = Buffer.allocUnsafe(max);
        const n = readSync(this.#fd, buffer, 0, max, start);
        return ok(buffer.subarray(0, n));
      } catch (error) {
        return err(`reading ${this.#path}: ${error.message}`);
      }
    }

    /** Closes the file (the embedder's handle, or the guest's when it drops it). */
    [dispose]() {
      if (this.#fd !== null) closeSync(this.#fd);
      this.#fd = null;
    }
  }
  return { Message };
}
