//! The I/O driver: pumps bytes between a sans-IO [`Session`] and a `tcp` connection, reads
//! message data from a WASI input stream, and turns the monotonic clock into the `now`
//! arguments and socket timeouts the core asks for.

use super::convert::tcp_error;
use super::smtp::client::log::{self, Direction, Level};
use super::smtp::client::tcp::Connection;
use super::wasi::io::streams::{InputStream, StreamError};
use crate::error::Error;
use crate::smtp::session::{Event, Session};
use std::time::{Duration, Instant};

/// How much message data is read from the input stream at a time.
const MESSAGE_CHUNK: u64 = 64 * 1024;
/// How much is read from the socket at a time.
const READ_CHUNK: u32 = 64 * 1024;
/// The write deadline when the core has none pending (RFC 5321 §4.5.3.2.5, data block: 3 minutes).
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(180);

/// A session and the connection it runs on.
pub struct Driver {
    pub session: Session,
    pub conn: Connection,
    out: Vec<u8>,
    transcript: Transcript,
}

impl Driver {
    pub fn new(session: Session, conn: Connection) -> Self {
        Driver {
            session,
            conn,
            out: Vec::new(),
            transcript: Transcript::new(),
        }
    }

    /// Run the session until `select` picks an event, reading message data from `message`
    /// whenever the session asks for it.
    ///
    /// Every wait is bounded by the core's deadline, so this returns in bounded time.
    pub fn run_until<T>(
        &mut self,
        message: Option<&InputStream>,
        mut select: impl FnMut(Event) -> Option<T>,
    ) -> T {
        loop {
            while let Some(event) = self.session.poll_event() {
                if let Some(done) = select(event) {
                    return done;
                }
            }
            if self.flush() {
                continue;
            }
            if self.session.wants_message_data()
                && let Some(message) = message
            {
                self.feed_message(message);
                continue;
            }
            if self.session.wants_read() {
                self.read();
                continue;
            }
            // Nothing to send, nothing to wait for and no event: the core is idle. Let it
            // see the time once more; if it still has nothing to say, that is a core bug.
            self.session.handle_timeout(Instant::now());
            if let Some(event) = self.session.poll_event() {
                if let Some(done) = select(event) {
                    return done;
                }
                continue;
            }
            let error = Error::internal("session stalled: no event, nothing to send or read");
            self.session.handle_transport_error(Instant::now(), error);
        }
    }

    /// Write what the session has queued. Returns whether anything was written or failed.
    fn flush(&mut self) -> bool {
        self.out.clear();
        if self.session.poll_transmit(&mut self.out) == 0 {
            return false;
        }
        self.transcript.client(&self.out);
        let timeout = self.timeout_ms(DEFAULT_WRITE_TIMEOUT);
        if let Err(error) = self.conn.write(&self.out, timeout) {
            let error = tcp_error(&error, None);
            self.session.handle_transport_error(Instant::now(), error);
        }
        true
    }

    /// Wait for bytes from the server until the core's deadline.
    fn read(&mut self) {
        let Some(deadline) = self.session.poll_timeout() else {
            let error = Error::internal("session waits for a reply without a deadline");
            self.session.handle_transport_error(Instant::now(), error);
            return;
        };
        let now = Instant::now();
        if now >= deadline {
            self.session.handle_timeout(now);
            return;
        }
        match self.conn.read(READ_CHUNK, millis(deadline - now)) {
            Ok(bytes) if bytes.is_empty() => self.session.handle_eof(Instant::now()),
            Ok(bytes) => {
                self.transcript.server(&bytes);
                self.session.handle_input(Instant::now(), &bytes);
            }
            Err(super::smtp::client::tcp::TcpError::Timeout) => {
                self.session.handle_timeout(Instant::now())
            }
            Err(error) => {
                let error = tcp_error(&error, None);
                self.session.handle_transport_error(Instant::now(), error);
            }
        }
    }

    /// Give the session the next chunk of the message, or tell it the message ended.
    /// Errors from the session (a bare LF, say) surface as its transaction event.
    fn feed_message(&mut self, message: &InputStream) {
        self.transcript.data_follows();
        let now = Instant::now();
        let fed = match message.blocking_read(MESSAGE_CHUNK) {
            Ok(chunk) => self.session.push_message_data(now, &chunk),
            Err(StreamError::Closed) => self.session.finish_message(now),
            Err(StreamError::LastOperationFailed(error)) => Err(Error::io(format!(
                "reading the message: {}",
                error.to_debug_string()
            ))),
        };
        // A refused or unreadable message ends the transaction without the final ".", so
        // the server never accepts a partial message.
        if let Err(error) = fed {
            self.session.handle_transport_error(now, error);
        }
    }

    /// Milliseconds until the core's deadline, or `default` when it has none.
    fn timeout_ms(&self, default: Duration) -> u32 {
        match self.session.poll_timeout() {
            Some(deadline) => millis(deadline.saturating_duration_since(Instant::now())),
            None => millis(default),
        }
    }
}

/// A duration as a socket timeout: at least 1 ms (0 could mean "don't wait" to a host).
fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis())
        .unwrap_or(u32::MAX)
        .max(1)
}

/// Sends the SMTP conversation to the host's `log` import, line by line, with message data
/// summarised instead of copied.
struct Transcript {
    enabled: bool,
    in_data: bool,
    data_bytes: u64,
    server_partial: Vec<u8>,
    /// Inside an AUTH exchange: every client line but "*" carries credentials (RFC 4954 §4)
    /// until the server's final reply.
    in_auth: bool,
}

impl Transcript {
    fn new() -> Self {
        Transcript {
            enabled: log::enabled(Level::Info),
            in_data: false,
            data_bytes: 0,
            server_partial: Vec::new(),
            in_auth: false,
        }
    }

    fn data_follows(&mut self) {
        self.in_data = true;
    }

    fn client(&mut self, bytes: &[u8]) {
        if !self.enabled {
            return;
        }
        if self.in_data {
            self.data_bytes += bytes.len() as u64;
            if bytes.ends_with(b"\r\n.\r\n") || bytes == b".\r\n" {
                log::transcript(
                    Direction::Client,
                    &format!("({} bytes of message data, then \".\")", self.data_bytes),
                );
                self.in_data = false;
                self.data_bytes = 0;
            }
            return;
        }
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = if line.len() >= 5 && line[..5].eq_ignore_ascii_case(b"AUTH ") {
                self.in_auth = true;
                redact(line)
            } else if self.in_auth && line != b"*" {
                "<redacted>".to_string()
            } else {
                String::from_utf8_lossy(line).into_owned()
            };
            log::transcript(Direction::Client, &text);
        }
    }

    fn server(&mut self, bytes: &[u8]) {
        if !self.enabled {
            return;
        }
        self.server_partial.extend_from_slice(bytes);
        while let Some(end) = self.server_partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.server_partial.drain(..=end).collect();
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            // RFC 4954 §4: any final reply but a 334 continuation ends the exchange.
            if line.get(3).is_none_or(|&b| b == b' ') && !line.starts_with(b"334") {
                self.in_auth = false;
            }
            log::transcript(Direction::Server, &String::from_utf8_lossy(line));
        }
    }
}

/// An AUTH line for the transcript: its initial response is never shown (RFC 4954 secrets).
fn redact(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let mechanism = text[5..].split(' ').next().unwrap_or("");
    format!("AUTH {mechanism} <redacted>")
}
