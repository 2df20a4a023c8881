//! `deliver`: direct delivery to the MX hosts of each recipient domain, or through a relay
//! with `--relay`. The flags, the request they make, and the delivery domain by domain with
//! the MTA-STS policy cache; the host supplies one domain's attempt through the component
//! ([`DeliverPlatform`]).

use crate::exit::{self, fail};
use crate::flags::{
    AuthArgs, CaArgs, ClientCertArgs, DnsServerArgs, EhloArgs, MailArgs, MessageSource, OutputArgs,
    ServerTlsArgs, TimeoutArgs, split_server,
};
use crate::report::{
    AttemptReport, ErrorReport, EventReport, RecipientReport, Report, ServerReport, Status,
    TlsReport,
};
use crate::request::{DeliverRequest, Relay, TlsLevel, domain_of};
use crate::sts_cache::{CachedPolicy, StsCache};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

/// `deliver` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct DeliverArgs {
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub dns: DnsServerArgs,
    /// The SMTP port of the MX hosts.
    #[arg(long, default_value_t = 25, conflicts_with = "relay")]
    port: u16,
    /// Deliver through this server (a smarthost) instead of the MX hosts: its TLS and AUTH
    /// as --tls, --no-verify, --tlsa, --user, --password-file, --auth say (as for `send`;
    /// the port defaults to 587, STARTTLS required, immediate TLS on 465). No DANE or
    /// MTA-STS lookup for the recipient domains then.
    #[arg(long, value_name = "HOST[:PORT]")]
    relay: Option<String>,
    #[command(flatten)]
    relay_tls: ServerTlsArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    client_cert: ClientCertArgs,
    #[command(flatten)]
    ehlo: EhloArgs,
    #[command(flatten)]
    ca: CaArgs,
    /// The lowest TLS level (Postfix's names); DANE and MTA-STS raise it as the domain
    /// publishes them.
    #[arg(long, value_enum, default_value = "dane", conflicts_with = "relay")]
    tls_level: LevelArg,
    /// "TLS-Required: No" (RFC 8689): deliver despite TLS verification failures.
    #[arg(long)]
    tls_required_no: bool,
    /// Dial MX hosts at loopback and private addresses too (tests, labs). By default only
    /// globally reachable addresses are dialed, so that a domain's MX records cannot point
    /// this machine at its own MTA or internal services; unspecified, multicast and
    /// broadcast addresses are never dialed.
    #[arg(long, conflicts_with = "relay")]
    pub allow_private_addresses: bool,
    /// Keep MTA-STS policies in this directory between runs, one JSON file per domain: a
    /// cached policy still applies when its fetch fails (RFC 8461 §5.1). host-example's
    /// default is the user's cache directory ($XDG_CACHE_HOME/smtpclient/mta-sts); under
    /// `wasmtime run` there is none (a component has no home directory): give DIR and
    /// preopen it (`--dir DIR::DIR`).
    #[arg(long, value_name = "DIR", conflicts_with = "relay")]
    pub sts_cache: Option<PathBuf>,
    #[command(flatten)]
    timeout: TimeoutArgs,
    /// The most time one recipient domain's whole delivery may take, lookups and every
    /// host included; when it passes, its recipients are temporary failures.
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum LevelArg {
    May,
    Encrypt,
    Dane,
    DaneOnly,
    Verify,
    Secure,
}

impl DeliverArgs {
    /// Whether `--relay` was given (a relay is the user's choice: every address may be
    /// dialed, as `send`'s server).
    pub fn relayed(&self) -> bool {
        self.relay.is_some()
    }

    /// The request these flags make, with the message `open` makes of its source and the
    /// EHLO name `machine_name` gives when `--ehlo` is absent. A bad flag, or a relay's flag
    /// without `--relay`, exits 64; an unreadable file 66.
    pub fn request<M>(
        &self,
        open: impl FnOnce(&MessageSource) -> Result<M, u8>,
        machine_name: impl FnOnce() -> String,
    ) -> Result<DeliverRequest<M>, u8> {
        let relay = self.relay()?;
        let message = open(&self.mail.message_source())?;
        Ok(DeliverRequest {
            client_certificate: self.client_cert.certificate()?,
            extra_roots: self.ca.roots()?,
            from: self.mail.from.clone(),
            to: self.mail.to.clone(),
            message,
            port: self.port,
            ehlo: self.ehlo.name_or(machine_name),
            tls_level: match self.tls_level {
                LevelArg::May => TlsLevel::May,
                LevelArg::Encrypt => TlsLevel::Encrypt,
                LevelArg::Dane => TlsLevel::Dane,
                LevelArg::DaneOnly => TlsLevel::DaneOnly,
                LevelArg::Verify => TlsLevel::Verify,
                LevelArg::Secure => TlsLevel::Secure,
            },
            allow_private_addresses: self.allow_private_addresses,
            relay,
            tls_required_no: self.tls_required_no,
            timeout: self.timeout.duration(),
            deadline: self.deadline.map(Duration::from_secs),
            attempt_number: 0,
            eight_bit_mime: self.mail.eight_bit_mime,
            smtputf8: self.mail.smtputf8,
            require_tls: self.mail.requiretls,
        })
    }

    /// The relay of `--relay` with its TLS and AUTH flags.
    fn relay(&self) -> Result<Option<Relay>, u8> {
        let Some(text) = &self.relay else {
            if self.relay_tls.given() || self.auth.given() {
                return Err(fail(
                    exit::USAGE,
                    "--tls, --no-verify, --tlsa and --user apply to --relay; MX hosts get the \
                     TLS their domain publishes (--tls-level)",
                ));
            }
            return Ok(None);
        };
        let (server, port) =
            split_server("--relay", text, 587).map_err(|message| fail(exit::USAGE, &message))?;
        Ok(Some(Relay {
            tls_mode: self.relay_tls.mode(port),
            verify_pkix: self.relay_tls.verify_pkix(),
            dane_records: self.relay_tls.dane_records()?,
            auth: self.auth.credentials()?,
            server,
            port,
        }))
    }
}

/// What one recipient domain's delivery attempt reported, in the command line's terms.
#[derive(Debug, Clone, Default)]
pub struct DomainReport {
    pub recipients: Vec<RecipientReport>,
    /// The hosts and addresses tried, in order.
    pub attempts: Vec<AttemptReport>,
    /// The last server that answered EHLO, with its TLS details.
    pub server: Option<(ServerReport, Option<TlsReport>)>,
    pub tlsrpt: Vec<serde_json::Value>,
    pub events: Vec<EventReport>,
    pub error: Option<ErrorReport>,
    /// The MTA-STS policy fetched during the attempt, to cache (it replaces what was cached).
    pub sts_policy: Option<CachedPolicy>,
}

/// What `deliver` needs from a host.
pub trait DeliverPlatform {
    type Message;
    /// A failure of the host itself (a trap), not of the delivery.
    type Error;

    /// One call of the component's `delivery.deliver` for the recipients `to` of `domain`,
    /// with the domain's `cached` MTA-STS policy.
    fn deliver_domain(
        &mut self,
        request: &DeliverRequest<Self::Message>,
        domain: &str,
        to: &[String],
        cached: Option<CachedPolicy>,
    ) -> impl Future<Output = Result<DomainReport, Self::Error>>;
}

/// Delivers to every recipient domain in turn and merges the reports: recipients in the
/// order given, attempts and TLS-reporting results in order. MTA-STS policies are read from
/// and kept in `sts_cache` when given, never for a relay (no MTA-STS lookup then).
///
/// # Errors
/// What the platform returns as its error.
pub async fn deliver<P: DeliverPlatform>(
    platform: &mut P,
    request: &DeliverRequest<P::Message>,
    sts_cache: Option<&StsCache>,
) -> Result<Report, P::Error> {
    let sts_cache = sts_cache.filter(|_| request.relay.is_none());
    let mut by_domain: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for address in &request.to {
        by_domain
            .entry(domain_of(address).to_ascii_lowercase())
            .or_default()
            .push(address.clone());
    }
    let mut recipients: BTreeMap<String, RecipientReport> = BTreeMap::new();
    let mut merged = Report::of_recipients(Vec::new(), None);
    for (domain, to) in by_domain {
        // RFC 8461 §5.1: the component falls back on the cached policy when the fetch fails.
        let cached = sts_cache.and_then(|cache| cache.get(&domain));
        let report = platform
            .deliver_domain(request, &domain, &to, cached)
            .await?;
        if let (Some(cache), Some(policy)) = (sts_cache, &report.sts_policy) {
            cache.put(&domain, policy);
        }
        if let Some((server, tls)) = report.server {
            merged.server = Some(server);
            merged.tls = tls;
        }
        merged.attempts.extend(report.attempts);
        merged.tlsrpt.extend(report.tlsrpt);
        merged.events.extend(report.events);
        if report.error.is_some() {
            merged.error = report.error;
        }
        for recipient in report.recipients {
            recipients.insert(recipient.address.clone(), recipient);
        }
    }
    merged.recipients = request
        .to
        .iter()
        .filter_map(|address| recipients.remove(address))
        .collect();
    merged.status = Report::status_of(&merged.recipients);
    if merged.status == Status::Delivered {
        merged.error = None;
    }
    Ok(merged)
}
