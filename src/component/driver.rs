//! The I/O driver: pumps bytes between a sans-IO [`Session`] and a `tcp` connection, reads
//! message data from a WASI input stream, and turns the monotonic clock into the `now`
//! arguments and socket timeouts the core asks for.

use super::convert::tcp_error;
use super::smtp::client::log::{self, Direction, Level};
use super::smtp::client::tcp::Connection;
use super::wasi::io::streams::{InputStream, StreamError};
use crate::error::Error;
use crate::smtp::session::Direction as CoreDirection;
use crate::smtp::session::{Event, Session};
use std::time::{Duration, Instant};

/// How much message data is read from the input stream at a time.
const MESSAGE_CHUNK: u64 = 64 * 1024;
/// How much is read from the socket at a time.
const READ_CHUNK: u32 = 64 * 1024;
/// How much is read when looking for early input before the end of the data: a reply or two.
const EARLY_READ: u32 = 4 * 1024;
/// The write deadline when the core has none pending (RFC 5321 §4.5.3.2.5, data block: 3 minutes).
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(180);

/// A session and the connection it runs on.
pub struct Driver {
    pub session: Session,
    pub conn: Connection,
    out: Vec<u8>,
    /// The host wants the SMTP transcript.
    transcript: bool,
}

impl Driver {
    pub fn new(mut session: Session, conn: Connection) -> Self {
        let transcript = log::enabled(Level::Info);
        if transcript {
            session.enable_transcript();
        }
        Driver {
            session,
            conn,
            out: Vec::new(),
            transcript,
        }
    }

    /// Tell the host's `log` (debug level) how TLS went: version, cipher suite, the DANE
    /// record that verified the server, the PKIX verdict. Nothing without TLS.
    pub fn log_tls(&self) {
        if !log::enabled(Level::Debug) {
            return;
        }
        let Some(state) = self.session.tls_state() else {
            return;
        };
        let dane = state.dane_verified_record.map_or_else(
            || "not verified by dane".to_string(),
            |r| format!("dane-verified by {r}"),
        );
        let pkix = if state.pkix_valid {
            "pkix valid"
        } else {
            "pkix not valid"
        };
        log::log(
            Level::Debug,
            &format!(
                "tls: {} {}, {dane}, {pkix}",
                state.version, state.cipher_suite
            ),
        );
    }

    /// Hand the session's transcript lines to the host's `log` import.
    fn log_transcript(&mut self) {
        if !self.transcript {
            return;
        }
        while let Some(line) = self.session.poll_transcript() {
            let direction = match line.direction {
                CoreDirection::Client => Direction::Client,
                CoreDirection::Server => Direction::Server,
            };
            log::transcript(direction, &line.text);
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
            self.log_transcript();
            // Bytes before events (the core's poll order): a failure's TLS alert reaches the
            // server before the event that ends the wait drops the connection.
            if self.flush() {
                continue;
            }
            while let Some(event) = self.session.poll_event() {
                if let Some(done) = select(event) {
                    return done;
                }
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
            Ok(bytes) => self.session.handle_input(Instant::now(), &bytes),
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
        let now = Instant::now();
        let fed = match message.blocking_read(MESSAGE_CHUNK) {
            Ok(chunk) => self.session.push_message_data(now, &chunk),
            // A reply that arrived while the data was being written cannot be the reply to
            // the end of the data (RFC 5321 §4.1.1.4): look once, without waiting, before
            // the end goes out, so that the session refuses it instead of taking it for the
            // final 250.
            Err(StreamError::Closed) if self.early_input(now) => return,
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

    /// Hands the session what the server sent so far, without waiting (a `tcp` read with a
    /// zero timeout). Returns whether anything (bytes or the end of the stream) arrived.
    fn early_input(&mut self, now: Instant) -> bool {
        match self.conn.read(EARLY_READ, 0) {
            Ok(bytes) if bytes.is_empty() => self.session.handle_eof(now),
            Ok(bytes) => self.session.handle_input(now, &bytes),
            // Nothing yet; a failure shows on the next read that waits.
            Err(_) => return false,
        }
        true
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
