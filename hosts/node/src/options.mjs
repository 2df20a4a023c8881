// What `send` and `deliver` share: checking the embedder's options and turning them into the
// contract's values (timeouts, roots, recipients, domains, the message).

import { X509Certificate } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { MessageFileError, UsageError } from './errors.mjs';
import { hostError } from './report.mjs';
import { messageSource } from './imports/spool.mjs';

/** A UsageError with `message`. */
export function usage(message) {
  return new UsageError(hostError('usage', true, message));
}

/** The recipients as a list (one address or several). */
export function recipientList(to) {
  const list = Array.isArray(to) ? to : to === undefined || to === null ? [] : [to];
  if (list.length === 0) throw usage('to: at least one recipient');
  return list.map(String);
}

/** The envelope sender; "" is the null sender. */
export function sender(from) {
  if (from === undefined || from === null) throw usage('from: the envelope sender is missing');
  return String(from);
}

/** Every per-phase deadline set to `seconds`, in milliseconds; undefined for the defaults. */
export function uniformTimeouts(seconds) {
  if (seconds === undefined || seconds === null) return undefined;
  const ms = timeoutMs(seconds);
  return {
    greetingMs: ms,
    commandMs: ms,
    dataInitMs: ms,
    dataBlockMs: ms,
    dataEndMs: ms,
    tlsHandshakeMs: ms,
    quitMs: ms,
  };
}

/** `seconds` as milliseconds for a u32 field. */
export function timeoutMs(seconds) {
  const n = Number(seconds);
  if (!Number.isFinite(n) || n < 0) throw usage(`timeout wants seconds, got ${JSON.stringify(seconds)}`);
  return Math.min(Math.round(n * 1000), 0xffffffff);
}

/** A domain as the component takes it: ASCII, lower case, without a trailing dot (names are
 * passed through; IDNA conversion is the component's). */
export function domain(name) {
  return { ascii: String(name).replace(/\.$/, '').toLowerCase(), unicode: undefined };
}

/** The EHLO name: the one given, else this machine's name. */
export function ehloName(ehlo) {
  return domain(ehlo ?? hostname());
}

/** DER certificates from PEM texts (strings or Buffers), each with one or more certificates. */
export function extraRoots(ca = []) {
  const roots = [];
  for (const [i, entry] of ca.entries()) {
    const blocks = String(entry).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw usage(`no certificate in ca entry ${i + 1}`);
    for (const block of blocks) {
      try {
        roots.push(new Uint8Array(new X509Certificate(block).raw));
      } catch (error) {
        throw usage(`bad pem in ca entry ${i + 1}: ${error.message}`);
      }
    }
  }
  return roots;
}

/** The message source, checked now: a file that cannot be read is a MessageFileError. */
export function checkedMessage(message) {
  if (message === undefined || message === null) throw usage('message: a file path or bytes');
  let source;
  try {
    source = messageSource(message);
  } catch (error) {
    throw usage(error.message);
  }
  if (source.path !== undefined) {
    try {
      accessSync(source.path, constants.R_OK);
      if (!statSync(source.path).isFile()) throw new Error('not a file');
    } catch (error) {
      throw new MessageFileError(
        hostError('message', true, `cannot read message file ${source.path}: ${error.message}`),
        null,
        { cause: error },
      );
    }
  }
  return source;
}
