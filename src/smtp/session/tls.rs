//! TLS in the session: STARTTLS (RFC 3207) and implicit TLS (RFC 8314 §3.3), the handshake,
//! and the TLS-reporting (RFC 8460) recording points, as the reference client (mox) has them:
//!
//! | event | recipient domain | host |
//! |---|---|---|
//! | handshake fails | +0/+1, details from the error unless the verifier rejected | same |
//! | handshake ok | +1/+0 | same |
//! | STARTTLS reply ≠ 220 | +0/+1, `starttls-not-supported` / `smtp-starttls-reply-code-<N>` | same |
//! | opportunistic, STARTTLS not announced | +0/+0, `starttls-not-supported` | same |
//! | DANE did not verify | — | +0/+0, `validation-failure` / `dane-no-match[+errors]` |
//! | PKIX did not verify | +0/+0, from the PKIX error | — |
//! | a fatal alert on the first read after the handshake | −1/+1, `tls-remote-alert-<n>-<text>` | same |

use std::time::{Duration, Instant};

use rustls::AlertDescription;
use rustls::pki_types::UnixTime;

use super::{Event, Expect, Op, Session, TlsMode};
use crate::error::{Error, ErrorKind};
use crate::smtp::command::{Command, CommandKind};
use crate::smtp::reply::{Reply, ReplyCode};
use crate::tls::TlsState;
use crate::tls::layer::TlsLayer;
use crate::tls::verifier::Verification;
use crate::tlsrpt::Failure;
use crate::tlsrpt::TlsResults;

impl Session {
    /// What TLS looks like, once the handshake completed; `None` without TLS.
    #[must_use]
    pub fn tls_state(&self) -> Option<TlsState> {
        self.transport.tls_state()
    }

    /// The TLS-reporting results recorded so far, added to those of the configuration.
    #[must_use]
    pub fn tls_results(&self) -> &TlsResults {
        &self.results
    }

    /// The RFC 9266 `tls-exporter` channel binding for SCRAM-*-PLUS; `None` without TLS 1.3.
    #[must_use]
    pub fn channel_binding(&self) -> Option<Vec<u8>> {
        self.transport.channel_binding()
    }

    /// EHLO or HELO succeeded without TLS: whether to send STARTTLS (as mox). Records
    /// `starttls-not-supported` when opportunistic TLS finds none announced.
    pub(super) fn wants_starttls(&mut self) -> bool {
        if self.transport.is_tls() {
            return false;
        }
        let announced = self.extensions.as_ref().is_some_and(|e| e.starttls);
        match self.config.tls_mode {
            TlsMode::Skip | TlsMode::Immediate => false,
            TlsMode::RequiredStartTls => true,
            // RFC 3207 §4: STARTTLS only when announced; RFC 7435: plaintext otherwise.
            TlsMode::Opportunistic if announced => true,
            TlsMode::Opportunistic => {
                let details = self.report.details(&Failure::starttls_not_announced());
                self.results.add(0, 0, Some(details));
                false
            }
        }
    }

    pub(super) fn send_starttls(&mut self) {
        self.send(Command::StartTls, Expect::StartTls);
    }

    /// The reply to STARTTLS: 220 starts the handshake (RFC 3207 §4).
    pub(super) fn starttls_reply(&mut self, now: Instant, reply: Reply) {
        if reply.code != ReplyCode::SERVICE_READY {
            let failure = Failure::starttls_refused(reply.code.0);
            self.results.add(0, 1, Some(self.report.details(&failure)));
            self.op = Op::Idle;
            let announced = self.extensions.as_ref().is_some_and(|e| e.starttls);
            self.events
                .push_back(Event::OpenFailed(Error::StartTls { reply, announced }));
            return;
        }
        // RFC 3207 §5 and CVE-2011-0411: bytes after the 220 and before the handshake were
        // not protected by TLS; they would be taken for replies over TLS. The reference feeds
        // them to the handshake, which fails with a record header error: reported the same.
        if self.transport.has_input() {
            let failure = Failure {
                result_type: crate::tlsrpt::failure::VALIDATION_FAILURE,
                reason: Some("tls-record-header-error".into()),
            };
            self.results.add(0, 1, Some(self.report.details(&failure)));
            self.botch(Error::Tls {
                command: Some(CommandKind::StartTls),
                detail: "data after the 220 to starttls, before the handshake (response injection)"
                    .into(),
            });
            return;
        }
        self.start_handshake(now);
    }

    /// Starts the TLS handshake: the ClientHello goes out.
    pub(super) fn start_handshake(&mut self, now: Instant) {
        // The wall-clock time for certificate validity: as configured at creation, plus the
        // monotonic time passed since.
        let elapsed = now.saturating_duration_since(self.started);
        let wall = Duration::from_secs(self.config.tls.wall_clock.as_secs()) + elapsed;
        let now = UnixTime::since_unix_epoch(wall);
        let connected = if self.config.tls_mode == TlsMode::Opportunistic {
            // RFC 7435 §1: unauthenticated encryption; verification failures are recorded.
            self.config.tls.connect_unauthenticated(now)
        } else {
            self.config.tls.connect(now)
        };
        match connected {
            Ok((conn, verifier)) => {
                self.transport.start_tls(TlsLayer::new(conn, verifier));
                self.expect.push_back(Expect::Handshake);
            }
            Err(error) => self.fail(Error::Tls {
                command: self.current_command(),
                detail: format!("tls configuration: {error}"),
            }),
        }
    }

    /// Called while a handshake is awaited: finishes it when rustls has. Returns whether the
    /// handshake is still running.
    pub(super) fn handshake_pending(&mut self, now: Instant) -> bool {
        if self.transport.is_handshaking() {
            return true;
        }
        self.expect.pop_front();
        self.command_clock.done(now);
        if let Some(verification) = self.transport.verification() {
            self.record_verification(&verification);
            for reason in verification.ignored {
                self.observed
                    .push(crate::event::Event::VerificationIgnored {
                        host: self.config.tls.remote_hostname.clone(),
                        reason,
                    });
            }
        }
        self.results.add(1, 0, None);
        self.first_read_after_handshake = true;
        if self.config.tls_mode == TlsMode::Immediate {
            self.expect.push_back(Expect::Greeting);
        } else {
            // RFC 3207 §4.2: forget what was learned before TLS and say EHLO again.
            self.extensions = None;
            let hostname = self.config.ehlo_hostname.clone();
            self.send(Command::Ehlo(&hostname), Expect::Ehlo);
        }
        self.arm(now);
        false
    }

    /// DANE and PKIX failures found by the verifier: details only, no counts (as mox).
    fn record_verification(&mut self, verification: &Verification) {
        if let Some(dane) = &verification.dane
            && dane.verified.is_none()
        {
            let details = [self.report.details(&Failure::dane(dane))];
            self.results.host.add(0, 0, &details);
        }
        if let Err(error) = &verification.pkix {
            let details = [self.report.details(&Failure::pkix(error))];
            self.results.recipient_domain.add(0, 0, &details);
        }
    }

    /// rustls reported an error: during the handshake a failed handshake, after it a broken
    /// connection (and a rejection, when it is an alert on the first read). The
    /// session gives the connection up and sends the fatal alert rustls prepared, e.g.
    /// `bad_certificate` or `unknown_ca` when the verifier rejected the server (RFC 8446 §6.2:
    /// "it SHOULD send an appropriate fatal alert and MUST close the connection").
    pub(super) fn tls_error(&mut self, error: rustls::Error) {
        let error = self.tls_failure(error);
        self.botch(error);
        self.transport.send_alert();
    }

    /// Records a TLS error in the TLS-reporting results and says how the operation fails.
    fn tls_failure(&mut self, error: rustls::Error) -> Error {
        let command = self.current_command();
        if self.expect.front() == Some(&Expect::Handshake) {
            let verification = self.transport.verification();
            if let Some(verification) = &verification {
                self.record_verification(verification);
            }
            let rejected = matches!(error, rustls::Error::InvalidCertificate(_))
                && verification.as_ref().is_some_and(|v| v.rejected);
            // A rejection by the verifier is described by its details already.
            let details = (!rejected).then(|| self.report.details(&Failure::handshake(&error)));
            self.results.add(0, 1, details);
            return match verification {
                Some(v) if rejected && v.dane_failed() => Error::Dane {
                    detail: dane_detail(&v),
                },
                Some(Verification {
                    pkix: Err(pkix), ..
                }) if rejected => Error::Tls {
                    command,
                    detail: format!("certificate verification failed: {pkix}"),
                },
                _ => Error::Tls {
                    command,
                    detail: format!("handshake: {error}"),
                },
            };
        }
        if self.first_read_after_handshake
            && let rustls::Error::AlertReceived(alert) = &error
            && *alert != AlertDescription::CloseNotify
        {
            let details = self.report.details(&Failure::handshake(&error));
            self.results.success_to_failure(details);
        }
        Error::Tls {
            command,
            detail: error.to_string(),
        }
    }

    /// The transport failed during the handshake.
    pub(super) fn handshake_transport_error(&mut self, error: &Error) {
        let failure = if error.kind() == ErrorKind::Timeout {
            Failure::handshake_timeout()
        } else {
            Failure::handshake_closed()
        };
        self.results.add(0, 1, Some(self.report.details(&failure)));
    }
}

/// "no tlsa record matched", with the records' errors.
fn dane_detail(verification: &Verification) -> String {
    let errors: Vec<String> = verification
        .dane
        .iter()
        .flat_map(|d| d.errors.iter().map(ToString::to_string))
        .collect();
    if errors.is_empty() {
        "no tlsa record matched".into()
    } else {
        format!("no tlsa record matched; {}", errors.join("; "))
    }
}

/// RFC 8460 §4.4 "receiving-mx-helo": the host name of the 220 greeting (RFC 5321 §4.2:
/// "220 <domain>"), not the whole text after the code as mox takes it.
pub(super) fn greeting_host(greeting: &Reply) -> Option<String> {
    let text = greeting.texts().next()?;
    let host = text.split(|b| b.is_ascii_whitespace()).next()?;
    (!host.is_empty()).then(|| String::from_utf8_lossy(host).into_owned())
}
