// Helpers shared by the imports: WIT `result` values as jco takes them from host functions,
// and one way to post-process a value that is either plain (the blocking bridge) or a
// Promise (JSPI).

export const ok = (val) => ({ tag: 'ok', val });
export const err = (val) => ({ tag: 'err', val });

/** `f(value)`, after `value` settles when it is a Promise. */
export function then(value, f) {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** `io.call(op, args, waitMs, transfer)` with a failure of the I/O thread turned into `onFailure(message)`,
 * for the imports to return as their own error (a thrown Error would trap the guest). */
export function guarded(io, op, args, waitMs, onFailure, transfer = []) {
  try {
    const result = io.call(op, args, waitMs, transfer);
    return result instanceof Promise ? result.catch((e) => onFailure(e.message)) : result;
  } catch (error) {
    return onFailure(error.message);
  }
}

/** `Symbol.dispose`, which jco calls when the guest drops an imported resource. */
export const dispose = Symbol.dispose ?? Symbol.for('dispose');
