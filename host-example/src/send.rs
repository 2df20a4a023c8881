//! `send`: submit one message to one server through the component's `client` interface.

use crate::bindings::client::{
    AuthOptions, ClientCertificate, Envelope, LineEndings, OpenOptions, SaslMechanism,
    TransactionFailure, TransactionSuccess,
};
use crate::bindings::exports::smtp::client::tls_report::TlsResults;
use crate::bindings::types::{ErrorKind, TlsMode, Tlsa};
use crate::connector::TcpConnection;
use crate::convert::{domain, recipients, uniform_timeouts};
use crate::dns::{DnsBackend, IpFamily};
use crate::host::{Host, HostError, Instance};
use crate::report::{
    AttemptReport, ErrorReport, EventReport, RecipientReport, Report, ServerReport, TlsReport,
};
use crate::session::{close, extensions, tls_state};
use crate::spool_impl::SpoolMessage;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use wasmtime::component::{Resource, ResourceAny};

/// One submission.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// Host name or IP address of the server.
    pub server: String,
    pub port: u16,
    pub tls_mode: TlsMode,
    pub verify_pkix: bool,
    /// The EHLO name.
    pub ehlo: String,
    pub from: String,
    pub to: Vec<String>,
    /// The message; its size goes into SIZE (RFC 1870).
    pub message: SpoolMessage,
    pub require_8bitmime: bool,
    pub require_smtputf8: bool,
    pub require_tls: bool,
    /// Convert bare CR and LF to CRLF instead of refusing the message.
    pub normalize_line_endings: bool,
    /// Replaces every per-phase deadline when set.
    pub timeout: Option<Duration>,
    /// Roots trusted for PKIX besides the compiled-in Mozilla set, DER (`--ca`).
    pub extra_root_cas: Vec<Vec<u8>>,
    /// DANE records the server must match (`--tlsa`); none: no DANE.
    pub dane_records: Option<Vec<Tlsa>>,
    /// Authenticate with these credentials (RFC 4954); none: no AUTH.
    pub auth: Option<SendAuth>,
    /// Present this certificate to the server (`--client-cert`, `--client-key`).
    pub client_certificate: Option<ClientCert>,
}

/// A client certificate chain and its key, PEM (TLS client authentication, RFC 8446
/// §4.4.2). `Debug` never shows the key.
#[derive(Clone)]
pub struct ClientCert {
    pub chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCert")
            .field("chain_pem", &self.chain_pem)
            .finish_non_exhaustive()
    }
}

/// Credentials for AUTH (`--user`, `--password-file` or `SMTP_PASSWORD`, `--auth`). `Debug`
/// never shows the password.
#[derive(Clone)]
pub struct SendAuth {
    pub username: String,
    /// The password (or OAuth 2.0 token for OAUTHBEARER and XOAUTH2).
    pub secret: String,
    /// Mechanisms, most preferred first; empty: the strongest the server offers.
    pub mechanisms: Vec<SaslMechanism>,
}

impl std::fmt::Debug for SendAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendAuth")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("mechanisms", &self.mechanisms)
            .finish()
    }
}

/// The default connect timeout (RFC 5321 §4.5.3.2 has none; 30 s as common MTAs use).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Submit the message and report what happened to each recipient.
///
/// Network and SMTP failures are part of the report; only host failures (a trap, a broken
/// component) are errors.
///
/// # Errors
/// [`HostError`] when the component cannot be instantiated or traps.
pub async fn send(host: &Host, request: &SendRequest) -> Result<Report, HostError> {
    let mut instance = host.instantiate().await?;
    let addresses = match resolve(host.config().resolver.as_ref(), &request.server).await {
        Ok(addresses) => addresses,
        Err(error) => return Ok(Report::failed(&request.to, error)),
    };
    let connect_timeout = request.timeout.unwrap_or(CONNECT_TIMEOUT);
    let mut attempts = Vec::new();
    // The host dials itself: its dials are observed here, in the component's terms.
    let mut dials = Vec::new();
    for ip in addresses {
        let remote = SocketAddr::new(ip, request.port);
        let started = Instant::now();
        let dialed = host.dial(remote, connect_timeout).await;
        dials.push(EventReport::Dial {
            host: request.server.clone(),
            address: ip.to_string(),
            port: request.port,
            outcome: if dialed.is_ok() {
                "connected"
            } else {
                "failed"
            },
            reason: dialed.as_ref().err().map(ToString::to_string),
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
        match dialed {
            Ok(connection) => {
                let conn = instance.push(connection)?;
                let mut report = submit(&mut instance, request, conn).await?;
                report.events.splice(0..0, dials);
                attempts.push(AttemptReport {
                    host: request.server.clone(),
                    ip: Some(ip.to_string()),
                    port: request.port,
                    error: report.error.clone(),
                });
                if let Some(server) = &mut report.server {
                    server.ip = Some(ip.to_string());
                }
                report.attempts = attempts;
                return Ok(report);
            }
            Err(error) => attempts.push(AttemptReport {
                host: request.server.clone(),
                ip: Some(ip.to_string()),
                port: request.port,
                error: Some(io_error(format!("connecting to {remote}: {error}"))),
            }),
        }
    }
    let last = attempts
        .last()
        .and_then(|a| a.error.clone())
        .unwrap_or_else(|| io_error("no address to connect to".into()));
    let mut report = Report::failed(&request.to, last);
    report.attempts = attempts;
    report.events = dials;
    Ok(report)
}

/// The addresses of the server: an IP address as given, else the resolver's answer.
async fn resolve(resolver: &dyn DnsBackend, server: &str) -> Result<Vec<IpAddr>, ErrorReport> {
    let literal = server.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match resolver.lookup_ip(server, IpFamily::Any).await {
        Ok(answer) if !answer.records.is_empty() => Ok(answer.records),
        Ok(_) => Err(dns_error(format!("{server} has no addresses"), true)),
        Err(error) => {
            let permanent = !matches!(error, crate::dns::LookupError::Temporary { .. });
            Err(dns_error(
                format!("looking up {server}: {error}"),
                permanent,
            ))
        }
    }
}

/// Open the session on `conn`, deliver, close, and report.
async fn submit(
    instance: &mut Instance,
    request: &SendRequest,
    conn: Resource<TcpConnection>,
) -> Result<Report, HostError> {
    let trap = HostError::from_guest;
    let client = instance.bindings.smtp_client_client();
    let opened = client
        .call_open_session(&mut instance.store, conn, &open_options(request))
        .await
        .map_err(trap)?;
    let session = match opened {
        Ok(session) => session,
        Err(failure) => {
            let mut report = Report::failed(&request.to, ErrorReport::from(&failure.error));
            report.tlsrpt = tlsrpt_json(instance, &failure.tls_results).await?;
            report.events = failure.events.iter().map(EventReport::from).collect();
            return Ok(with_server(report, request, Vec::new()));
        }
    };
    let (tls, tlsrpt) = tls_details(instance, session).await?;
    let extensions = extensions(instance, session).await?;
    let message = instance.push(request.message.clone())?;
    let client = instance.bindings.smtp_client_client();
    let delivered = client
        .session()
        .call_deliver(&mut instance.store, session, &envelope(request), message)
        .await
        .map_err(trap)?;
    let events = close(instance, session).await?;
    let mut report = match delivered {
        Ok(success) => success_report(&success),
        Err(failure) => failure_report(request, &failure),
    };
    report.tls = tls;
    report.tlsrpt = tlsrpt;
    report.events = events.iter().map(EventReport::from).collect();
    Ok(with_server(report, request, extensions))
}

/// The TLS state and the TLS-reporting results of an open session.
async fn tls_details(
    instance: &mut Instance,
    session: ResourceAny,
) -> Result<(Option<TlsReport>, Vec<serde_json::Value>), HostError> {
    let tls = tls_state(instance, session)
        .await?
        .as_ref()
        .map(TlsReport::from);
    let client = instance.bindings.smtp_client_client();
    let results = client
        .session()
        .call_tls_results(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?;
    Ok((tls, tlsrpt_json(instance, &results).await?))
}

/// The RFC 8460 JSON objects of `results`, from the component's `tls-report` export.
pub async fn tlsrpt_json(
    instance: &mut Instance,
    results: &TlsResults,
) -> Result<Vec<serde_json::Value>, HostError> {
    let trap = HostError::from_guest;
    let objects = instance
        .bindings
        .smtp_client_tls_report()
        .call_to_json(&mut instance.store, results)
        .await
        .map_err(trap)?;
    Ok(objects
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect())
}

fn success_report(success: &TransactionSuccess) -> Report {
    let recipients: Vec<RecipientReport> = success
        .recipients
        .iter()
        .map(RecipientReport::from)
        .collect();
    Report {
        status: Report::status_of(&recipients),
        recipients,
        error: None,
        server: None,
        tls: None,
        tlsrpt: Vec::new(),
        attempts: Vec::new(),
        events: Vec::new(),
    }
}

fn failure_report(request: &SendRequest, failure: &TransactionFailure) -> Report {
    let error = ErrorReport::from(&failure.error);
    if failure.recipients.is_empty() {
        return Report::failed(&request.to, error);
    }
    let recipients: Vec<RecipientReport> = failure
        .recipients
        .iter()
        .map(|r| {
            let mut report = RecipientReport::from(r);
            // Accepted at RCPT but the transaction failed: the message was not delivered.
            if report.status == crate::report::Status::Delivered {
                report.status = if error.permanent {
                    crate::report::Status::Permanent
                } else {
                    crate::report::Status::Temporary
                };
            }
            report
        })
        .collect();
    Report {
        status: Report::status_of(&recipients),
        recipients,
        error: Some(error),
        server: None,
        tls: None,
        tlsrpt: Vec::new(),
        attempts: Vec::new(),
        events: Vec::new(),
    }
}

fn with_server(mut report: Report, request: &SendRequest, extensions: Vec<String>) -> Report {
    report.server = Some(ServerReport {
        host: request.server.clone(),
        ip: None,
        port: request.port,
        extensions,
    });
    report
}

fn open_options(request: &SendRequest) -> OpenOptions {
    OpenOptions {
        tls_mode: request.tls_mode,
        verify_pkix: request.verify_pkix,
        ehlo_hostname: domain(&request.ehlo),
        remote_hostname: Some(domain(&request.server)),
        // Cleartext mechanisms stay refused without TLS: the command line has no flag for it.
        auth: request.auth.as_ref().map(|auth| AuthOptions {
            username: auth.username.clone(),
            secret: auth.secret.clone(),
            mechanisms: auth.mechanisms.clone(),
            allow_cleartext_without_tls: false,
        }),
        dane_records: request.dane_records.clone(),
        dane_more_hostnames: Vec::new(),
        ignore_tls_verify_errors: false,
        extra_root_cas: request.extra_root_cas.clone(),
        client_certificate: request
            .client_certificate
            .as_ref()
            .map(|cert| ClientCertificate {
                chain_pem: cert.chain_pem.clone(),
                key_pem: cert.key_pem.clone(),
            }),
        timeouts: request.timeout.map(uniform_timeouts),
        tls_results: None,
    }
}

fn envelope(request: &SendRequest) -> Envelope {
    Envelope {
        mail_from: request.from.clone(),
        recipients: recipients(&request.to),
        // The message's size() stands in.
        size: None,
        require_eightbitmime: request.require_8bitmime,
        require_smtputf8: request.require_smtputf8,
        require_tls: request.require_tls,
        dsn: None,
        line_endings: if request.normalize_line_endings {
            LineEndings::Normalize
        } else {
            LineEndings::Strict
        },
    }
}

fn io_error(message: String) -> ErrorReport {
    ErrorReport::of(ErrorKind::Io, false, message)
}

fn dns_error(message: String, permanent: bool) -> ErrorReport {
    ErrorReport::of(ErrorKind::Dns, permanent, message)
}
