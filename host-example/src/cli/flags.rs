//! Flags that several subcommands share, flattened into each (`#[command(flatten)]`), with
//! what turns them into the library's settings.

use super::output::{exit, fail};
use crate::connector::TcpConnector;
use crate::dns::{DnsBackend, DnsResolver, HostsFile, Resolver, Shown, ZoneResolver};
use crate::host::HostConfig;
use crate::log_impl::{Logger, Silent, Stderr};
use crate::socks5::{Password, ProxyCredentials, Socks5Connector};
use clap::Args;
use std::net::{IpAddr, SocketAddr};
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

/// The environment variable with the password of `--proxy socks5://USER@...`.
const PROXY_PASSWORD_ENV: &str = "SMTP_PROXY_PASSWORD";

/// Where connections go out: `--proxy socks5://[USER@]HOST:PORT`, `--source IP`.
#[derive(Args, Debug)]
pub struct EgressArgs {
    /// Connect through this SOCKS5 proxy (RFC 1928). With USER, the password (RFC 1929)
    /// comes from the SMTP_PROXY_PASSWORD environment variable, never from a flag. DNS stays
    /// ours: the proxy is asked to connect to IP addresses, and the egress policy still
    /// judges them.
    #[arg(long, value_name = "socks5://[USER@]HOST:PORT")]
    proxy: Option<String>,
    /// Connect from this local address (one IPv4, one IPv6 at most); pair it with the
    /// `--ehlo` name that belongs to it. With --proxy the proxy chooses the source.
    #[arg(long, value_name = "IP", conflicts_with = "proxy")]
    source: Vec<IpAddr>,
}

impl EgressArgs {
    /// `config` with the connector of `--proxy` and the `--source` addresses. A malformed
    /// proxy, a password in it, a user without the password variable, or two sources of
    /// one family exit 64; a proxy name that does not resolve exits 75.
    pub async fn apply(&self, config: HostConfig) -> Result<HostConfig, u8> {
        let v4 = self.source.iter().filter(|ip| ip.is_ipv4()).count();
        if v4 > 1 || self.source.len() - v4 > 1 {
            return Err(fail(
                exit::USAGE,
                "--source takes at most one IPv4 and one IPv6 address",
            ));
        }
        let connector = match &self.proxy {
            Some(text) => proxy_connector(text)
                .await
                .map_err(|(code, message)| fail(code, &message))?,
            None => config.connector,
        };
        Ok(HostConfig {
            connector,
            local_addresses: self.source.clone(),
            ..config
        })
    }
}

/// The connector for a `--proxy` URL, or the exit code and message why not.
async fn proxy_connector(text: &str) -> Result<Arc<dyn TcpConnector>, (u8, String)> {
    let usage = |why: &str| (exit::USAGE, format!("--proxy {text:?}: {why}"));
    let url = url::Url::parse(text).map_err(|e| usage(&e.to_string()))?;
    if url.scheme() != "socks5" {
        return Err(usage("only socks5://[USER@]HOST:PORT is supported"));
    }
    if url.password().is_some() {
        return Err(usage(&format!(
            "the password comes from {PROXY_PASSWORD_ENV}, never from a flag"
        )));
    }
    let (Some(host), Some(port)) = (url.host(), url.port()) else {
        return Err(usage("HOST:PORT is missing"));
    };
    let credentials = match url.username() {
        "" => None,
        username => {
            // RFC 3986 §3.2.1: the user part is percent-encoded.
            let username = percent_encoding::percent_decode_str(username)
                .decode_utf8()
                .map_err(|e| usage(&e.to_string()))?
                .into_owned();
            let password = std::env::var(PROXY_PASSWORD_ENV).map_err(|_| {
                usage(&format!(
                    "a user needs the {PROXY_PASSWORD_ENV} environment variable"
                ))
            })?;
            Some(ProxyCredentials {
                username,
                password: Password(password),
            })
        }
    };
    let proxy = match host {
        url::Host::Ipv4(ip) => SocketAddr::new(IpAddr::V4(ip), port),
        url::Host::Ipv6(ip) => SocketAddr::new(IpAddr::V6(ip), port),
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .ok()
            .and_then(|mut found| found.next())
            .ok_or_else(|| {
                (
                    exit::TEMPFAIL,
                    format!("cannot resolve the socks5 proxy {name}"),
                )
            })?,
    };
    Ok(Arc::new(Socks5Connector::new(proxy, credentials)))
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
