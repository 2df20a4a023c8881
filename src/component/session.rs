//! The `client` export: one SMTP session on a connection the caller opened.

use super::Component;
use super::exports::smtp::client::client::{
    AuthOptions, Envelope, Extensions, Guest, GuestSession, Limits, LineEndings as WitLineEndings,
    OpenFailure, OpenOptions, Recipient, RecipientResult, Session as WitSession, TlsState,
    TransactionFailure, TransactionSuccess,
};
use super::exports::smtp::client::tls_report::TlsResults;
use super::platform::{BorrowedStream, ImportConnection, Imports};
use super::smtp::client::tcp::{Connection, SocketAddress};
use super::smtp::client::types::{Reply, SmtpError, TlsMode as WitTlsMode};
use super::wasi::io::streams::InputStream;
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
}

impl Guest for Component {
    type Session = SmtpSession;
}

impl GuestSession for SmtpSession {
    fn open(conn: Connection, options: OpenOptions) -> Result<WitSession, OpenFailure> {
        let conn = ImportConnection(conn);
        let mut tls = tls_config(&options);
        let tls_results = initial_results(&options, &tls.remote_hostname);
        let fail = |error: Error, results: &crate::tlsrpt::TlsResults| OpenFailure {
            error: error.into(),
            tls_results: results.into(),
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
        if let Err(error) = opened {
            return Err(OpenFailure {
                error: error.into(),
                tls_results,
            });
        }
        let greeting = match driver.session.greeting() {
            Some(reply) => reply.into(),
            None => {
                return Err(OpenFailure {
                    error: Error::internal("session ready without a greeting").into(),
                    tls_results,
                });
            }
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
            .start_transaction(Imports.now(), transaction)
            .map_err(failure)?;
        let mut message = BorrowedStream(message);
        let done = driver.run_until(&mut Imports, Some(&mut message), |event| match event {
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

/// The session's AUTH settings, or why there are none (no randomness). The secret is a token when every mechanism named is a token
/// mechanism (OAUTHBEARER, XOAUTH2), nothing but an identity when only EXTERNAL is named,
/// and a password otherwise.
fn auth_config(auth: AuthOptions) -> Result<AuthConfig, Error> {
    let named = |pick: fn(MechanismName) -> bool| {
        !auth.mechanisms.is_empty()
            && auth
                .mechanisms
                .iter()
                .all(|m| m.parse::<MechanismName>().is_ok_and(pick))
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
        mechanisms: auth.mechanisms,
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

fn tls_mode(mode: WitTlsMode) -> TlsMode {
    match mode {
        WitTlsMode::Immediate => TlsMode::Immediate,
        WitTlsMode::RequiredStarttls => TlsMode::RequiredStartTls,
        WitTlsMode::Opportunistic => TlsMode::Opportunistic,
        WitTlsMode::Skip => TlsMode::Skip,
    }
}

pub(super) fn timeouts(t: super::exports::smtp::client::client::Timeouts) -> Timeouts {
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
        tls_handshake: ms(t.tls_handshake_ms),
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

/// NOTIFY (RFC 3461 §4.1: NEVER alone, or SUCCESS, FAILURE, DELAY) and ORCPT ("type;address",
/// RFC 3461 §4.2) of one recipient.
fn recipient_dsn(recipient: &Recipient) -> Result<RcptDsn, Error> {
    let notify = if recipient.notify.is_empty() {
        None
    } else {
        let notify = recipient.notify.join(",").parse::<Notify>().map_err(|_| {
            Error::Usage("invalid notify: never alone, or a list of success, failure, delay")
        })?;
        Some(notify)
    };
    let orcpt = match &recipient.original_recipient {
        None => None,
        Some(value) => Some(
            value
                .split_once(';')
                .ok_or(Error::Usage("original recipient is not type;address"))?,
        ),
    };
    RcptDsn::new(notify, orcpt).map_err(|_| {
        Error::Usage(
            "invalid original recipient: an atom type, printable us-ascii, at most 500 characters",
        )
    })
}
