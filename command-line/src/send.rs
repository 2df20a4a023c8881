//! `send`: submit one message to one server (msmtp-style). The flags, the request they
//! make, and the attempt over the server's addresses; the host supplies DNS, dialing and
//! the session ([`SendPlatform`]).

use crate::exit::{self, fail};
use crate::flags::{
    AuthArgs, CaArgs, ClientCertArgs, DnsServerArgs, EhloArgs, MailArgs, MessageSource, OutputArgs,
    ServerTlsArgs, TimeoutArgs, split_server,
};
use crate::report::{AttemptReport, ErrorReport, EventReport, Report};
use crate::request::SendRequest;
use clap::Args;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The connect deadline without `--timeout` (RFC 5321 §4.5.3.2 has none; 30 s as common
/// MTAs use).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// `send` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The server, HOST or HOST:PORT (an IPv6 address in brackets: [::1]:587).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: String,
    #[command(flatten)]
    tls: ServerTlsArgs,
    #[command(flatten)]
    ca: CaArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    client_cert: ClientCertArgs,
    #[command(flatten)]
    ehlo: EhloArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Turn bare CR and LF in the message into CRLF instead of refusing it.
    #[arg(long)]
    normalize: bool,
    #[command(flatten)]
    timeout: TimeoutArgs,
    #[command(flatten)]
    pub dns: DnsServerArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

impl SendArgs {
    /// The request these flags make, with the message `open` makes of its source and the
    /// EHLO name `machine_name` gives when `--ehlo` is absent. A bad flag exits 64, an
    /// unreadable file 66 (after one line on stderr).
    pub fn request<M>(
        &self,
        open: impl FnOnce(&MessageSource) -> Result<M, u8>,
        machine_name: impl FnOnce() -> String,
    ) -> Result<SendRequest<M>, u8> {
        let (server, port) = split_server("--server", &self.server, 587)
            .map_err(|message| fail(exit::USAGE, &message))?;
        let message = open(&self.mail.message_source())?;
        Ok(SendRequest {
            tls_mode: self.tls.mode(port),
            verify_pkix: self.tls.verify_pkix(),
            extra_root_cas: self.ca.roots()?,
            dane_records: self.tls.dane_records()?,
            auth: self.auth.credentials()?,
            client_certificate: self.client_cert.certificate()?,
            ehlo: self.ehlo.name_or(machine_name),
            from: self.mail.from.clone(),
            to: self.mail.to.clone(),
            message,
            require_8bitmime: self.mail.eight_bit_mime,
            require_smtputf8: self.mail.smtputf8,
            require_tls: self.mail.requiretls,
            normalize_line_endings: self.normalize,
            timeout: self.timeout.duration(),
            server,
            port,
        })
    }
}

/// What `send` needs from a host.
pub trait SendPlatform {
    type Message;
    /// An open TCP connection, to be handed to the component.
    type Connection;
    /// A failure of the host itself (a trap), not of the submission.
    type Error;

    /// The addresses of the server name `server`; a failure as the report's error (a DNS
    /// error: permanent when the name does not exist or the resolver refuses, else temporary).
    fn lookup_ip(&mut self, server: &str)
    -> impl Future<Output = Result<Vec<IpAddr>, ErrorReport>>;

    /// A connection to `remote` within `timeout`, or why not.
    fn dial(
        &mut self,
        remote: SocketAddr,
        timeout: Duration,
    ) -> impl Future<Output = Result<Self::Connection, String>>;

    /// The session on `connection` (open, deliver, close) and its report; the report's
    /// server, attempts and dial events are added by [`send`].
    fn submit(
        &mut self,
        connection: Self::Connection,
        request: &SendRequest<Self::Message>,
    ) -> impl Future<Output = Result<Report, Self::Error>>;
}

/// Submit the message: the server's addresses in turn until one connects, then the session
/// there. Network and SMTP failures are part of the report; only host failures are errors.
///
/// # Errors
/// What the platform's `submit` returns as its error.
pub async fn send<P: SendPlatform>(
    platform: &mut P,
    request: &SendRequest<P::Message>,
) -> Result<Report, P::Error> {
    let addresses = match addresses(platform, &request.server).await {
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
        let dialed = platform.dial(remote, connect_timeout).await;
        dials.push(EventReport::Dial {
            host: request.server.clone(),
            address: ip.to_string(),
            port: request.port,
            outcome: if dialed.is_ok() {
                "connected"
            } else {
                "failed"
            },
            reason: dialed.as_ref().err().cloned(),
            duration_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
        match dialed {
            Ok(connection) => {
                let mut report = platform.submit(connection, request).await?;
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
                error: Some(ErrorReport::of(
                    "io",
                    false,
                    format!("connecting to {remote}: {error}"),
                )),
            }),
        }
    }
    let last = attempts
        .last()
        .and_then(|a| a.error.clone())
        .unwrap_or_else(|| ErrorReport::of("io", false, "no address to connect to".into()));
    let mut report = Report::failed(&request.to, last);
    report.attempts = attempts;
    report.events = dials;
    Ok(report)
}

/// The addresses of the server: an IP address as given (bare or in brackets), else the
/// platform's answer.
async fn addresses<P: SendPlatform>(
    platform: &mut P,
    server: &str,
) -> Result<Vec<IpAddr>, ErrorReport> {
    let literal = server.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match platform.lookup_ip(server).await {
        Ok(found) if found.is_empty() => Err(ErrorReport::of(
            "dns",
            true,
            format!("{server} has no addresses"),
        )),
        found => found,
    }
}
