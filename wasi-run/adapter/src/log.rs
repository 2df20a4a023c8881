//! What reaches stderr, by verbosity: 0 errors and warnings only; 1 also the SMTP
//! transcript and informational lines (`-v`); 2 also debug and trace lines and every DNS
//! lookup (`-vv`). The same rules and line formats as `host-example`.

/// How important a log line is (the WIT `log.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Which side sent a transcript line (the WIT `log.direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Client,
    Server,
}

/// The verbosity `configure` set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verbosity(pub u8);

impl Verbosity {
    /// Whether lines of `level` are shown; transcript lines count as `Info`.
    pub fn enabled(self, level: Level) -> bool {
        match level {
            Level::Error | Level::Warn => true,
            Level::Info => self.0 >= 1,
            Level::Debug | Level::Trace => self.0 >= 2,
        }
    }

    /// Whether every DNS lookup is shown.
    pub fn shows_lookups(self) -> bool {
        self.0 >= 2
    }

    /// The stderr line of a transcript line, if shown.
    pub fn transcript(self, direction: Direction, line: &str) -> Option<String> {
        let arrow = match direction {
            Direction::Client => "C:",
            Direction::Server => "S:",
        };
        self.enabled(Level::Info).then(|| format!("{arrow} {line}"))
    }

    /// The stderr line of a log line, if shown.
    pub fn log(self, level: Level, message: &str) -> Option<String> {
        self.enabled(level)
            .then(|| format!("[{level:?}] {message}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_by_verbosity() {
        let levels = [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ];
        for (verbosity, shown) in [(0, 2), (1, 3), (2, 5), (9, 5)] {
            let verbosity = Verbosity(verbosity);
            let count = levels.iter().filter(|l| verbosity.enabled(**l)).count();
            assert_eq!(count, shown, "{verbosity:?}");
        }
        assert_eq!(Verbosity(0).transcript(Direction::Client, "EHLO x"), None);
        assert_eq!(
            Verbosity(1)
                .transcript(Direction::Server, "250 ok")
                .as_deref(),
            Some("S: 250 ok")
        );
        assert_eq!(
            Verbosity(0).log(Level::Warn, "careful").as_deref(),
            Some("[Warn] careful")
        );
        assert_eq!(Verbosity(1).log(Level::Debug, "detail"), None);
        assert!(!Verbosity(1).shows_lookups());
        assert!(Verbosity(2).shows_lookups());
    }
}
