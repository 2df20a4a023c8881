//! The command line: flags, exit codes and output as DESIGN.md "The command line" states.

use crate::bindings::types::{TlsMode, Tlsa};
use crate::dns::{DnsResolver, Resolver, ZoneResolver};
use crate::host::{EMBEDDED_COMPONENT, Host, HostConfig};
use crate::report::{Report, exit};
use crate::send::{ClientCert, MessageSource, SendAuth, SendRequest, send};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The most linear memory one component instance may use.
const MAX_GUEST_MEMORY: usize = 64 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "host-example",
    version,
    about = "Run the smtpclient WebAssembly component"
)]
struct Cli {
    /// Use this component (.wasm) instead of the one built into this program.
    #[arg(long, global = true, value_name = "FILE.wasm")]
    component: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Offline demo: send a message through the component to an SMTP server of ours.
    Demo,
    /// Submit a message to a server (msmtp-style).
    Send(Box<SendArgs>),
    /// Deliver a message to the MX hosts of its recipients' domains (DANE, MTA-STS).
    Deliver(Box<crate::cli_deliver::DeliverArgs>),
    /// Examine a domain's mail servers: MX, DNSSEC, TLSA, MTA-STS, EHLO, TLS, PKIX, DANE.
    Probe(Box<crate::probe::ProbeArgs>),
}

#[derive(Args, Debug)]
struct SendArgs {
    /// The server, HOST or HOST:PORT (an IPv6 address in brackets: [::1]:587).
    #[arg(long, value_name = "HOST[:PORT]")]
    server: String,
    /// How TLS is used; by default STARTTLS on 587 and immediate TLS on 465.
    #[arg(long, value_enum)]
    tls: Option<TlsArg>,
    /// Do not verify the server's certificate (PKIX).
    #[arg(long)]
    no_verify: bool,
    /// Trust the certificates of this PEM file for PKIX, besides the built-in Mozilla roots.
    #[arg(long, value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
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
    /// The name announced in EHLO.
    #[arg(long, default_value = "localhost")]
    ehlo: String,
    /// The envelope sender (MAIL FROM); "" for the null sender.
    #[arg(long, value_name = "ADDR")]
    from: String,
    /// A recipient (RCPT TO); repeat for more.
    #[arg(long, value_name = "ADDR", required = true)]
    to: Vec<String>,
    /// The message file; "-" or absent: standard input.
    #[arg(long, value_name = "FILE|-")]
    message: Option<PathBuf>,
    /// The message has 8-bit content (BODY=8BITMIME, RFC 6152).
    #[arg(long = "8bitmime")]
    eight_bit_mime: bool,
    /// The message needs SMTPUTF8 (RFC 6531).
    #[arg(long)]
    smtputf8: bool,
    /// Ask for REQUIRETLS (RFC 8689).
    #[arg(long)]
    requiretls: bool,
    /// Turn bare CR and LF in the message into CRLF instead of refusing it.
    #[arg(long)]
    normalize: bool,
    /// Replace every per-phase deadline (connect, each reply, each write).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Use this DNS resolver to look up the server (trusted for DNSSEC).
    #[arg(long, value_name = "IP[:PORT]", conflicts_with = "zone")]
    dns: Option<String>,
    /// Answer DNS lookups from this zone file instead of DNS.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// -v: SMTP transcript on stderr; -vv: also debug lines.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TlsArg {
    Immediate,
    Starttls,
    Opportunistic,
    None,
}

/// Run the command line with `args` (program name first) and return the exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _printed = error.print();
            return code;
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(
                exit::SOFTWARE,
                &format!("cannot start the runtime: {error}"),
            );
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Demo => crate::demo::run(cli.component.as_deref()).await,
            Command::Send(args) => run_send(cli.component.as_deref(), *args).await,
            Command::Probe(args) => crate::probe::run(cli.component.as_deref(), *args).await,
            Command::Deliver(args) => {
                crate::cli_deliver::run_deliver(cli.component.as_deref(), *args).await
            }
        }
    })
}

/// Print one line to stderr and return `code`.
pub fn fail(code: u8, message: &str) -> u8 {
    eprintln!("host-example: {message}");
    code
}

/// The component bytes: `--component FILE` or the embedded build.
pub fn component_bytes(path: Option<&std::path::Path>) -> Result<Vec<u8>, u8> {
    match path {
        None => Ok(EMBEDDED_COMPONENT.to_vec()),
        Some(path) => std::fs::read(path).map_err(|e| {
            fail(
                exit::NOINPUT,
                &format!("cannot read component {}: {e}", path.display()),
            )
        }),
    }
}

/// Load the component into a host, or say in one line why not.
pub fn load_host(component: Option<&std::path::Path>, config: HostConfig) -> Result<Host, u8> {
    let bytes = component_bytes(component)?;
    Host::new(&bytes, config).map_err(|e| fail(exit::SOFTWARE, &e.to_string()))
}

async fn run_send(component: Option<&std::path::Path>, args: SendArgs) -> u8 {
    let (server, port) = match split_server(&args.server, 587) {
        Ok(parts) => parts,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let message = match &args.message {
        None => MessageSource::Stdin,
        Some(path) if path.as_os_str() == "-" => MessageSource::Stdin,
        Some(path) => {
            if let Err(error) = std::fs::metadata(path) {
                return fail(
                    exit::NOINPUT,
                    &format!("cannot read message file {}: {error}", path.display()),
                );
            }
            MessageSource::File(path.clone())
        }
    };
    let extra_root_cas = match read_roots(&args.ca) {
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
    let resolver = match resolver(args.dns.as_deref(), args.zone.as_deref()) {
        Ok(resolver) => resolver,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let logger = crate::log_impl::for_verbosity(args.verbose);
    let config = HostConfig {
        max_guest_memory: MAX_GUEST_MEMORY,
        ..HostConfig::command_line(
            crate::log_impl::resolver_for_verbosity(resolver, args.verbose),
            logger,
        )
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
        ehlo: args.ehlo,
        from: args.from,
        to: args.to,
        message,
        require_8bitmime: args.eight_bit_mime,
        require_smtputf8: args.smtputf8,
        require_tls: args.requiretls,
        normalize_line_endings: args.normalize,
        timeout: args.timeout.map(Duration::from_secs),
        extra_root_cas,
        dane_records,
        auth,
        client_certificate,
    };
    match host.deadline(send(&host, &request)).await {
        Ok(report) => print_report(&report, args.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}

/// Print the report (JSON or text) and return its exit code.
pub fn print_report(report: &Report, json: bool) -> u8 {
    if json {
        match serde_json::to_string_pretty(report) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                return fail(exit::SOFTWARE, &format!("cannot print the report: {error}"));
            }
        }
    } else {
        print!("{}", report.to_text());
    }
    report.exit_code()
}

/// The certificates of the `--ca` files, DER; a missing file exits 66, a file without a
/// certificate 64.
pub(crate) fn read_roots(files: &[PathBuf]) -> Result<Vec<Vec<u8>>, u8> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = Vec::new();
    for path in files {
        let pem = std::fs::read(path).map_err(|e| {
            fail(
                exit::NOINPUT,
                &format!("cannot read ca file {}: {e}", path.display()),
            )
        })?;
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert
                .map_err(|e| fail(exit::USAGE, &format!("bad pem in {}: {e}", path.display())))?;
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

/// The resolver from `--dns` or `--zone`, else the system's.
pub(crate) fn resolver(
    dns: Option<&str>,
    zone: Option<&std::path::Path>,
) -> Result<Resolver, String> {
    if let Some(path) = zone {
        return ZoneResolver::from_file(path)
            .map(Resolver::Zone)
            .map_err(|e| format!("cannot use zone file {}: {e}", path.display()));
    }
    if let Some(server) = dns {
        let addr = parse_socket_addr(server, crate::dns::DNS_PORT)
            .ok_or_else(|| format!("--dns wants IP[:PORT], got {server:?}"))?;
        // An explicitly configured resolver is trusted for its AD bit.
        return Ok(Resolver::Dns(
            DnsResolver::new(addr, true, crate::dns::DEFAULT_TIMEOUT)
                .with_hosts(crate::dns::HostsFile::from_system()),
        ));
    }
    DnsResolver::from_system()
        .map(Resolver::Dns)
        .map_err(|e| format!("no usable DNS resolver: {e}"))
}

/// "IP", "IP:PORT", "[IPv6]:PORT" or "IPv6".
fn parse_socket_addr(text: &str, default_port: u16) -> Option<SocketAddr> {
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
