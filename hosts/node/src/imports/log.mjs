// The `log` import (wit/log.wit) over a logger object of the embedder: `{enabled(level),
// transcript(direction, line), log(level, message)}`, each optional.

/** The levels in order of importance, as the contract names them. */
export const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];

/** A logger that prints the transcript (`verbosity` 1) and log lines up to debug (2) to
 * `stream`, AUTH payloads arriving already redacted. */
export function stderrLogger(verbosity, stream = process.stderr) {
  const limit = verbosity >= 2 ? LEVELS.indexOf('debug') : LEVELS.indexOf('warn');
  return {
    enabled: (level) => verbosity > 0 && LEVELS.indexOf(level) <= limit,
    transcript: (direction, line) => stream.write(`${direction === 'client' ? 'C:' : 'S:'} ${line}\n`),
    log: (level, message) => stream.write(`${level}: ${message}\n`),
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
