// The I/O thread of the blocking bridge (./bridge.mjs): runs each request's operation on its
// own event loop, posts the answer, then wakes the waiting thread through the shared signal.

import { workerData } from 'node:worker_threads';
import { createOperations } from './operations.mjs';

const { port, signal, resolver } = workerData;
const operations = createOperations(resolver);

port.on('message', async ({ seq, op, args }) => {
  let result;
  try {
    result = await operations[op](args);
  } catch (error) {
    result = { failed: String(error?.stack ?? error) };
  }
  if (seq === undefined) return; // fire and forget (close)
  port.postMessage({ seq, result });
  Atomics.store(signal, 0, seq);
  Atomics.notify(signal, 0);
});
