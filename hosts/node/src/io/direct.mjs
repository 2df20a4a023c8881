// The operations (./operations.mjs) on the calling thread's own event loop, for JSPI (Node
// 24+): an import returns the operation's Promise and `WebAssembly.Suspending` suspends the
// guest until it settles, so nothing blocks and no worker thread is needed.

import { createOperations } from './operations.mjs';

export class DirectIo {
  #operations;

  /** The operations for `resolver` (see createOperations). */
  constructor(resolver) {
    this.#operations = createOperations(resolver);
  }

  /** The operation's Promise (the wait is its own timeout). */
  call(op, args) {
    return this.#operations[op](args);
  }

  /** Starts `op` without waiting for it (closing a socket). */
  post(op, args) {
    void this.#operations[op](args);
  }

  async terminate() {}
}
