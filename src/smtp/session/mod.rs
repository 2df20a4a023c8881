//! The SMTP client session: a state machine over one connection that performs no I/O.
//!
//! The driver feeds it what the socket delivers and the current time, and polls it for bytes
//! to write, the next deadline and events (quinn's method taxonomy):
//!
//! - getters: [`Session::extensions`], [`Session::greeting`], [`Session::is_botched`],
//!   [`Session::is_closed`], [`Session::wants_read`], [`Session::wants_message_data`];
//! - input handlers: [`Session::handle_input`], [`Session::handle_eof`],
//!   [`Session::handle_transport_error`], [`Session::handle_timeout`];
//! - commands: [`Session::start_transaction`], [`Session::push_message_data`] (or
//!   [`Session::push_message_buffer`]), [`Session::finish_message`], [`Session::reset`],
//!   [`Session::quit`];
//! - polls, in this order after every input or command: [`Session::poll_transmit`],
//!   [`Session::poll_event`], [`Session::poll_timeout`].
//!
//! The dialogue follows the reference client (mox), minus its bugs: greeting, EHLO
//! with HELO fallback (RFC 5321 §4.1.1.1), STARTTLS (RFC 3207) or implicit TLS (RFC 8314)
//! with EHLO again after it, AUTH when configured (RFC 4954, the `auth` module of the
//! session), transactions pipelined when offered (RFC 2920) with BDAT instead of DATA when
//! CHUNKING is offered (RFC 3030, the `bdat` module), RSET before a
//! transaction that follows a failed one, QUIT. Time only comes in as `now` arguments, which
//! must not decrease. TLS: see [`Session::tls_state`] and the `tls` module of the session.
//!
//! A *botched* session (mox's term: an I/O error, a timeout, a protocol violation, refused or
//! abandoned message data) gives the connection up: its pending operation fails, then
//! [`Event::Closed`] tells the driver to close the socket, and later commands fail with
//! [`Error::Botched`].

mod auth;
mod bdat;
mod config;
mod tls;
mod transaction;
mod transcript;
mod transport;

use std::collections::VecDeque;
use std::time::Instant;

pub use config::{AuthConfig, SessionConfig, Timeouts, TlsMode};
pub use transaction::{RecipientResult, Transaction, TransactionFailure, TransactionOutcome};
pub use transcript::{Direction, TranscriptLine};

use self::transaction::Txn;
use self::transport::Transport;
use crate::error::Error;
use crate::event::{CommandClock, Event as Observed, EventLog};
use crate::smtp::auth::AuthExchange;
use crate::smtp::command::{Command, CommandKind};
use crate::smtp::extensions::Extensions;
use crate::smtp::reply::{ProtocolError, Reply, ReplyCode};
use crate::tlsrpt::{ReportContext, TlsResults};

/// While less than this many bytes wait to be written, the session asks for message data.
pub const MESSAGE_DATA_HIGH_WATER: usize = 64 * 1024;

/// What the session reports to the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Greeting, EHLO (or HELO), TLS and AUTH are done: transactions may start.
    Ready,
    /// Opening failed: greeting, EHLO or HELO refused, TLS needed, authentication failed
    /// ([`Error::Auth`]), or the connection failed.
    /// After a refusal the session is not botched, and [`Session::quit`] sends QUIT.
    OpenFailed(Error),
    /// The transaction started with [`Session::start_transaction`] ended.
    TransactionDone(Result<TransactionOutcome, TransactionFailure>),
    /// The RSET started with [`Session::reset`] ended.
    ResetDone(Result<(), Error>),
    /// The session is finished with the connection: the driver closes it. Emitted once, after
    /// QUIT (its reply read, or its deadline passed) or after a fatal error.
    Closed,
}

/// A reply the session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    /// The TLS handshake (after STARTTLS, or first with implicit TLS).
    Handshake,
    /// A reply during the AUTH exchange (RFC 4954 §4).
    Auth,
    Rset,
    MailFrom,
    RcptTo,
    /// The 354 to DATA.
    Data,
    /// The reply after the final ".".
    DataEnd,
    /// The reply to a BDAT chunk (RFC 3030 §2), the one with LAST or another.
    Bdat {
        last: bool,
    },
    Quit,
}

impl Expect {
    fn kind(self) -> CommandKind {
        match self {
            Self::Greeting => CommandKind::Greeting,
            Self::Ehlo => CommandKind::Ehlo,
            Self::Helo => CommandKind::Helo,
            Self::StartTls | Self::Handshake => CommandKind::StartTls,
            Self::Auth => CommandKind::Auth,
            Self::Rset => CommandKind::Rset,
            Self::MailFrom => CommandKind::MailFrom,
            Self::RcptTo => CommandKind::RcptTo,
            Self::Data | Self::DataEnd => CommandKind::Data,
            Self::Bdat { .. } => CommandKind::Bdat,
            Self::Quit => CommandKind::Quit,
        }
    }
}

/// The operation in progress.
#[derive(Debug, Default)]
enum Op {
    /// Nothing: ready for a command, or opening failed and only QUIT remains.
    #[default]
    Idle,
    Open,
    Transaction(Box<Txn>),
    Reset,
    Quit,
}

/// One SMTP client session over one connection. Performs no I/O and reads no clock.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    transport: Transport,
    /// The replies awaited, in order (several when pipelining).
    expect: VecDeque<Expect>,
    op: Op,
    deadline: Option<Instant>,
    events: VecDeque<Event>,
    greeting: Option<Reply>,
    extensions: Option<Extensions>,
    /// The open succeeded.
    ready: bool,
    /// A transaction was started and did not succeed: RSET before the next, as in mox.
    need_rset: bool,
    botched: bool,
    /// [`Session::quit`] was called.
    quit: bool,
    /// [`Event::Closed`] was emitted.
    closed: bool,
    /// When the session was created: the wall clock of the TLS configuration is that time.
    started: Instant,
    /// The TLS-reporting results (RFC 8460).
    results: TlsResults,
    /// Addresses and names for the failure details.
    report: ReportContext,
    /// A TLS handshake finished and no reply was read since (a fatal alert then is a rejection).
    first_read_after_handshake: bool,
    /// The AUTH exchange in progress.
    auth: Option<AuthExchange>,
    /// The mechanism of a successful AUTH.
    authenticated: Option<&'static str>,
    /// Commands with their reply codes and durations, ignored verification failures.
    observed: EventLog,
    /// When each awaited reply's command was sent.
    command_clock: CommandClock,
}

impl Session {
    /// Starts a session on a freshly connected socket: it waits for the 220 greeting, then
    /// sends EHLO. [`Event::Ready`] or [`Event::OpenFailed`] follows.
    #[must_use]
    pub fn new(mut config: SessionConfig, now: Instant) -> Self {
        let results = std::mem::take(&mut config.tls_results);
        let report = ReportContext {
            receiving_mx_hostname: config.tls.remote_hostname.clone(),
            ..config.report.clone()
        };
        let tls_valid = config.tls.validate();
        let mut session = Self {
            config,
            transport: Transport::default(),
            expect: VecDeque::new(),
            op: Op::Open,
            deadline: None,
            events: VecDeque::new(),
            greeting: None,
            extensions: None,
            ready: false,
            need_rset: false,
            botched: false,
            quit: false,
            closed: false,
            started: now,
            results,
            report,
            first_read_after_handshake: false,
            auth: None,
            authenticated: None,
            observed: EventLog::default(),
            command_clock: CommandClock::default(),
        };
        if !valid_ehlo_hostname(&session.config.ehlo_hostname) {
            session.fail(Error::Usage("invalid ehlo hostname"));
        } else if let Err(detail) = tls_valid {
            session.fail(Error::Tls {
                command: None,
                detail,
            });
        } else if session.config.tls_mode == TlsMode::Immediate {
            // RFC 8314 §3.3: the TLS handshake comes before the greeting.
            session.start_handshake(now);
            session.arm(now);
        } else {
            session.expect.push_back(Expect::Greeting);
            session.arm(now);
        }
        session
    }

    /// Records the conversation from now on, for [`Session::poll_transcript`]: commands and
    /// replies as inside TLS, message data as a byte count, AUTH arguments redacted.
    pub fn enable_transcript(&mut self) {
        self.transport.transcript.enable();
    }

    /// The next transcript line, once [`Session::enable_transcript`] was called.
    #[must_use]
    pub fn poll_transcript(&mut self) -> Option<TranscriptLine> {
        self.transport.transcript.next()
    }

    /// What the session observed since the last call, oldest first: every command with its
    /// reply code and duration, every verification failure that was ignored.
    pub fn take_observed_events(&mut self) -> Vec<Observed> {
        self.observed.take()
    }

    /// The extensions of the last EHLO; empty after HELO; `None` before.
    #[must_use]
    pub fn extensions(&self) -> Option<&Extensions> {
        self.extensions.as_ref()
    }

    /// The 220 greeting, once received.
    #[must_use]
    pub fn greeting(&self) -> Option<&Reply> {
        self.greeting.as_ref()
    }

    /// True after an error that left the connection out of sync ("botched", as in mox).
    #[must_use]
    pub fn is_botched(&self) -> bool {
        self.botched
    }

    /// True once [`Event::Closed`] was emitted: nothing more goes over the connection.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// True while a server reply is awaited: the driver reads from the socket.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        !self.closed && !self.expect.is_empty()
    }

    /// True in the message-data phase while less than [`MESSAGE_DATA_HIGH_WATER`] bytes wait
    /// to be written (with BDAT and no PIPELINING: and no BDAT reply is awaited): the driver
    /// reads the next chunk of the message and calls
    /// [`Session::push_message_data`], or [`Session::finish_message`] at its end.
    #[must_use]
    pub fn wants_message_data(&self) -> bool {
        !self.closed
            && self.transport.pending() < MESSAGE_DATA_HIGH_WATER
            && matches!(&self.op, Op::Transaction(txn) if txn.wants_data(self.expect.is_empty()))
    }

    /// Bytes read from the socket.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.command_clock.saw(now);
        if let Err(error) = self.transport.receive(bytes) {
            self.tls_error(error);
            return;
        }
        self.process(now);
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        let command = self.current_command();
        self.handle_transport_error(now, Error::UnexpectedEof { command });
    }

    /// Reading or writing the socket failed (an [`Error::io`] or [`Error::timeout`]): the
    /// session is botched, the operation in progress fails with `error`.
    pub fn handle_transport_error(&mut self, now: Instant, error: Error) {
        if self.closed {
            return;
        }
        self.command_clock.saw(now);
        if matches!(self.op, Op::Quit) {
            // The QUIT reply is not needed (no error for QUIT problems).
            self.close();
            return;
        }
        if self.expect.front() == Some(&Expect::Handshake) {
            self.handshake_transport_error(&error);
        }
        let command = self.current_command();
        self.botch(error.during(command));
    }

    /// Checks the deadline; safe to call at any time. Past it, the operation in progress fails
    /// with [`Error::Timeout`] and the session is botched (or, waiting for QUIT, closed).
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.deadline
            && now >= deadline
        {
            self.handle_transport_error(now, Error::timeout(None));
        }
    }

    /// Appends the next bytes to write to `out` and returns how many; call it again until it
    /// returns 0. Large message data handed over with [`Session::push_message_buffer`] comes
    /// as a buffer of its own, given to an empty `out` without a copy.
    #[must_use]
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        self.transport.poll_transmit(out)
    }

    /// The deadline of the current wait, if any: call [`Session::handle_timeout`] then.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Sends RSET (RFC 5321 §4.1.1.5); [`Event::ResetDone`] follows.
    ///
    /// # Errors
    /// [`Error::Closed`] after quit, [`Error::Botched`], or [`Error::Usage`] when the session is
    /// not ready or busy.
    pub fn reset(&mut self, now: Instant) -> Result<(), Error> {
        self.check_idle()?;
        self.send(Command::Rset, Expect::Rset);
        self.op = Op::Reset;
        self.arm(now);
        Ok(())
    }

    /// Ends the session: QUIT (RFC 5321 §4.1.1.10) when the connection is usable and idle,
    /// then [`Event::Closed`] once its reply arrives or its deadline passes. An operation in
    /// progress is abandoned (it fails with [`Error::Closed`]) without QUIT, since QUIT cannot
    /// be sent in the middle of message data.
    pub fn quit(&mut self, now: Instant) {
        if self.closed || self.quit {
            return;
        }
        self.quit = true;
        if matches!(self.op, Op::Idle) {
            self.send(Command::Quit, Expect::Quit);
            self.op = Op::Quit;
            self.arm(now);
        } else {
            self.fail(Error::Closed);
        }
    }

    /// Fails unless the session is ready and idle.
    fn check_idle(&self) -> Result<(), Error> {
        if self.quit {
            return Err(Error::Closed);
        }
        if self.botched {
            return Err(Error::Botched);
        }
        if self.closed {
            return Err(Error::Closed);
        }
        if !self.ready {
            return Err(Error::Usage("session is not open"));
        }
        if !matches!(self.op, Op::Idle) {
            return Err(Error::Usage("another operation is in progress"));
        }
        Ok(())
    }

    fn send(&mut self, command: Command<'_>, expect: Expect) {
        self.transport.send(&command);
        self.expect.push_back(expect);
    }

    /// The command whose reply is awaited, or DATA during the message data.
    fn current_command(&self) -> Option<CommandKind> {
        match (self.expect.front(), &self.op) {
            // Implicit TLS: no command yet.
            (Some(Expect::Handshake), _) if self.config.tls_mode == TlsMode::Immediate => None,
            (Some(expect), _) => Some(expect.kind()),
            (None, Op::Transaction(txn)) if txn.in_body() => Some(txn.data_command()),
            _ => None,
        }
    }

    /// Sets the deadline for what the session waits for now.
    fn arm(&mut self, now: Instant) {
        self.command_clock.stamp(self.expect.len(), now);
        let t = &self.config.timeouts;
        let timeout = match (self.expect.front(), &self.op) {
            _ if self.closed => None,
            (Some(Expect::Greeting), _) => Some(t.greeting),
            (Some(Expect::Ehlo | Expect::Helo | Expect::StartTls | Expect::Auth), _) => {
                Some(t.ehlo)
            }
            (Some(Expect::Handshake), _) => Some(t.tls_handshake),
            (Some(Expect::Rset), _) => Some(t.rset),
            (Some(Expect::MailFrom), _) => Some(t.mail),
            (Some(Expect::RcptTo), _) => Some(t.rcpt),
            (Some(Expect::Data), _) => Some(t.data_init),
            (Some(Expect::DataEnd | Expect::Bdat { last: true }), _) => Some(t.data_end),
            (Some(Expect::Bdat { last: false }), _) => Some(t.data_block),
            (Some(Expect::Quit), _) => Some(t.quit),
            (None, Op::Transaction(txn)) if txn.in_body() => Some(t.data_block),
            (None, _) => None,
        };
        self.deadline = timeout.map(|t| now + t);
    }

    /// Whether replies to `expect` carry enhanced status codes (RFC 2034 §3): after an EHLO
    /// that announced ENHANCEDSTATUSCODES, and never for the greeting, EHLO and HELO.
    fn enhanced(&self, expect: Option<Expect>) -> bool {
        !matches!(expect, Some(Expect::Greeting | Expect::Ehlo | Expect::Helo))
            && self
                .extensions
                .as_ref()
                .is_some_and(|e| e.enhanced_status_codes)
    }

    /// Hands every complete reply to the operation that awaits it.
    ///
    /// Bytes beyond the last awaited reply mean the server did not wait for our command (or
    /// injected replies, as against STARTTLS): the reply is still handled, so a final 250 is
    /// reported, then the session is botched.
    fn process(&mut self, now: Instant) {
        while !self.closed {
            if self.expect.front() == Some(&Expect::Handshake) && self.handshake_pending(now) {
                break;
            }
            let expect = self.expect.front().copied();
            let enhanced = self.enhanced(expect);
            match self.transport.next_reply(enhanced) {
                None => break,
                Some(Err(error)) => {
                    let command = self.current_command();
                    self.protocol_violation(Error::Protocol { command, error });
                }
                Some(Ok(reply)) => {
                    self.first_read_after_handshake = false;
                    let Some(expect) = expect else {
                        self.unsolicited(reply);
                        break;
                    };
                    self.expect.pop_front();
                    self.observed.push(Observed::Command {
                        command: expect.kind(),
                        code: Some(reply.code.0),
                        duration: self.command_clock.done(now),
                    });
                    let early = self.expect.is_empty() && self.transport.has_input();
                    self.on_reply(now, expect, reply);
                    if early {
                        self.protocol_violation(Error::Protocol {
                            command: None,
                            error: ProtocolError::Unsolicited,
                        });
                    }
                    self.arm(now);
                }
            }
        }
    }

    /// The server broke the protocol: botched, or just closed when only QUIT was left.
    fn protocol_violation(&mut self, error: Error) {
        if self.closed {
            return;
        }
        if matches!(self.op, Op::Quit) {
            self.close();
        } else {
            self.botch(error);
        }
    }

    fn on_reply(&mut self, now: Instant, expect: Expect, reply: Reply) {
        match self.op {
            Op::Open => self.open_reply(now, expect, reply),
            Op::Transaction(_) => self.transaction_reply(expect, reply),
            Op::Reset => {
                self.op = Op::Idle;
                let result = if reply.code == ReplyCode::OK {
                    self.need_rset = false;
                    Ok(())
                } else {
                    Err(Error::Status {
                        command: CommandKind::Rset,
                        reply,
                    })
                };
                self.events.push_back(Event::ResetDone(result));
            }
            // Any reply to QUIT will do, as in mox.
            Op::Quit => self.close(),
            Op::Idle => self.unsolicited(reply),
        }
    }

    /// A reply nobody asked for. During the message data (DATA or BDAT) it is the server's
    /// verdict (e.g. a 421 or 554 before the end); otherwise the reply stream is out of sync.
    fn unsolicited(&mut self, reply: Reply) {
        let error = if let Some(command @ (CommandKind::Data | CommandKind::Bdat)) =
            self.current_command()
        {
            Error::Status { command, reply }
        } else {
            Error::Protocol {
                command: None,
                error: ProtocolError::Unsolicited,
            }
        };
        self.protocol_violation(error);
    }

    fn open_reply(&mut self, now: Instant, expect: Expect, reply: Reply) {
        let hostname = self.config.ehlo_hostname.clone();
        match expect {
            // RFC 5321 §4.3.2: CONNECTION ESTABLISHMENT "S: 220 E: 554".
            Expect::Greeting if reply.code == ReplyCode::SERVICE_READY => {
                self.report.receiving_mx_helo = tls::greeting_host(&reply);
                self.greeting = Some(reply);
                self.send(Command::Ehlo(&hostname), Expect::Ehlo);
            }
            Expect::Ehlo if reply.code == ReplyCode::OK => {
                self.extensions = Some(Extensions::parse(&reply));
                self.hello_done();
            }
            // RFC 5321 §3.2: an older server refuses EHLO with an error, and the client falls
            // back to HELO; on 500-504, as mox. After STARTTLS a refused EHLO is an error
            // instead (mox: "remote claims ehlo is not supported").
            Expect::Ehlo
                if (ReplyCode::SYNTAX_ERROR..=ReplyCode::PARAMETER_NOT_IMPLEMENTED)
                    .contains(&reply.code) =>
            {
                if self.transport.is_tls() {
                    self.op = Op::Idle;
                    self.events
                        .push_back(Event::OpenFailed(Error::EhloAfterTls { reply }));
                } else {
                    self.send(Command::Helo(&hostname), Expect::Helo);
                }
            }
            Expect::StartTls => self.starttls_reply(now, reply),
            Expect::Auth => self.auth_reply(&reply),
            Expect::Helo if reply.code == ReplyCode::OK => {
                self.extensions = Some(Extensions::default());
                self.hello_done();
            }
            _ => {
                self.op = Op::Idle;
                self.events.push_back(Event::OpenFailed(Error::Status {
                    command: expect.kind(),
                    reply,
                }));
            }
        }
    }

    /// EHLO or HELO succeeded: STARTTLS next if the mode wants it, else AUTH when
    /// configured, else ready.
    fn hello_done(&mut self) {
        if self.wants_starttls() {
            self.send_starttls();
        } else if self.config.auth.is_some() {
            self.start_auth();
        } else {
            self.open_done();
        }
    }

    /// Opening succeeded.
    fn open_done(&mut self) {
        self.op = Op::Idle;
        self.ready = true;
        self.events.push_back(Event::Ready);
    }

    /// A fatal error: the operation in progress fails with `error`, the connection is given up.
    fn botch(&mut self, error: Error) {
        self.botched = true;
        self.fail(error);
    }

    /// Ends the operation in progress with `error` and closes the session.
    fn fail(&mut self, error: Error) {
        self.transport.discard_output();
        match std::mem::take(&mut self.op) {
            Op::Open => self.events.push_back(Event::OpenFailed(error)),
            Op::Transaction(txn) => self
                .events
                .push_back(Event::TransactionDone(Err(txn.failure(error)))),
            Op::Reset => self.events.push_back(Event::ResetDone(Err(error))),
            Op::Quit | Op::Idle => {}
        }
        self.close();
    }

    fn close(&mut self) {
        self.op = Op::Idle;
        let abandoned = self.command_clock.abandon();
        for (expect, duration) in self.expect.drain(..).zip(abandoned) {
            if expect != Expect::Handshake {
                self.observed.push(Observed::Command {
                    command: expect.kind(),
                    code: None,
                    duration,
                });
            }
        }
        self.deadline = None;
        if !self.closed {
            self.closed = true;
            self.events.push_back(Event::Closed);
        }
    }
}

/// RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ); no space, no control character.
fn valid_ehlo_hostname(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod api_tests;
#[cfg(test)]
mod tls_tests;
#[cfg(test)]
mod transcript_tests;
