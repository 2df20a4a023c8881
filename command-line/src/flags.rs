//! Flags that `send` and `deliver` share, flattened into each (`#[command(flatten)]`), with
//! what turns them into request fields. A bad value prints one line and gives the exit code.

use crate::exit::{self, fail};
use crate::request::{ClientCert, SaslMechanism, SendAuth, TlsMode, Tlsa};
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The DNS port (RFC 1035 §4.2).
pub const DNS_PORT: u16 = 53;

/// `--dns IP[:PORT]`.
#[derive(Args, Debug)]
pub struct DnsServerArgs {
    /// Use this DNS resolver (trusted for DNSSEC).
    #[arg(long, value_name = "IP[:PORT]")]
    dns: Option<String>,
}

impl DnsServerArgs {
    /// The resolver given, if any; a malformed one exits 64.
    pub fn server(&self) -> Result<Option<SocketAddr>, u8> {
        self.dns
            .as_deref()
            .map(|text| {
                parse_socket_addr(text, DNS_PORT).ok_or_else(|| {
                    fail(exit::USAGE, &format!("--dns wants IP[:PORT], got {text:?}"))
                })
            })
            .transpose()
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
    pub verbose: u8,
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

/// Where the message comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageSource {
    /// A file, read by position as often as the component needs.
    File(PathBuf),
    /// Standard input, read once into memory.
    Stdin,
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
    /// `--message FILE`, or standard input for "-" or no `--message`.
    pub fn message_source(&self) -> MessageSource {
        match &self.message {
            Some(path) if path.as_os_str() != "-" => MessageSource::File(path.clone()),
            _ => MessageSource::Stdin,
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
    /// The name given, else what `machine_name` says (each host knows its machine its way).
    pub fn name_or(&self, machine_name: impl FnOnce() -> String) -> String {
        self.ehlo.clone().unwrap_or_else(machine_name)
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

/// The `--tlsa` records in presentation form (RFC 6698 §2.2); none given means no DANE.
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
            // RFC 6698 §2.2: the data may be split by whitespace.
            let hex_text: String = fields.collect();
            let data = hex::decode(&hex_text).map_err(|_| bad())?;
            if data.is_empty() {
                return Err(bad());
            }
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
                SaslMechanism::from_name(name).ok_or_else(|| {
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

    #[test]
    fn message_sources() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            mail: MailArgs,
        }
        let source = |extra: &[&str]| {
            let args = [&["x", "--from", "a@x.test", "--to", "b@y.test"], extra].concat();
            Cli::parse_from(args).mail.message_source()
        };
        assert_eq!(source(&[]), MessageSource::Stdin);
        assert_eq!(source(&["--message", "-"]), MessageSource::Stdin);
        assert_eq!(
            source(&["--message", "m.eml"]),
            MessageSource::File("m.eml".into())
        );
    }
}
