//! The `client` export: one SMTP session on a connection the caller opened.

use super::Component;
use super::exports::smtp::client::client::{
    AddressType, AuthOptions, DsnNotify, Envelope, Extensions, Guest, GuestSession, Limits,
    LineEndings as WitLineEndings, NotifyConditions, OpenFailure, OpenOptions, Recipient,
    RecipientResult, SaslMechanism, Session as WitSession, TlsState, TransactionFailure,
    TransactionSuccess,
};
use super::exports::smtp::client::tls_report::TlsResults;
use super::platform::{ImportConnection, Imports};
use super::smtp::client::spool::Message;
use super::smtp::client::tcp::{Connection, SocketAddress};
use super::smtp::client::types::{Event as WitEvent, Reply, SmtpError, TlsMode as WitTlsMode};
use crate::error::Error;
use crate::io::{Clock, SessionDriver, Transport};
use crate::sasl::{Credentials, MechanismName};
use crate::smtp::data::LineEndings;
use crate::smtp::dsn::{MailDsn, Notify, RcptDsn, Ret};
use crate::smtp::session::{AuthConfig, Event, SessionConfig, Timeouts, TlsMode, Transaction};
use crate::tls::{ClientCertificate, TlsConfig, Tlsa};
use crate::tlsrpt::ReportContext;
use std::cell::RefCell;
use std::time::Duration;

/// The state behind one `session` resource.
pub struct SmtpSession {
    /// None once closed.
    driver: RefCell<Option<SessionDriver<ImportConnection>>>,
    greeting: Reply,
    /// The results when the session was closed (while open, the session's own).
    tls_results: RefCell<TlsResults>,
    /// Events observed while closing, not taken yet.
    closing_events: RefCell<Vec<WitEvent>>,
}

impl Guest for Component {
    type Session = SmtpSession;

    fn open_session(conn: Connection, options: OpenOptions) -> Result<WitSession, OpenFailure> {
        let conn = ImportConnection(conn);
        let mut tls = tls_config(&options);
        let tls_results = initial_results(&options, &tls.remote_hostname);
        let fail = |error: Error, results: &crate::tlsrpt::TlsResults| OpenFailure {
            error: error.into(),
            tls_results: results.into(),
            events: Vec::new(),
        };
        if let Some(cert) = &options.client_certificate {
            match ClientCertificate::from_pem(&cert.chain_pem, &cert.key_pem) {
                Ok(cert) => tls.client_certificate = Some(cert),
                Err(detail) => {
                    let error = Error::Tls {
                        command: None,
                        detail,
                    };
                    return Err(fail(error, &tls_results));
                }
            }
        }
        let auth = match options.auth.map(auth_config).transpose() {
            Ok(auth) => auth,
            Err(error) => return Err(fail(error, &tls_results)),
        };
        let config = SessionConfig {
            ehlo_hostname: options.ehlo_hostname.ascii.clone(),
            tls_mode: tls_mode(options.tls_mode),
            timeouts: options.timeouts.map(timeouts).unwrap_or_default(),
            tls,
            tls_results,
            report: ReportContext {
                sending_mta_ip: ip(conn.local_address()),
                receiving_ip: ip(conn.remote_address()),
                ..ReportContext::default()
            },
            auth,
        };
        let mut driver = SessionDriver::new(&Imports, config, conn);
        let opened = driver.open(&mut Imports);
        let tls_results = TlsResults::from(driver.session.tls_results());
        let greeting = match (opened, driver.session.greeting()) {
            (Ok(()), Some(reply)) => reply.into(),
            (opened, _) => {
                let error = opened
                    .err()
                    .unwrap_or(Error::internal("session ready without a greeting"));
                return Err(OpenFailure {
                    error: error.into(),
                    tls_results,
                    events: observed(&mut driver),
                });
            }
        };
        Ok(WitSession::new(SmtpSession {
            driver: RefCell::new(Some(driver)),
            greeting,
            tls_results: RefCell::new(tls_results),
            closing_events: RefCell::new(Vec::new()),
        }))
    }
}

impl GuestSession for SmtpSession {
    fn deliver(
        &self,
        envelope: Envelope,
        message: &Message,
    ) -> Result<TransactionSuccess, TransactionFailure> {
        let failure = |error: Error| TransactionFailure {
            error: error.into(),
            recipients: Vec::new(),
        };
        let transaction = transaction(envelope).map_err(failure)?;
        let mut guard = self.driver.borrow_mut();
        let driver = guard.as_mut().ok_or_else(|| failure(Error::closed()))?;
        match crate::delivery::batches::deliver(&mut Imports, driver, message, &transaction) {
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
        driver.session.reset(Imports.now())?;
        driver.run_until(&mut Imports, None, |event| match event {
            Event::ResetDone(result) => Some(result),
            _ => None,
        })?;
        Ok(())
    }

    fn close(&self) -> Result<(), SmtpError> {
        let mut driver = self.driver.borrow_mut().take().ok_or_else(Error::closed)?;
        driver.close(&mut Imports);
        *self.tls_results.borrow_mut() = driver.session.tls_results().into();
        self.closing_events
            .borrow_mut()
            .extend(observed(&mut driver));
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
        let guard = self.driver.borrow();
        Some(guard.as_ref()?.session.tls_state()?.into())
    }

    fn tls_results(&self) -> TlsResults {
        match self.driver.borrow().as_ref() {
            Some(driver) => driver.session.tls_results().into(),
            None => self.tls_results.borrow().clone(),
        }
    }

    fn local_address(&self) -> Option<SocketAddress> {
        let guard = self.driver.borrow();
        guard.as_ref()?.transport.0.local_address().ok()
    }

    fn remote_address(&self) -> Option<SocketAddress> {
        let guard = self.driver.borrow();
        guard.as_ref()?.transport.0.remote_address().ok()
    }

    fn take_events(&self) -> Vec<WitEvent> {
        let mut events = std::mem::take(&mut *self.closing_events.borrow_mut());
        if let Some(driver) = self.driver.borrow_mut().as_mut() {
            events.extend(observed(driver));
        }
        events
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

/// The TLS-reporting results to add to: as given, or "no-policy-found" for the remote host
/// (RFC 8460 §4.4).
fn initial_results(options: &OpenOptions, remote_hostname: &str) -> crate::tlsrpt::TlsResults {
    match &options.tls_results {
        Some(results) => crate::tlsrpt::TlsResults {
            recipient_domain: results.recipient_domain.clone().into(),
            host: results.host.clone().into(),
        },
        None => crate::tlsrpt::TlsResults::no_policy(remote_hostname),
    }
}

/// What the session observed since the last call, as WIT events.
fn observed(driver: &mut SessionDriver<ImportConnection>) -> Vec<WitEvent> {
    driver
        .session
        .take_observed_events()
        .iter()
        .map(Into::into)
        .collect()
}

/// The TLS settings of the open options, but the client certificate.
fn tls_config(options: &OpenOptions) -> TlsConfig {
    let remote_hostname = options
        .remote_hostname
        .as_ref()
        .map(|d| d.ascii.clone())
        .unwrap_or_default();
    TlsConfig {
        verify_pkix: options.verify_pkix,
        dane_records: options
            .dane_records
            .as_ref()
            .map(|records| records.iter().cloned().map(Tlsa::from).collect()),
        dane_more_hostnames: options
            .dane_more_hostnames
            .iter()
            .map(|d| d.ascii.clone())
            .collect(),
        ignore_verify_errors: options.ignore_tls_verify_errors,
        extra_roots: options.extra_root_cas.clone(),
        client_certificate: None,
        wall_clock: wall_clock(),
        remote_hostname,
    }
}

/// The wall clock for certificate validity (the core reads no clock).
fn wall_clock() -> rustls::pki_types::UnixTime {
    let since_epoch = Imports
        .wall()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    rustls::pki_types::UnixTime::since_unix_epoch(since_epoch)
}

/// An address for TLS-report failure details (RFC 8460 §4.4 "sending-mta-ip",
/// "receiving-ip"); empty when the host cannot tell.
fn ip(address: Option<std::net::SocketAddr>) -> String {
    address.map(|a| a.ip().to_string()).unwrap_or_default()
}

/// The session's AUTH settings, or why there are none (no randomness). The secret is a
/// token when every mechanism named is a token mechanism (OAUTHBEARER, XOAUTH2), nothing but
/// an identity when only EXTERNAL is named, and a password otherwise.
pub(super) fn auth_config(auth: AuthOptions) -> Result<AuthConfig, Error> {
    let mechanisms: Vec<MechanismName> = auth.mechanisms.iter().map(|&m| mechanism(m)).collect();
    let named = |pick: fn(MechanismName) -> bool| {
        !mechanisms.is_empty() && mechanisms.iter().all(|&m| pick(m))
    };
    let credentials = if named(|m| matches!(m, MechanismName::OAuthBearer | MechanismName::XOAuth2))
    {
        Credentials::token(auth.username, auth.secret)
    } else if named(|m| m == MechanismName::External) {
        Credentials::external(auth.username)
    } else {
        Credentials::password(auth.username, auth.secret)
    };
    Ok(AuthConfig {
        credentials,
        mechanisms: mechanisms.iter().map(|m| m.as_str().to_string()).collect(),
        allow_cleartext_without_tls: auth.allow_cleartext_without_tls,
        client_nonce: client_nonce()?,
    })
}

/// 24 fresh random bytes for the SCRAM client nonce (RFC 5802 §5.1), from `wasi:random`.
fn client_nonce() -> Result<Vec<u8>, Error> {
    let mut nonce = vec![0; 24];
    getrandom::fill(&mut nonce)
        .map_err(|_| Error::internal("no randomness for the scram nonce"))?;
    Ok(nonce)
}

fn mechanism(mechanism: SaslMechanism) -> MechanismName {
    match mechanism {
        SaslMechanism::ScramSha256Plus => MechanismName::ScramSha256Plus,
        SaslMechanism::ScramSha256 => MechanismName::ScramSha256,
        SaslMechanism::ScramSha1Plus => MechanismName::ScramSha1Plus,
        SaslMechanism::ScramSha1 => MechanismName::ScramSha1,
        SaslMechanism::CramMd5 => MechanismName::CramMd5,
        SaslMechanism::Plain => MechanismName::Plain,
        SaslMechanism::Login => MechanismName::Login,
        SaslMechanism::Xoauth2 => MechanismName::XOAuth2,
        SaslMechanism::Oauthbearer => MechanismName::OAuthBearer,
        SaslMechanism::External => MechanismName::External,
    }
}

pub(super) fn tls_mode(mode: WitTlsMode) -> TlsMode {
    match mode {
        WitTlsMode::Immediate => TlsMode::Immediate,
        WitTlsMode::RequiredStarttls => TlsMode::RequiredStartTls,
        WitTlsMode::Opportunistic => TlsMode::Opportunistic,
        WitTlsMode::Skip => TlsMode::Skip,
    }
}

/// The deadlines given, the RFC 5321 §4.5.3.2 defaults for the others.
pub(super) fn timeouts(t: super::exports::smtp::client::client::Timeouts) -> Timeouts {
    let default = Timeouts::default();
    let ms = |v: Option<u32>, default: Duration| {
        v.map_or(default, |v| Duration::from_millis(u64::from(v)))
    };
    Timeouts {
        greeting: ms(t.greeting_ms, default.greeting),
        ehlo: ms(t.command_ms, default.ehlo),
        mail: ms(t.command_ms, default.mail),
        rcpt: ms(t.command_ms, default.rcpt),
        data_init: ms(t.data_init_ms, default.data_init),
        data_block: ms(t.data_block_ms, default.data_block),
        data_end: ms(t.data_end_ms, default.data_end),
        rset: ms(t.command_ms, default.rset),
        quit: ms(t.quit_ms, default.quit),
        tls_handshake: ms(t.tls_handshake_ms, default.tls_handshake),
    }
}

/// The core transaction for a WIT envelope, with its DSN parameters (RFC 3461 §4); the session
/// sends them only to a server that announces DSN.
pub(super) fn transaction(envelope: Envelope) -> Result<Transaction, Error> {
    let dsn = match &envelope.dsn {
        None => MailDsn::default(),
        Some(options) => {
            // RFC 3461 §4.3: RET=FULL or RET=HDRS.
            let ret = options
                .return_full
                .map(|full| if full { Ret::Full } else { Ret::Hdrs });
            MailDsn::new(ret, options.envelope_id.as_deref()).map_err(|_| {
                Error::Usage("invalid envelope id: printable us-ascii, at most 100 characters")
            })?
        }
    };
    let recipient_dsn = envelope
        .recipients
        .iter()
        .map(recipient_dsn)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Transaction {
        dsn,
        recipient_dsn,
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

/// NOTIFY (RFC 3461 §4.1) and ORCPT (RFC 3461 §4.2, RFC 6533 §3) of one recipient.
fn recipient_dsn(recipient: &Recipient) -> Result<RcptDsn, Error> {
    let notify = match recipient.notify {
        None => None,
        Some(DsnNotify::Never) => Some(Notify::NEVER),
        Some(DsnNotify::On(on)) => Some(
            Notify::on(
                on.contains(NotifyConditions::SUCCESS),
                on.contains(NotifyConditions::FAILURE),
                on.contains(NotifyConditions::DELAY),
            )
            .map_err(|_| Error::Usage("notify on no condition: use never"))?,
        ),
    };
    let orcpt = recipient.original_recipient.as_ref().map(|orcpt| {
        let address_type = match orcpt.address_type {
            AddressType::Rfc822 => "rfc822",
            AddressType::Utf8 => "utf-8",
        };
        (address_type, orcpt.address.as_str())
    });
    RcptDsn::new(notify, orcpt).map_err(|_| {
        Error::Usage(
            "invalid original recipient: printable us-ascii for rfc822, no control characters \
             for utf-8, at most 500 characters encoded",
        )
    })
}
