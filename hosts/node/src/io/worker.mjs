// The I/O thread of the blocking bridge (./bridge.mjs): runs each request's operation on its
// own event loop, posts the answer, then wakes the waiting thread through the shared signal.
// Enqueued writes have no answer: their bytes leave the shared count of queued bytes once
// Node.js handed them to the kernel.

import { workerData } from 'node:worker_threads';
import { createOperations } from './operations.mjs';

const { port, signal, resolver } = workerData;
/** The indexes in `signal` (see ./bridge.mjs): the last answered request, the queued bytes. */
const ANSWERED = 0;
const QUEUED = 1;
const operations = createOperations(resolver);

port.on('message', async ({ seq, op, args }) => {
  if (op === 'enqueue') {
    operations.enqueue(args, () => Atomics.sub(signal, QUEUED, args.data.byteLength));
    return;
  }
  let result;
  try {
    result = await operations[op](args);
  } catch (error) {
    result = { failed: String(error?.stack ?? error) };
  }
  if (seq === undefined) return; // fire and forget (close)
  port.postMessage({ seq, result });
  Atomics.store(signal, ANSWERED, seq);
  Atomics.notify(signal, ANSWERED);
});
