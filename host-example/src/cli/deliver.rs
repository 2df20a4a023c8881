//! `host-example deliver`: direct delivery to the MX hosts of each recipient domain
//! (DESIGN.md, "The command line").

use super::flags::{CaArgs, DnsArgs, EhloArgs, MailArgs, OutputArgs, TimeoutArgs};
use super::load_host;
use super::output::{exit, fail, print_report};
use crate::bindings::delivery::TlsLevel;
use crate::deliver::{DeliverRequest, deliver};
use crate::egress::{AddressPolicy, EgressPolicy};
use crate::host::HostConfig;
use crate::spool_impl::SpoolMessage;
use crate::sts_cache::StsCache;
use clap::{Args, ValueEnum};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `deliver` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct DeliverArgs {
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    dns: DnsArgs,
    /// The SMTP port of the MX hosts.
    #[arg(long, default_value_t = 25)]
    port: u16,
    #[command(flatten)]
    ehlo: EhloArgs,
    #[command(flatten)]
    ca: CaArgs,
    /// The lowest TLS level (Postfix's names); DANE and MTA-STS raise it as the domain
    /// publishes them.
    #[arg(long, value_enum, default_value = "dane")]
    tls_level: LevelArg,
    /// "TLS-Required: No" (RFC 8689): deliver despite TLS verification failures.
    #[arg(long)]
    tls_required_no: bool,
    /// Keep MTA-STS policies in this directory (default: the user's cache directory).
    #[arg(long, value_name = "DIR")]
    sts_cache: Option<PathBuf>,
    /// Dial MX hosts at loopback and private addresses too (tests, labs). By default only
    /// globally reachable addresses are dialed, so that a domain's MX records cannot point
    /// this machine at its own MTA or internal services; unspecified, multicast and
    /// broadcast addresses are never dialed.
    #[arg(long)]
    allow_private_addresses: bool,
    #[command(flatten)]
    timeout: TimeoutArgs,
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
    let (message, size) = match spool_message(&args.mail) {
        Ok(message) => message,
        Err(code) => return code,
    };
    let extra_roots = match args.ca.roots() {
        Ok(roots) => roots,
        Err(code) => return code,
    };
    let resolver = match args.dns.resolver() {
        Ok(resolver) => resolver,
        Err(code) => return code,
    };
    let egress: Arc<dyn EgressPolicy> = if args.allow_private_addresses {
        Arc::new(AddressPolicy::dialable())
    } else {
        Arc::new(PublicOnly::default())
    };
    let config = HostConfig {
        egress,
        ..HostConfig::command_line(args.output.dns(resolver), args.output.logger())
    };
    let host = match load_host(component, config) {
        Ok(host) => host,
        Err(code) => return code,
    };
    let request = DeliverRequest {
        from: args.mail.from,
        to: args.mail.to,
        message,
        size: Some(size),
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
        tls_required_no: args.tls_required_no,
        extra_roots,
        timeout: args.timeout.duration(),
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

/// The message as the spool serves it, with its size: a file is read again for every host
/// and transaction; standard input is read once into memory.
fn spool_message(mail: &MailArgs) -> Result<(SpoolMessage, u64), u8> {
    if let Some((path, size)) = mail.message_file()? {
        return Ok((SpoolMessage::File(path.to_path_buf()), size));
    }
    let mut bytes = Vec::new();
    match std::io::stdin().read_to_end(&mut bytes) {
        Ok(n) => Ok((SpoolMessage::Bytes(bytes.into()), n as u64)),
        Err(error) => Err(fail(
            exit::NOINPUT,
            &format!("cannot read the message from standard input: {error}"),
        )),
    }
}
