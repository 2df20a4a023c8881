//! The session driver: pumps bytes between a sans-IO [`Session`] and a [`Transport`], feeds
//! it message data from a [`Message`], and turns the platform's clock into the `now`
//! arguments and timeouts the session asks for. Used by the `client` export and by every
//! session of a delivery attempt.

use std::time::{Duration, Instant};

use super::{Clock, Log, Message, MessageReader, Transport};
use crate::error::Error;
use crate::smtp::session::{
    Event, Session, SessionConfig, Transaction, TransactionFailure, TransactionOutcome,
};

/// How much message data is read at a time: few calls to the platform (one per 128 KiB costs
/// far less than copying them), and little held at once: the chunk being written and, with
/// BDAT, the one held back (guest memory stays well under 1 MiB for any message size).
const MESSAGE_CHUNK: usize = 128 * 1024;
/// How much is read from the connection at a time.
const READ_CHUNK: usize = 64 * 1024;
/// How much is read when looking for early input before the end of the data: a reply or two.
const EARLY_READ: usize = 4 * 1024;
/// The write deadline when the session has none pending (RFC 5321 §4.5.3.2.5, data block:
/// 3 minutes).
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(180);

/// A session and the connection it runs on.
#[derive(Debug)]
pub struct SessionDriver<T> {
    /// The session.
    pub session: Session,
    /// Its connection.
    pub transport: T,
    out: Vec<u8>,
    /// The platform wants the SMTP transcript.
    transcript: bool,
    /// The caller's limit for the whole session: no wait goes beyond it.
    limit: Option<Instant>,
}

impl<T: Transport> SessionDriver<T> {
    /// Starts a session with `config` on `transport`, which was just connected. Run it with
    /// [`SessionDriver::open`].
    pub fn new<P: Clock + Log>(platform: &P, config: SessionConfig, transport: T) -> Self {
        let mut session = Session::new(config, platform.now());
        let transcript = platform.transcript_enabled();
        if transcript {
            session.enable_transcript();
        }
        SessionDriver {
            session,
            transport,
            out: Vec::new(),
            transcript,
            limit: None,
        }
    }

    /// Sets the caller's limit (a delivery attempt's deadline): every wait ends by then, and
    /// past it the operation in progress fails with [`Error::Timeout`].
    pub fn set_limit(&mut self, limit: Option<Instant>) {
        self.limit = limit;
    }

    /// The session's deadline, or the caller's limit when that comes first.
    fn deadline(&self) -> Option<Instant> {
        match (self.session.poll_timeout(), self.limit) {
            (Some(deadline), Some(limit)) => Some(deadline.min(limit)),
            (deadline, _) => deadline,
        }
    }

    /// A wait ran out at `now`: the session's deadline, or the caller's limit.
    fn timed_out(&mut self, now: Instant) {
        if self.limit.is_some_and(|limit| now >= limit) {
            self.session
                .handle_transport_error(now, Error::timeout(None));
        } else {
            self.session.handle_timeout(now);
        }
    }

    /// Runs the opening (greeting, EHLO, TLS, AUTH) to its end, and logs how TLS went.
    ///
    /// # Errors
    /// Why the session could not be opened ([`Event::OpenFailed`]).
    pub fn open<P: Clock + Log>(&mut self, platform: &mut P) -> Result<(), Error> {
        let opened = self.run_until(platform, None, |event| match event {
            Event::Ready => Some(Ok(())),
            Event::OpenFailed(error) => Some(Err(error)),
            _ => None,
        });
        self.log_tls(platform);
        opened
    }

    /// Sends QUIT (when the session is usable) and runs until the session is closed.
    pub fn close<P: Clock + Log>(&mut self, platform: &mut P) {
        self.session.quit(platform.now());
        self.run_until(platform, None, |event| {
            matches!(event, Event::Closed).then_some(())
        });
    }

    /// Runs one transaction of `message` (read from its start), whose size stands in for
    /// the transaction's when that is unknown (SIZE= on MAIL FROM, RFC 1870 §6).
    ///
    /// # Errors
    /// The transaction's failure: refused before anything was sent, or by the server.
    pub fn transaction<P: Clock + Log>(
        &mut self,
        platform: &mut P,
        mut transaction: Transaction,
        message: &dyn Message,
    ) -> Result<TransactionOutcome, TransactionFailure> {
        transaction.size = transaction.size.or_else(|| message.size());
        self.session
            .start_transaction(platform.now(), transaction)
            .map_err(|error| TransactionFailure {
                error,
                recipients: Vec::new(),
            })?;
        let mut reader = MessageReader::new(message);
        self.run_until(platform, Some(&mut reader), |event| match event {
            Event::TransactionDone(result) => Some(result),
            _ => None,
        })
    }

    /// Tells the log (debug level) how TLS went: version, cipher suite, the DANE record that
    /// verified the server, the PKIX verdict. Nothing without TLS.
    fn log_tls<L: Log>(&self, log: &mut L) {
        if !log.debug_enabled() {
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
        log.debug(&format!(
            "tls: {} {}, {dane}, {pkix}",
            state.version, state.cipher_suite
        ));
    }

    /// Hands the session's transcript lines to the log.
    fn log_transcript<L: Log>(&mut self, log: &mut L) {
        if !self.transcript {
            return;
        }
        while let Some(line) = self.session.poll_transcript() {
            log.transcript(line.direction, &line.text);
        }
    }

    /// Runs the session until `select` picks an event, reading message data from `message`
    /// whenever the session asks for it.
    ///
    /// Message data is taken before anything is written, so what the session queued (MAIL,
    /// RCPT and BDAT with the data, say) goes out in one write while it fits below the
    /// session's high-water mark, as a buffered writer sends it. Every wait is bounded by the
    /// session's deadline, so this returns in bounded time.
    pub fn run_until<P: Clock + Log, R>(
        &mut self,
        platform: &mut P,
        mut message: Option<&mut MessageReader<'_>>,
        mut select: impl FnMut(Event) -> Option<R>,
    ) -> R {
        loop {
            self.log_transcript(platform);
            if self.session.wants_message_data()
                && let Some(message) = message.as_deref_mut()
            {
                self.feed_message(platform, message);
                continue;
            }
            // Bytes before events (the session's poll order): a failure's TLS alert reaches
            // the server before the event that ends the wait drops the connection.
            if self.flush(platform) {
                continue;
            }
            while let Some(event) = self.session.poll_event() {
                if let Some(done) = select(event) {
                    return done;
                }
            }
            if self.session.wants_read() {
                self.read(platform);
                continue;
            }
            // Nothing to send, nothing to wait for and no event: the session is idle. Let it
            // see the time once more; if it still has nothing to say, that is a bug.
            self.session.handle_timeout(platform.now());
            if let Some(event) = self.session.poll_event() {
                if let Some(done) = select(event) {
                    return done;
                }
                continue;
            }
            let error = Error::internal("session stalled: no event, nothing to send or read");
            self.session.handle_transport_error(platform.now(), error);
        }
    }

    /// Writes what the session has queued. Returns whether anything was written or failed.
    fn flush<C: Clock>(&mut self, clock: &C) -> bool {
        self.out.clear();
        if self.session.poll_transmit(&mut self.out) == 0 {
            return false;
        }
        let timeout = match self.deadline() {
            Some(deadline) => deadline.saturating_duration_since(clock.now()),
            None => DEFAULT_WRITE_TIMEOUT,
        };
        if let Err(error) = self.transport.write(&self.out, timeout) {
            self.session.handle_transport_error(clock.now(), error);
        }
        // A chunk of message data written from its own buffer: freed now, before the next
        // one is read, so that two are not held at once.
        if self.out.capacity() >= MESSAGE_CHUNK / 2 {
            self.out = Vec::new();
        }
        true
    }

    /// Waits for bytes from the server until the session's deadline (or the caller's limit).
    /// Once it has passed, what has already arrived still counts: the read does not wait.
    fn read<C: Clock>(&mut self, clock: &C) {
        let Some(deadline) = self.deadline() else {
            let error = Error::internal("session waits for a reply without a deadline");
            self.session.handle_transport_error(clock.now(), error);
            return;
        };
        let wait = deadline.saturating_duration_since(clock.now());
        match self.transport.read(READ_CHUNK, wait) {
            Ok(bytes) if bytes.is_empty() => self.session.handle_eof(clock.now()),
            Ok(bytes) => self.session.handle_input(clock.now(), &bytes),
            Err(Error::Timeout { .. }) => self.timed_out(clock.now()),
            Err(error) => self.session.handle_transport_error(clock.now(), error),
        }
    }

    /// Gives the session the next chunk of the message, or tells it the message ended.
    /// Errors from the session (a bare LF, say) surface as its transaction event.
    fn feed_message<C: Clock>(&mut self, clock: &C, message: &mut MessageReader<'_>) {
        let now = clock.now();
        let fed = match message.next_chunk(MESSAGE_CHUNK) {
            // The chunk is handed over: when it needs no encoding it is written as it is.
            Ok(Some(chunk)) => self.session.push_message_buffer(now, chunk),
            // A reply that arrived while the data was being written cannot be the reply to
            // the end of the data (RFC 5321 §4.1.1.4): look once, without waiting, before
            // the end goes out, so that the session refuses it instead of taking it for the
            // final 250.
            Ok(None) if self.early_input(now) => return,
            Ok(None) => self.session.finish_message(now),
            Err(error) => Err(error),
        };
        // A refused or unreadable message ends the transaction without the final ".", so
        // the server never accepts a partial message.
        if let Err(error) = fed {
            self.session.handle_transport_error(now, error);
        }
    }

    /// Hands the session what the server sent so far, without waiting. Returns whether
    /// anything (bytes or the end of the stream) arrived.
    fn early_input(&mut self, now: Instant) -> bool {
        match self.transport.read(EARLY_READ, Duration::ZERO) {
            Ok(bytes) if bytes.is_empty() => self.session.handle_eof(now),
            Ok(bytes) => self.session.handle_input(now, &bytes),
            // Nothing yet; a failure shows on the next read that waits.
            Err(_) => return false,
        }
        true
    }
}
