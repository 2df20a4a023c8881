// The `resolver` import (wit/resolver.wit): each lookup runs on the I/O side (the blocking
// bridge's worker, or the main thread under JSPI) by ../dns/lookups.mjs.

import { err } from './result.mjs';
import { guarded } from './result.mjs';

/** The `smtp:client/resolver` import object for `io`; `waitMs` bounds one lookup. */
export function resolverImport(io, waitMs) {
  const failed = (message) => err({ tag: 'temporary', val: { message: `the i/o thread failed: ${message}` } });
  const lookup = (op, args) => guarded(io, op, args, waitMs, failed);
  return {
    lookupCname: (name) => lookup('lookupCname', { name }),
    lookupMx: (name) => lookup('lookupMx', { name }),
    lookupIp: (name, family) => lookup('lookupIp', { name, family }),
    lookupTlsa: (port, protocol, host) => lookup('lookupTlsa', { port, protocol, host }),
    lookupTxt: (name) => lookup('lookupTxt', { name }),
  };
}
