//! The `log` import: the component's transcript and log lines, handed to a [`Logger`].

use crate::bindings::log::{self, Direction, Level};
use crate::state::HostState;

/// Where the component's diagnostics go. Implement it to route them into your own logging.
pub trait Logger: Send + Sync {
    /// Whether lines of `level` are wanted; transcript lines count as `Info`.
    fn enabled(&self, level: Level) -> bool;
    /// One SMTP line, without CRLF; AUTH payloads arrive redacted.
    fn transcript(&self, direction: Direction, line: &str);
    /// One log line.
    fn log(&self, level: Level, message: &str);
}

/// Discards everything.
pub struct Silent;

impl Logger for Silent {
    fn enabled(&self, _level: Level) -> bool {
        false
    }
    fn transcript(&self, _direction: Direction, _line: &str) {}
    fn log(&self, _level: Level, _message: &str) {}
}

/// Writes to standard error: `verbosity` 1 shows the transcript, 2 adds debug lines.
pub struct Stderr {
    pub verbosity: u8,
}

impl Logger for Stderr {
    fn enabled(&self, level: Level) -> bool {
        match level {
            Level::Error | Level::Warn => true,
            Level::Info => self.verbosity >= 1,
            Level::Debug | Level::Trace => self.verbosity >= 2,
        }
    }

    fn transcript(&self, direction: Direction, line: &str) {
        if self.verbosity >= 1 {
            let arrow = match direction {
                Direction::Client => "C:",
                Direction::Server => "S:",
            };
            eprintln!("{arrow} {line}");
        }
    }

    fn log(&self, level: Level, message: &str) {
        if self.enabled(level) {
            eprintln!("[{level:?}] {message}");
        }
    }
}

impl log::Host for HostState {
    async fn enabled(&mut self, level: Level) -> wasmtime::Result<bool> {
        Ok(self.logger.enabled(level))
    }

    async fn transcript(&mut self, direction: Direction, line: String) -> wasmtime::Result<()> {
        self.logger.transcript(direction, &line);
        Ok(())
    }

    async fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.logger.log(level, &message);
        Ok(())
    }
}
