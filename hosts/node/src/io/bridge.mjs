// Blocking calls for the component's synchronous imports on Node 20: the operations
// (./operations.mjs) run on an I/O worker thread; the calling (wasm) thread posts a request,
// sleeps in `Atomics.wait` on a shared counter until the worker stores the request's number
// in it, and takes the answer with `receiveMessageOnPort` (no event loop turn needed).

import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

/** Extra time the caller waits beyond an operation's own timeout before giving up on the
 * worker (which enforces the timeout itself: this only guards against a dead worker). */
const GRACE_MS = 10_000;

/** The indexes in the shared signal: the number of the last answered request, and the bytes
 * of enqueued writes not yet handed to the kernel. */
const ANSWERED = 0;
const QUEUED = 1;

/** Written bytes that may wait in the worker without the writer waiting for them: a write
 * within this budget costs no round trip (the next read or write reports a failure). */
const QUEUE_BUDGET = 1 << 20;

/** The I/O thread did not answer in time, or failed. */
export class BridgeError extends Error {}

export class BlockingBridge {
  #worker;
  #port;
  #signal;
  #seq = 0;
  #failure = null;

  /** Starts the I/O worker for `resolver` (see createOperations). */
  constructor(resolver) {
    const { port1, port2 } = new MessageChannel();
    this.#signal = new Int32Array(new SharedArrayBuffer(8));
    this.#port = port1;
    this.#worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { port: port2, signal: this.#signal, resolver },
      transferList: [port2],
    });
    this.#worker.on('error', (error) => { this.#failure = error; });
    this.#worker.on('exit', (code) => { this.#failure ??= new Error(`exited with code ${code}`); });
    this.#worker.unref();
  }

  /** Runs `op` with `args` on the worker and returns its result, waiting at most `waitMs`
   * plus a grace period. `transfer`: ArrayBuffers of `args` moved to the worker, not copied.
   * @throws {BridgeError} when the worker failed or did not answer */
  call(op, args, waitMs, transfer = []) {
    if (this.#failure) throw new BridgeError(`the i/o thread failed: ${this.#failure.message}`);
    const seq = (this.#seq = (this.#seq % 0x7fffffff) + 1);
    this.#port.postMessage({ seq, op, args }, transfer);
    const deadline = Date.now() + waitMs + GRACE_MS;
    for (;;) {
      const current = Atomics.load(this.#signal, ANSWERED);
      if (current === seq) break;
      const left = deadline - Date.now();
      if (left <= 0 || this.#failure) {
        throw new BridgeError(this.#failure
          ? `the i/o thread failed: ${this.#failure.message}`
          : `the i/o thread did not answer ${op} within ${waitMs + GRACE_MS} ms`);
      }
      Atomics.wait(this.#signal, ANSWERED, current, left);
    }
    for (;;) {
      const received = receiveMessageOnPort(this.#port);
      if (received === undefined) throw new BridgeError(`no answer to ${op} on the port`);
      if (received.message.seq !== seq) continue; // the late answer of a call given up on
      if ('failed' in received.message.result) {
        throw new BridgeError(`${op} failed on the i/o thread: ${received.message.result.failed}`);
      }
      return received.message.result;
    }
  }

  /** Posts a write of `args.data` without waiting for it when the bytes already queued leave
   * room for it; false when they do not (then `call` the write, which waits). */
  enqueue(args, transfer = []) {
    const bytes = args.data.byteLength;
    if (this.#failure || Atomics.load(this.#signal, QUEUED) + bytes > QUEUE_BUDGET) return false;
    Atomics.add(this.#signal, QUEUED, bytes);
    this.#port.postMessage({ op: 'enqueue', args }, transfer);
    return true;
  }

  /** Posts `op` without waiting for it (closing a socket). */
  post(op, args) {
    if (!this.#failure) this.#port.postMessage({ op, args });
  }

  /** Stops the worker. */
  async terminate() {
    this.#port.close();
    await this.#worker.terminate();
  }
}
