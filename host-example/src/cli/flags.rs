//! The flags only host-example has (`--zone`, `--proxy`, `--source`), and what turns the
//! shared flags of the command line crate into this host's settings (its resolver, logger
//! and spool).

use crate::connector::TcpConnector;
use crate::dns::{DnsBackend, DnsResolver, HostsFile, Resolver, Shown, ZoneResolver};
use crate::host::HostConfig;
use crate::log_impl::{Logger, Silent, Stderr};
use crate::socks5::{Password, ProxyCredentials, Socks5Connector};
use crate::spool_impl::SpoolMessage;
use clap::Args;
use command_line::exit::{self, fail};
use command_line::flags::{DnsServerArgs, MessageSource, OutputArgs};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// `--zone FILE`: DNS answers from a zone file (tests, the demo).
#[derive(Args, Debug)]
pub struct ZoneArgs {
    /// Answer DNS lookups from this zone file instead of DNS.
    #[arg(long, value_name = "FILE", conflicts_with = "dns")]
    zone: Option<PathBuf>,
}

/// The resolver from `--dns` or `--zone`, else the system's; a bad value exits 64.
pub fn resolver(dns: &DnsServerArgs, zone: &ZoneArgs) -> Result<Resolver, u8> {
    if let Some(path) = &zone.zone {
        return ZoneResolver::from_file(path)
            .map(Resolver::Zone)
            .map_err(|e| {
                fail(
                    exit::USAGE,
                    &format!("cannot use zone file {}: {e}", path.display()),
                )
            });
    }
    if let Some(server) = dns.server()? {
        // An explicitly configured resolver is trusted for its AD bit.
        return Ok(Resolver::Dns(
            DnsResolver::new(server, true, crate::dns::DEFAULT_TIMEOUT)
                .with_hosts(HostsFile::from_system()),
        ));
    }
    DnsResolver::from_system()
        .map(Resolver::Dns)
        .map_err(|e| fail(exit::USAGE, &format!("no usable DNS resolver: {e}")))
}

/// The logger for the `-v` count: silent without, else stderr.
pub fn logger(output: &OutputArgs) -> Arc<dyn Logger> {
    if output.verbose > 0 {
        Arc::new(Stderr {
            verbosity: output.verbose,
        })
    } else {
        Arc::new(Silent)
    }
}

/// `resolver` as the host's DNS; with `-vv` every lookup the component makes is shown on
/// stderr.
pub fn shown_dns(output: &OutputArgs, resolver: Resolver) -> Arc<dyn DnsBackend> {
    if output.verbose >= 2 {
        Arc::new(Shown(resolver))
    } else {
        Arc::new(resolver)
    }
}

/// The message as the spool serves it: a file, read by position as often as the component
/// needs (with a progress bar on a terminal when it is large), or standard input, read once
/// into memory. A file that cannot be read exits 66.
pub fn open_message(source: &MessageSource) -> Result<SpoolMessage, u8> {
    match source {
        MessageSource::File(path) => match SpoolMessage::file(path) {
            Ok(message) => Ok(match crate::progress::bar(Some(message.size())) {
                Some(bar) => message.with_progress(bar),
                None => message,
            }),
            Err(error) => Err(fail(
                exit::NOINPUT,
                &format!("cannot read message file {}: {error}", path.display()),
            )),
        },
        MessageSource::Stdin => {
            let mut bytes = Vec::new();
            match std::io::stdin().read_to_end(&mut bytes) {
                Ok(_) => Ok(SpoolMessage::bytes(bytes)),
                Err(error) => Err(fail(
                    exit::NOINPUT,
                    &format!("cannot read the message from standard input: {error}"),
                )),
            }
        }
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
