//! The SMTP conversation as lines, for the caller's logs: commands and replies as they are
//! inside TLS, message data summarised, and AUTH arguments never shown (RFC 4954 §4 carries
//! credentials in them).

use crate::smtp::command::Command;
use std::collections::VecDeque;

/// Who sent a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// We did.
    Client,
    /// The server did.
    Server,
}

/// One line of the conversation, without CRLF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    pub direction: Direction,
    pub text: String,
}

/// Collects transcript lines once enabled; costs nothing until then.
#[derive(Debug, Default)]
pub(super) struct Transcript {
    enabled: bool,
    lines: VecDeque<TranscriptLine>,
    /// A server line whose end has not arrived yet.
    partial: Vec<u8>,
    /// Message data written since the last summary.
    data_bytes: u64,
}

impl Transcript {
    pub(super) fn enable(&mut self) {
        self.enabled = true;
    }

    /// A command we send: AUTH shows only its mechanism.
    pub(super) fn command(&mut self, command: &Command<'_>) {
        if !self.enabled {
            return;
        }
        self.summarise_data();
        let text = match command {
            Command::Auth { mechanism, .. } => format!("AUTH {mechanism} <redacted>"),
            other => {
                let mut encoded = Vec::new();
                other.encode(&mut encoded);
                let line = encoded.strip_suffix(b"\r\n").unwrap_or(&encoded);
                String::from_utf8_lossy(line).into_owned()
            }
        };
        self.push(Direction::Client, text);
    }

    /// A line of the AUTH exchange (RFC 4954 §4): the command shows its mechanism, the cancel
    /// "*" shows as itself, every other line carries credentials and is redacted.
    pub(super) fn auth_line(&mut self, line: &[u8]) {
        if !self.enabled {
            return;
        }
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        let text = if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"AUTH ") {
            let mechanism = line[5..].split(|&b| b == b' ').next().unwrap_or_default();
            format!("AUTH {} <redacted>", String::from_utf8_lossy(mechanism))
        } else if line == b"*" {
            "*".to_string()
        } else {
            "<redacted>".to_string()
        };
        self.push(Direction::Client, text);
    }

    /// Message data we send: counted, shown as one summary line.
    pub(super) fn data(&mut self, bytes: usize) {
        if self.enabled {
            self.data_bytes += bytes as u64;
        }
    }

    /// Plaintext received from the server.
    pub(super) fn received(&mut self, bytes: &[u8]) {
        if !self.enabled {
            return;
        }
        self.summarise_data();
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(line).into_owned();
            self.push(Direction::Server, text);
        }
    }

    pub(super) fn next(&mut self) -> Option<TranscriptLine> {
        self.lines.pop_front()
    }

    fn summarise_data(&mut self) {
        if self.data_bytes > 0 {
            let text = format!("<{} bytes of message data>", self.data_bytes);
            self.data_bytes = 0;
            self.push(Direction::Client, text);
        }
    }

    fn push(&mut self, direction: Direction, text: String) {
        self.lines.push_back(TranscriptLine { direction, text });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(transcript: &mut Transcript) -> Vec<(Direction, String)> {
        std::iter::from_fn(|| transcript.next())
            .map(|line| (line.direction, line.text))
            .collect()
    }

    #[test]
    fn nothing_is_recorded_until_enabled() {
        let mut transcript = Transcript::default();
        transcript.command(&Command::Rset);
        transcript.received(b"250 ok\r\n");
        assert!(transcript.next().is_none());
    }

    #[test]
    fn lines_in_order_with_data_summarised_and_auth_redacted() {
        let mut t = Transcript::default();
        t.enable();
        t.received(b"220 mx.exa");
        t.received(b"mple ESMTP\r\n250-a\n");
        t.command(&Command::Auth {
            mechanism: "PLAIN",
            initial_response: Some(b"\0user\0secret"),
        });
        t.auth_line(b"AUTH SCRAM-SHA-256 biwsbj11c2Vy\r\n");
        t.auth_line(b"Yz1iaXdzLHI9cmVzdA==\r\n");
        t.auth_line(b"*\r\n");
        t.command(&Command::Data);
        t.data(1000);
        t.data(24);
        t.received(b"250 queued\r\n");
        let client = Direction::Client;
        let server = Direction::Server;
        assert_eq!(
            texts(&mut t),
            [
                (server, "220 mx.example ESMTP".to_string()),
                (server, "250-a".to_string()),
                (client, "AUTH PLAIN <redacted>".to_string()),
                (client, "AUTH SCRAM-SHA-256 <redacted>".to_string()),
                (client, "<redacted>".to_string()),
                (client, "*".to_string()),
                (client, "DATA".to_string()),
                (client, "<1024 bytes of message data>".to_string()),
                (server, "250 queued".to_string()),
            ]
        );
    }
}
