// The `log` import (wit/log.wit) over a logger object of the embedder: `{enabled(level),
// transcript(direction, line), log(level, message)}`, each optional.

/** The levels in order of importance, as the contract names them. */
export const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];

/** As host-example's `-v` and `-vv`: nothing at `verbosity` 0; the transcript and log lines
 * up to info at 1; up to trace at 2; to `stream`, AUTH payloads arriving already redacted. */
export function stderrLogger(verbosity, stream = process.stderr) {
  if (verbosity <= 0) return null;
  const limit = LEVELS.indexOf(verbosity >= 2 ? 'trace' : 'info');
  const name = (level) => level[0].toUpperCase() + level.slice(1);
  return {
    enabled: (level) => LEVELS.indexOf(level) <= limit,
    transcript: (direction, line) => stream.write(`${direction === 'client' ? 'C:' : 'S:'} ${line}\n`),
    log: (level, message) => stream.write(`[${name(level)}] ${message}\n`),
  };
}

/** The `smtp:client/log` import object for `logger` (none: silent). */
export function logImport(logger) {
  return {
    enabled: (level) => Boolean(logger?.enabled?.(level)),
    transcript: (direction, line) => logger?.transcript?.(direction, line),
    log: (level, message) => logger?.log?.(level, message),
  };
}
