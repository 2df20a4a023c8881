//! Flags that several subcommands share, flattened into each (`#[command(flatten)]`), with
//! what turns them into the library's settings.

use super::output::{exit, fail};
use crate::dns::{DnsBackend, DnsResolver, HostsFile, Resolver, Shown, ZoneResolver};
use crate::log_impl::{Logger, Silent, Stderr};
use clap::Args;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where DNS answers come from: `--dns` or `--zone`, else the system's resolver.
#[derive(Args, Debug)]
pub struct DnsArgs {
    /// Use this DNS resolver (trusted for DNSSEC).
    #[arg(long, value_name = "IP[:PORT]", conflicts_with = "zone")]
    dns: Option<String>,
    /// Answer DNS lookups from this zone file instead of DNS.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
}

impl DnsArgs {
    /// The resolver from `--dns` or `--zone`, else the system's; a bad value exits 64.
    pub fn resolver(&self) -> Result<Resolver, u8> {
        self.choose().map_err(|message| fail(exit::USAGE, &message))
    }

    fn choose(&self) -> Result<Resolver, String> {
        if let Some(path) = &self.zone {
            return ZoneResolver::from_file(path)
                .map(Resolver::Zone)
                .map_err(|e| format!("cannot use zone file {}: {e}", path.display()));
        }
        if let Some(server) = &self.dns {
            let addr = parse_socket_addr(server, crate::dns::DNS_PORT)
                .ok_or_else(|| format!("--dns wants IP[:PORT], got {server:?}"))?;
            // An explicitly configured resolver is trusted for its AD bit.
            return Ok(Resolver::Dns(
                DnsResolver::new(addr, true, crate::dns::DEFAULT_TIMEOUT)
                    .with_hosts(HostsFile::from_system()),
            ));
        }
        DnsResolver::from_system()
            .map(Resolver::Dns)
            .map_err(|e| format!("no usable DNS resolver: {e}"))
    }
}

/// What is printed: `--json`, and `-v` / `-vv` on stderr.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// -v: SMTP transcript on stderr; -vv: also DNS lookups and debug lines.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

impl OutputArgs {
    /// The logger for the `-v` count: silent without, else stderr.
    pub fn logger(&self) -> Arc<dyn Logger> {
        if self.verbose > 0 {
            Arc::new(Stderr {
                verbosity: self.verbose,
            })
        } else {
            Arc::new(Silent)
        }
    }

    /// `resolver` as the host's DNS; with `-vv` every lookup the component makes is shown
    /// on stderr.
    pub fn dns(&self, resolver: Resolver) -> Arc<dyn DnsBackend> {
        if self.verbose >= 2 {
            Arc::new(Shown(resolver))
        } else {
            Arc::new(resolver)
        }
    }
}

/// `--timeout SECONDS`.
#[derive(Args, Debug)]
pub struct TimeoutArgs {
    /// Replace every per-phase deadline (connect, each reply, each write).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
}

impl TimeoutArgs {
    /// The deadline given, if any.
    pub fn duration(&self) -> Option<Duration> {
        self.timeout.map(Duration::from_secs)
    }
}

/// The envelope and the message: what `send` and `deliver` both carry.
#[derive(Args, Debug)]
pub struct MailArgs {
    /// The envelope sender (MAIL FROM); "" for the null sender.
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    /// A recipient (RCPT TO); repeat for more. `deliver` groups them by domain, one
    /// delivery attempt per domain.
    #[arg(long, value_name = "ADDR", required = true)]
    pub to: Vec<String>,
    /// The message file; "-" or absent: standard input.
    #[arg(long, value_name = "FILE|-")]
    message: Option<PathBuf>,
    /// The message has 8-bit content (BODY=8BITMIME, RFC 6152).
    #[arg(long = "8bitmime")]
    pub eight_bit_mime: bool,
    /// The message needs SMTPUTF8 (RFC 6531).
    #[arg(long)]
    pub smtputf8: bool,
    /// Ask for REQUIRETLS (RFC 8689).
    #[arg(long)]
    pub requiretls: bool,
}

impl MailArgs {
    /// The message file with its size, or `None` for standard input; a file that cannot be
    /// read exits 66.
    pub fn message_file(&self) -> Result<Option<(&Path, u64)>, u8> {
        match &self.message {
            Some(path) if path.as_os_str() != "-" => match std::fs::metadata(path) {
                Ok(meta) => Ok(Some((path, meta.len()))),
                Err(error) => Err(fail(
                    exit::NOINPUT,
                    &format!("cannot read message file {}: {error}", path.display()),
                )),
            },
            _ => Ok(None),
        }
    }
}

/// `--ca FILE.pem`, repeatable.
#[derive(Args, Debug)]
pub struct CaArgs {
    /// Trust the certificates of this PEM file for PKIX, besides the built-in Mozilla roots.
    #[arg(long, value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
}

impl CaArgs {
    /// The certificates of the `--ca` files, DER; a missing file exits 66, a file without a
    /// certificate 64.
    pub fn roots(&self) -> Result<Vec<Vec<u8>>, u8> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject;
        let mut roots = Vec::new();
        for path in &self.ca {
            let pem = std::fs::read(path).map_err(|e| {
                fail(
                    exit::NOINPUT,
                    &format!("cannot read ca file {}: {e}", path.display()),
                )
            })?;
            let before = roots.len();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    fail(exit::USAGE, &format!("bad pem in {}: {e}", path.display()))
                })?;
                roots.push(cert.to_vec());
            }
            if roots.len() == before {
                return Err(fail(
                    exit::USAGE,
                    &format!("no certificate in ca file {}", path.display()),
                ));
            }
        }
        Ok(roots)
    }
}

/// `--ehlo NAME`.
#[derive(Args, Debug)]
pub struct EhloArgs {
    /// The name announced in EHLO; by default the machine's fully qualified name.
    #[arg(long, value_name = "NAME")]
    ehlo: Option<String>,
}

impl EhloArgs {
    /// The name given, else the machine's fully qualified name.
    pub fn name(&self) -> String {
        self.ehlo.clone().unwrap_or_else(super::ehlo::machine_name)
    }
}

/// "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6".
pub fn parse_socket_addr(text: &str, default_port: u16) -> Option<SocketAddr> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr);
    }
    let ip = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    Some(SocketAddr::new(ip, default_port))
}
