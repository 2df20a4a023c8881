//! `host-example deliver`: direct delivery to the MX hosts of each recipient domain, or
//! through a relay with `--relay` (DESIGN.md, "The command line").

use super::flags::{
    AuthArgs, CaArgs, ClientCertArgs, DnsArgs, EgressArgs, EhloArgs, MailArgs, OutputArgs,
    ServerTlsArgs, TimeoutArgs, split_server,
};
use super::output::{exit, fail, print_report};
use super::start_host;
use crate::bindings::delivery::TlsLevel;
use crate::deliver::{DeliverRequest, Relay, deliver};
use crate::egress::{AddressPolicy, EgressPolicy};
use crate::sts_cache::StsCache;
use clap::{Args, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `deliver` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct DeliverArgs {
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    dns: DnsArgs,
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
    /// Keep MTA-STS policies in this directory (default: the user's cache directory).
    #[arg(long, value_name = "DIR", conflicts_with = "relay")]
    sts_cache: Option<PathBuf>,
    /// Dial MX hosts at loopback and private addresses too (tests, labs). By default only
    /// globally reachable addresses are dialed, so that a domain's MX records cannot point
    /// this machine at its own MTA or internal services; unspecified, multicast and
    /// broadcast addresses are never dialed.
    #[arg(long, conflicts_with = "relay")]
    allow_private_addresses: bool,
    #[command(flatten)]
    egress: EgressArgs,
    #[command(flatten)]
    timeout: TimeoutArgs,
    /// The most time one recipient domain's whole delivery may take, lookups and every
    /// host included; when it passes, its recipients are temporary failures.
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<u64>,
    #[command(flatten)]
    output: OutputArgs,
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

/// The egress of `deliver` without `--allow-private-addresses`: globally reachable
/// addresses only, and a refusal the flag would lift says so.
struct PublicOnly {
    dialable: AddressPolicy,
    public: AddressPolicy,
}

impl Default for PublicOnly {
    fn default() -> Self {
        PublicOnly {
            dialable: AddressPolicy::dialable(),
            public: AddressPolicy::public_only(),
        }
    }
}

impl EgressPolicy for PublicOnly {
    fn check(&self, remote: SocketAddr, local: Option<IpAddr>) -> Result<(), String> {
        self.dialable.check(remote, local)?;
        self.public
            .check(remote, local)
            .map_err(|reason| format!("{reason} (--allow-private-addresses allows it)"))
    }
}

/// Runs `deliver` and returns its exit code.
pub async fn run(component: Option<&Path>, args: DeliverArgs) -> u8 {
    let relay = match relay(&args) {
        Ok(relay) => relay,
        Err(code) => return code,
    };
    let message = match args.mail.spool_message() {
        Ok(message) => message,
        Err(code) => return code,
    };
    let client_certificate = match args.client_cert.certificate() {
        Ok(cert) => cert,
        Err(code) => return code,
    };
    let extra_roots = match args.ca.roots() {
        Ok(roots) => roots,
        Err(code) => return code,
    };
    // A relay is the user's choice, as `send`'s server: every address allowed.
    let egress: Arc<dyn EgressPolicy> = if relay.is_some() {
        Arc::new(AddressPolicy::allow_all())
    } else if args.allow_private_addresses {
        Arc::new(AddressPolicy::dialable())
    } else {
        Arc::new(PublicOnly::default())
    };
    let host = match start_host(component, &args.dns, &args.output, &args.egress, egress).await {
        Ok(host) => host,
        Err(code) => return code,
    };
    let request = DeliverRequest {
        from: args.mail.from,
        to: args.mail.to,
        message,
        port: args.port,
        ehlo: args.ehlo.name(),
        tls_level: match args.tls_level {
            LevelArg::May => TlsLevel::May,
            LevelArg::Encrypt => TlsLevel::Encrypt,
            LevelArg::Dane => TlsLevel::Dane,
            LevelArg::DaneOnly => TlsLevel::DaneOnly,
            LevelArg::Verify => TlsLevel::Verify,
            LevelArg::Secure => TlsLevel::Secure,
        },
        allow_private_addresses: args.allow_private_addresses,
        relay,
        tls_required_no: args.tls_required_no,
        extra_roots,
        timeout: args.timeout.duration(),
        deadline: args.deadline.map(Duration::from_secs),
        client_certificate,
        attempt_number: 0,
        eight_bit_mime: args.mail.eight_bit_mime,
        smtputf8: args.mail.smtputf8,
        require_tls: args.mail.requiretls,
        sts_cache: args
            .sts_cache
            .or_else(StsCache::default_dir)
            .map(StsCache::new),
    };
    let report = match deliver(&host, &request).await {
        Ok(report) => report,
        Err(error) => return fail(exit::SOFTWARE, &error.to_string()),
    };
    print_report(&report, args.output.json)
}

/// The relay of `--relay` with its TLS and AUTH flags; those flags without `--relay`, or a
/// bad value, exit 64.
fn relay(args: &DeliverArgs) -> Result<Option<Relay>, u8> {
    let Some(text) = &args.relay else {
        if args.relay_tls.given() || args.auth.given() {
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
        tls_mode: args.relay_tls.mode(port),
        verify_pkix: args.relay_tls.verify_pkix(),
        dane_records: args.relay_tls.dane_records()?,
        auth: args.auth.credentials()?,
        server,
        port,
    }))
}
