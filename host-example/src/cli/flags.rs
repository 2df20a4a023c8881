//! Flags that several subcommands share, flattened into each (`#[command(flatten)]`), with
//! what turns them into the library's settings.

use super::output::{exit, fail};
use crate::bindings::types::{TlsMode, Tlsa};
use crate::connector::TcpConnector;
use crate::convert::sasl_mechanism;
use crate::dns::{DnsBackend, DnsResolver, HostsFile, Resolver, Shown, ZoneResolver};
use crate::host::HostConfig;
use crate::log_impl::{Logger, Silent, Stderr};
use crate::send::{ClientCert, SendAuth};
use crate::socks5::{Password, ProxyCredentials, Socks5Connector};
use crate::spool_impl::SpoolMessage;
use clap::{Args, ValueEnum};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
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
    /// The message as the spool serves it: a file, read by position as often as the
    /// component needs (with a progress bar on a terminal when it is large), or standard
    /// input, read once into memory. A file that cannot be read exits 66.
    pub fn spool_message(&self) -> Result<SpoolMessage, u8> {
        match &self.message {
            Some(path) if path.as_os_str() != "-" => match SpoolMessage::file(path) {
                Ok(message) => Ok(match crate::progress::bar(Some(message.size())) {
                    Some(bar) => message.with_progress(bar),
                    None => message,
                }),
                Err(error) => Err(fail(
                    exit::NOINPUT,
                    &format!("cannot read message file {}: {error}", path.display()),
                )),
            },
            _ => {
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

/// How TLS is used with a server the user names (`send --server`, `deliver --relay`).
#[derive(Args, Debug)]
pub struct ServerTlsArgs {
    /// How TLS is used; by default STARTTLS, or immediate TLS on port 465.
    #[arg(long, value_enum)]
    tls: Option<TlsArg>,
    /// Do not verify the server's certificate (PKIX).
    #[arg(long)]
    no_verify: bool,
    /// Require DANE with this TLSA record, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698
    /// §2.2), like `openssl s_client -dane_tlsa_rrdata`; repeat for more. A DANE-EE or
    /// DANE-TA record that matches replaces PKIX.
    #[arg(long, value_name = "U S M HEX")]
    tlsa: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TlsArg {
    Immediate,
    Starttls,
    Opportunistic,
    None,
}

impl ServerTlsArgs {
    /// The mode given, else immediate TLS on port 465 and STARTTLS elsewhere.
    pub fn mode(&self, port: u16) -> TlsMode {
        match self.tls {
            Some(TlsArg::Immediate) => TlsMode::Immediate,
            Some(TlsArg::Starttls) => TlsMode::RequiredStarttls,
            Some(TlsArg::Opportunistic) => TlsMode::Opportunistic,
            Some(TlsArg::None) => TlsMode::Skip,
            None if port == 465 => TlsMode::Immediate,
            None => TlsMode::RequiredStarttls,
        }
    }

    /// Whether PKIX is verified (`--no-verify` not given).
    pub fn verify_pkix(&self) -> bool {
        !self.no_verify
    }

    /// The `--tlsa` records; none given means no DANE. A malformed one exits 64.
    pub fn dane_records(&self) -> Result<Option<Vec<Tlsa>>, u8> {
        parse_tlsa(&self.tlsa).map_err(|message| fail(exit::USAGE, &message))
    }

    /// Whether any of these flags was given.
    pub fn given(&self) -> bool {
        self.tls.is_some() || self.no_verify || !self.tlsa.is_empty()
    }
}

/// The `--tlsa` records; none given means no DANE.
fn parse_tlsa(records: &[String]) -> Result<Option<Vec<Tlsa>>, String> {
    if records.is_empty() {
        return Ok(None);
    }
    records
        .iter()
        .map(|text| {
            let bad = || format!("--tlsa wants \"USAGE SELECTOR MATCHING-TYPE HEX\", got {text:?}");
            let mut fields = text.split_ascii_whitespace();
            let mut number = || -> Result<u8, String> {
                fields.next().and_then(|f| f.parse().ok()).ok_or_else(bad)
            };
            let (usage, selector, matching_type) = (number()?, number()?, number()?);
            let hex: String = fields.collect();
            if hex.is_empty() || !hex.len().is_multiple_of(2) {
                return Err(bad());
            }
            let data = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
                .collect::<Result<Vec<u8>, String>>()?;
            Ok(Tlsa {
                usage,
                selector,
                matching_type,
                data,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// AUTH with a server the user names (`send --server`, `deliver --relay`).
#[derive(Args, Debug)]
pub struct AuthArgs {
    /// Authenticate as this user (RFC 4954); the password comes from --password-file or
    /// the SMTP_PASSWORD environment variable, never from a flag.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// The file whose first line is the password for --user.
    #[arg(long, value_name = "FILE", requires = "user")]
    password_file: Option<PathBuf>,
    /// SASL mechanisms to consider, most preferred first (e.g. SCRAM-SHA-256,PLAIN); by
    /// default the strongest the server offers.
    #[arg(
        long,
        value_name = "MECH[,MECH...]",
        value_delimiter = ',',
        requires = "user"
    )]
    auth: Vec<String>,
}

impl AuthArgs {
    /// The credentials of `--user`: the password from `--password-file` (its first line) or
    /// `SMTP_PASSWORD`; neither, or an unknown mechanism, is bad usage (64), an unreadable
    /// file 66.
    pub fn credentials(&self) -> Result<Option<SendAuth>, u8> {
        let Some(username) = &self.user else {
            return Ok(None);
        };
        let mechanisms = self
            .auth
            .iter()
            .map(|name| {
                sasl_mechanism(name).ok_or_else(|| {
                    fail(
                        exit::USAGE,
                        &format!("--auth: unknown or unsupported mechanism {name:?}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, u8>>()?;
        let secret = match &self.password_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => text.lines().next().unwrap_or_default().to_string(),
                Err(e) => {
                    return Err(fail(
                        exit::NOINPUT,
                        &format!("cannot read password file {}: {e}", path.display()),
                    ));
                }
            },
            None => match std::env::var("SMTP_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    return Err(fail(
                        exit::USAGE,
                        "--user needs --password-file or the SMTP_PASSWORD environment variable",
                    ));
                }
            },
        };
        Ok(Some(SendAuth {
            username: username.clone(),
            secret,
            mechanisms,
        }))
    }

    /// Whether `--user` was given.
    pub fn given(&self) -> bool {
        self.user.is_some()
    }
}

/// `--client-cert` and `--client-key`.
#[derive(Args, Debug)]
pub struct ClientCertArgs {
    /// Present this certificate chain (PEM, leaf first) to the server: TLS client
    /// authentication (RFC 8446 §4.4.2).
    #[arg(long, value_name = "FILE.pem", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, value_name = "FILE.pem", requires = "client_cert")]
    client_key: Option<PathBuf>,
}

impl ClientCertArgs {
    /// The two files (clap makes them come together); an unreadable file exits 66. Their
    /// contents are checked by the component.
    pub fn certificate(&self) -> Result<Option<ClientCert>, u8> {
        let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) else {
            return Ok(None);
        };
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).map_err(|e| {
                fail(
                    exit::NOINPUT,
                    &format!("cannot read {}: {e}", path.display()),
                )
            })
        };
        Ok(Some(ClientCert {
            chain_pem: read(cert)?,
            key_pem: read(key)?,
        }))
    }
}

/// Split "HOST[:PORT]" ("[v6]:PORT" for IPv6) into host and port; `flag` names the flag in
/// the error.
pub fn split_server(flag: &str, text: &str, default_port: u16) -> Result<(String, u16), String> {
    if let Some(addr) = parse_socket_addr(text, default_port) {
        return Ok((addr.ip().to_string(), addr.port()));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => port
            .parse()
            .map(|port| (host.to_string(), port))
            .map_err(|_| format!("{flag} wants HOST[:PORT], got {text:?}")),
        _ if !text.is_empty() => Ok((text.to_string(), default_port)),
        _ => Err(format!("{flag} wants HOST[:PORT]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        let split = |text| split_server("--server", text, 587);
        assert_eq!(split("127.0.0.1:2525").unwrap(), ("127.0.0.1".into(), 2525));
        assert_eq!(split("[::1]:25").unwrap(), ("::1".into(), 25));
        assert_eq!(split("::1").unwrap(), ("::1".into(), 587));
        assert_eq!(
            split("mail.example.org").unwrap(),
            ("mail.example.org".into(), 587)
        );
        assert_eq!(
            split("mail.example.org:465").unwrap(),
            ("mail.example.org".into(), 465)
        );
        assert!(split("mail.example.org:x").is_err());
        assert!(split("").is_err());
    }

    #[test]
    fn tlsa_forms() {
        assert!(parse_tlsa(&[]).unwrap().is_none());
        let records = parse_tlsa(&["3 1 1 0A0b".into(), "2 0 1  ab cd".into()])
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                records[0].usage,
                records[0].selector,
                records[0].matching_type
            ),
            (3, 1, 1)
        );
        assert_eq!(records[0].data, [0x0a, 0x0b]);
        assert_eq!(records[1].data, [0xab, 0xcd]);
        for bad in ["3 1 1", "3 1 1 abc", "3 1 x ab", "3 1 1 zz", "é 1 1 ab"] {
            assert!(parse_tlsa(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
