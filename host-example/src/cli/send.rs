//! `host-example send`: submit one message to one server (msmtp-style).

use super::flags::{
    CaArgs, DnsArgs, EhloArgs, MailArgs, OutputArgs, TimeoutArgs, parse_socket_addr,
};
use super::load_host;
use super::output::{exit, fail, print_report};
use crate::bindings::types::{TlsMode, Tlsa};
use crate::host::HostConfig;
use crate::send::{ClientCert, MessageSource, SendAuth, SendRequest, send};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// The most linear memory one component instance may use.
const MAX_GUEST_MEMORY: usize = 64 * 1024 * 1024;

/// `send` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct SendArgs {
    /// The server, HOST or HOST:PORT (an IPv6 address in brackets: [::1]:587).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: String,
    /// How TLS is used; by default STARTTLS on 587 and immediate TLS on 465.
    #[arg(long, value_enum)]
    tls: Option<TlsArg>,
    /// Do not verify the server's certificate (PKIX).
    #[arg(long)]
    no_verify: bool,
    #[command(flatten)]
    ca: CaArgs,
    /// Require DANE with this TLSA record, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698
    /// §2.2), like `openssl s_client -dane_tlsa_rrdata`; repeat for more.
    #[arg(long, value_name = "U S M HEX")]
    tlsa: Vec<String>,
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
    /// Present this certificate chain (PEM, leaf first) to the server: TLS client
    /// authentication (RFC 8446 §4.4.2).
    #[arg(long, value_name = "FILE.pem", requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// The private key of --client-cert (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, value_name = "FILE.pem", requires = "client_cert")]
    client_key: Option<PathBuf>,
    #[command(flatten)]
    ehlo: EhloArgs,
    #[command(flatten)]
    mail: MailArgs,
    /// Turn bare CR and LF in the message into CRLF instead of refusing it.
    #[arg(long)]
    normalize: bool,
    #[command(flatten)]
    timeout: TimeoutArgs,
    #[command(flatten)]
    dns: DnsArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TlsArg {
    Immediate,
    Starttls,
    Opportunistic,
    None,
}

/// Runs `send` and returns its exit code.
pub async fn run(component: Option<&Path>, args: SendArgs) -> u8 {
    let (server, port) = match split_server(&args.server, 587) {
        Ok(parts) => parts,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let message = match args.mail.message_file() {
        Ok(Some((path, _size))) => MessageSource::File(path.to_path_buf()),
        Ok(None) => MessageSource::Stdin,
        Err(code) => return code,
    };
    let extra_root_cas = match args.ca.roots() {
        Ok(roots) => roots,
        Err(code) => return code,
    };
    let dane_records = match parse_tlsa(&args.tlsa) {
        Ok(records) => records,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let auth = match send_auth(&args) {
        Ok(auth) => auth,
        Err(code) => return code,
    };
    let client_certificate = match client_cert(&args) {
        Ok(cert) => cert,
        Err(code) => return code,
    };
    let resolver = match args.dns.resolver() {
        Ok(resolver) => resolver,
        Err(code) => return code,
    };
    // The server is the user's choice: every address allowed (AddressPolicy::allow_all).
    let config = HostConfig {
        max_guest_memory: MAX_GUEST_MEMORY,
        ..HostConfig::command_line(args.output.dns(resolver), args.output.logger())
    };
    let host = match load_host(component, config) {
        Ok(host) => host,
        Err(code) => return code,
    };
    let tls_mode = match args.tls {
        Some(TlsArg::Immediate) => TlsMode::Immediate,
        Some(TlsArg::Starttls) => TlsMode::RequiredStarttls,
        Some(TlsArg::Opportunistic) => TlsMode::Opportunistic,
        Some(TlsArg::None) => TlsMode::Skip,
        None if port == 465 => TlsMode::Immediate,
        None => TlsMode::RequiredStarttls,
    };
    let request = SendRequest {
        server,
        port,
        tls_mode,
        verify_pkix: !args.no_verify,
        ehlo: args.ehlo.name(),
        from: args.mail.from,
        to: args.mail.to,
        message,
        require_8bitmime: args.mail.eight_bit_mime,
        require_smtputf8: args.mail.smtputf8,
        require_tls: args.mail.requiretls,
        normalize_line_endings: args.normalize,
        timeout: args.timeout.duration(),
        extra_root_cas,
        dane_records,
        auth,
        client_certificate,
    };
    match host.deadline(send(&host, &request)).await {
        Ok(report) => print_report(&report, args.output.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}

/// The AUTH credentials of `--user`: the password from `--password-file` (its first line) or
/// `SMTP_PASSWORD`; neither is bad usage (64), an unreadable file 66.
fn send_auth(args: &SendArgs) -> Result<Option<SendAuth>, u8> {
    let Some(username) = &args.user else {
        return Ok(None);
    };
    let secret = match &args.password_file {
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
        mechanisms: args.auth.clone(),
    }))
}

/// The `--client-cert` and `--client-key` files (clap makes them come together); an
/// unreadable file exits 66. Their contents are checked by the component when it opens.
fn client_cert(args: &SendArgs) -> Result<Option<ClientCert>, u8> {
    let (Some(cert), Some(key)) = (&args.client_cert, &args.client_key) else {
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

/// Split "HOST[:PORT]" ("[v6]:PORT" for IPv6) into host and port.
fn split_server(text: &str, default_port: u16) -> Result<(String, u16), String> {
    if let Some(addr) = parse_socket_addr(text, default_port) {
        return Ok((addr.ip().to_string(), addr.port()));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => port
            .parse()
            .map(|port| (host.to_string(), port))
            .map_err(|_| format!("--server wants HOST[:PORT], got {text:?}")),
        _ if !text.is_empty() => Ok((text.to_string(), default_port)),
        _ => Err("--server wants HOST[:PORT]".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        assert_eq!(
            split_server("127.0.0.1:2525", 587).unwrap(),
            ("127.0.0.1".into(), 2525)
        );
        assert_eq!(split_server("[::1]:25", 587).unwrap(), ("::1".into(), 25));
        assert_eq!(split_server("::1", 587).unwrap(), ("::1".into(), 587));
        assert_eq!(
            split_server("mail.example.org", 587).unwrap(),
            ("mail.example.org".into(), 587)
        );
        assert_eq!(
            split_server("mail.example.org:465", 587).unwrap(),
            ("mail.example.org".into(), 465)
        );
        assert!(split_server("mail.example.org:x", 587).is_err());
        assert!(split_server("", 587).is_err());
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
