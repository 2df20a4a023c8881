//! The `client` export: one SMTP session on a connection the caller opened.

use super::Component;
use super::driver::Driver;
use super::exports::smtp::client::client::{
    Envelope, Extensions, Guest, GuestSession, Limits, LineEndings as WitLineEndings, OpenFailure,
    OpenOptions, RecipientResult, Session as WitSession, TlsState, TransactionFailure,
    TransactionSuccess,
};
use super::exports::smtp::client::tls_report::{PolicyResult as WitPolicyResult, TlsResults};
use super::smtp::client::tcp::{Connection, SocketAddress};
use super::smtp::client::types::{Reply, SmtpError, TlsMode as WitTlsMode};
use super::wasi::io::streams::InputStream;
use crate::error::Error;
use crate::smtp::data::LineEndings;
use crate::smtp::session::{Event, Session, SessionConfig, Timeouts, TlsMode, Transaction};
use crate::tls::report::{PolicyResult, PolicyType};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// The state behind one `session` resource.
pub struct SmtpSession {
    /// None once closed.
    driver: RefCell<Option<Driver>>,
    greeting: Reply,
    tls_results: RefCell<TlsResults>,
}

impl Guest for Component {
    type Session = SmtpSession;
}

impl GuestSession for SmtpSession {
    fn open(conn: Connection, options: OpenOptions) -> Result<WitSession, OpenFailure> {
        let tls_results = options
            .tls_results
            .clone()
            .unwrap_or_else(|| fresh_results(&options));
        let fail = |error: Error| OpenFailure {
            error: error.into(),
            tls_results: tls_results.clone(),
        };
        if options.auth.is_some() {
            return Err(fail(Error::unsupported("authentication (issue 3)")));
        }
        let config = SessionConfig {
            ehlo_hostname: options.ehlo_hostname.ascii.clone(),
            tls_mode: tls_mode(options.tls_mode),
            timeouts: options.timeouts.map(timeouts).unwrap_or_default(),
        };
        let mut driver = Driver::new(Session::new(config, Instant::now()), conn);
        let opened = driver.run_until(None, |event| match event {
            Event::Ready => Some(Ok(())),
            Event::OpenFailed(error) => Some(Err(error)),
            _ => None,
        });
        if let Err(error) = opened {
            return Err(fail(error));
        }
        let greeting = match driver.session.greeting() {
            Some(reply) => reply.into(),
            None => return Err(fail(Error::internal("session ready without a greeting"))),
        };
        Ok(WitSession::new(SmtpSession {
            driver: RefCell::new(Some(driver)),
            greeting,
            tls_results: RefCell::new(tls_results),
        }))
    }

    fn deliver(
        &self,
        envelope: Envelope,
        message: &InputStream,
    ) -> Result<TransactionSuccess, TransactionFailure> {
        let failure = |error: Error| TransactionFailure {
            error: error.into(),
            recipients: Vec::new(),
        };
        let transaction = transaction(envelope).map_err(failure)?;
        let mut guard = self.driver.borrow_mut();
        let driver = guard.as_mut().ok_or_else(|| failure(Error::closed()))?;
        driver
            .session
            .start_transaction(Instant::now(), transaction)
            .map_err(failure)?;
        let done = driver.run_until(Some(message), |event| match event {
            Event::TransactionDone(result) => Some(result),
            _ => None,
        });
        match done {
            Ok(outcome) => Ok(TransactionSuccess {
                recipients: outcome
                    .recipients
                    .iter()
                    .map(RecipientResult::from)
                    .collect(),
                reply: (&outcome.reply).into(),
            }),
            Err(failed) => Err(TransactionFailure {
                error: failed.error.into(),
                recipients: failed
                    .recipients
                    .iter()
                    .map(RecipientResult::from)
                    .collect(),
            }),
        }
    }

    fn reset(&self) -> Result<(), SmtpError> {
        let mut guard = self.driver.borrow_mut();
        let driver = guard.as_mut().ok_or_else(Error::closed)?;
        driver.session.reset(Instant::now())?;
        driver.run_until(None, |event| match event {
            Event::ResetDone(result) => Some(result),
            _ => None,
        })?;
        Ok(())
    }

    fn close(&self) -> Result<(), SmtpError> {
        let mut driver = self.driver.borrow_mut().take().ok_or_else(Error::closed)?;
        driver.session.quit(Instant::now());
        driver.run_until(None, |event| match event {
            Event::Closed => Some(()),
            _ => None,
        });
        // Dropping the driver drops the connection, which closes the socket.
        Ok(())
    }

    fn botched(&self) -> bool {
        match self.driver.borrow().as_ref() {
            Some(driver) => driver.session.is_botched(),
            None => true,
        }
    }

    fn greeting(&self) -> Reply {
        self.greeting.clone()
    }

    fn extensions(&self) -> Extensions {
        self.with_extensions(
            |e| Extensions::from(e),
            Extensions::from(&Default::default()),
        )
    }

    fn limits(&self) -> Limits {
        self.with_extensions(|e| Limits::from(e), Limits::from(&Default::default()))
    }

    fn tls_state(&self) -> Option<TlsState> {
        // TLS arrives with issue 4; until then no session has TLS.
        None
    }

    fn tls_results(&self) -> TlsResults {
        self.tls_results.borrow().clone()
    }

    fn local_address(&self) -> Option<SocketAddress> {
        let guard = self.driver.borrow();
        guard.as_ref()?.conn.local_address().ok()
    }

    fn remote_address(&self) -> Option<SocketAddress> {
        let guard = self.driver.borrow();
        guard.as_ref()?.conn.remote_address().ok()
    }
}

impl SmtpSession {
    fn with_extensions<T>(
        &self,
        map: impl FnOnce(&crate::smtp::extensions::Extensions) -> T,
        closed: T,
    ) -> T {
        match self
            .driver
            .borrow()
            .as_ref()
            .and_then(|d| d.session.extensions())
        {
            Some(extensions) => map(extensions),
            None => closed,
        }
    }
}

/// Results for a session without TLS policy yet: "no-policy-found" for the remote host
/// (RFC 8460 §4.4), recipient domain and host alike.
fn fresh_results(options: &OpenOptions) -> TlsResults {
    let domain = options
        .remote_hostname
        .as_ref()
        .map(|d| d.ascii.clone())
        .unwrap_or_default();
    let result = WitPolicyResult::from(&PolicyResult::new(PolicyType::NoPolicyFound, &domain));
    TlsResults {
        recipient_domain: result.clone(),
        host: result,
    }
}

fn tls_mode(mode: WitTlsMode) -> TlsMode {
    match mode {
        WitTlsMode::Immediate => TlsMode::Immediate,
        WitTlsMode::RequiredStarttls => TlsMode::RequiredStartTls,
        WitTlsMode::Opportunistic => TlsMode::Opportunistic,
        WitTlsMode::Skip => TlsMode::Skip,
    }
}

fn timeouts(t: super::exports::smtp::client::client::Timeouts) -> Timeouts {
    let ms = |v: u32| Duration::from_millis(u64::from(v));
    Timeouts {
        greeting: ms(t.greeting_ms),
        ehlo: ms(t.command_ms),
        mail: ms(t.command_ms),
        rcpt: ms(t.command_ms),
        data_init: ms(t.data_init_ms),
        data_block: ms(t.data_block_ms),
        data_end: ms(t.data_end_ms),
        rset: ms(t.command_ms),
        quit: ms(t.quit_ms),
    }
}

/// The core transaction for a WIT envelope. DSN parameters (RFC 3461) come with issue 3.
fn transaction(envelope: Envelope) -> Result<Transaction, Error> {
    let has_dsn = envelope.dsn.is_some()
        || envelope
            .recipients
            .iter()
            .any(|r| !r.notify.is_empty() || r.original_recipient.is_some());
    if has_dsn {
        return Err(Error::unsupported("dsn parameters (issue 3)"));
    }
    Ok(Transaction {
        mail_from: envelope.mail_from,
        recipients: envelope.recipients.into_iter().map(|r| r.address).collect(),
        size: envelope.size,
        require_8bitmime: envelope.require_eightbitmime,
        require_smtputf8: envelope.require_smtputf8,
        require_tls: envelope.require_tls,
        line_endings: match envelope.line_endings {
            WitLineEndings::Strict => LineEndings::Strict,
            WitLineEndings::Normalize => LineEndings::Normalize,
        },
    })
}
