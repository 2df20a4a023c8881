//! `host-example deliver`: direct delivery to the MX hosts of each recipient domain
//! (DESIGN.md, "The command line").

use crate::bindings::delivery::TlsLevel;
use crate::cli::{fail, load_host, print_report, read_roots, resolver};
use crate::deliver::{DeliverRequest, deliver};
use crate::host::HostConfig;
use crate::report::exit;
use crate::spool_impl::SpoolMessage;
use crate::sts_cache::StsCache;
use clap::{Args, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct DeliverArgs {
    /// The envelope sender (MAIL FROM); "" for the null sender.
    #[arg(long, value_name = "ADDR")]
    from: String,
    /// A recipient (RCPT TO); repeat for more. Recipients are grouped by domain, one
    /// delivery attempt per domain.
    #[arg(long, value_name = "ADDR", required = true)]
    to: Vec<String>,
    /// The message file; "-" or absent: standard input.
    #[arg(long, value_name = "FILE|-")]
    message: Option<PathBuf>,
    /// Use this DNS resolver (trusted for DNSSEC).
    #[arg(long, value_name = "IP[:PORT]", conflicts_with = "zone")]
    dns: Option<String>,
    /// Answer DNS lookups from this zone file instead of DNS.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
    /// The SMTP port of the MX hosts.
    #[arg(long, default_value_t = 25)]
    port: u16,
    /// The name announced in EHLO.
    #[arg(long, default_value = "localhost")]
    ehlo: String,
    /// Trust the certificates of this PEM file for PKIX (MTA-STS, verify, secure).
    #[arg(long, value_name = "FILE.pem")]
    ca: Vec<PathBuf>,
    /// The lowest TLS level (Postfix's names); DANE and MTA-STS raise it as the domain
    /// publishes them.
    #[arg(long, value_enum, default_value = "dane")]
    tls_level: LevelArg,
    /// "TLS-Required: No" (RFC 8689): deliver despite TLS verification failures.
    #[arg(long)]
    tls_required_no: bool,
    /// The message has 8-bit content (BODY=8BITMIME, RFC 6152).
    #[arg(long = "8bitmime")]
    eight_bit_mime: bool,
    /// The message needs SMTPUTF8 (RFC 6531).
    #[arg(long)]
    smtputf8: bool,
    /// Ask for REQUIRETLS (RFC 8689).
    #[arg(long)]
    requiretls: bool,
    /// Keep MTA-STS policies in this directory (default: the user's cache directory).
    #[arg(long, value_name = "DIR")]
    sts_cache: Option<PathBuf>,
    /// Replace every per-phase deadline (connect, each reply, each write).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// -v: SMTP transcript on stderr; -vv: also debug lines.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
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

/// Runs `deliver` and returns its exit code.
pub async fn run_deliver(component: Option<&Path>, args: DeliverArgs) -> u8 {
    let (message, size) = match spool_message(args.message.as_deref()) {
        Ok(message) => message,
        Err(code) => return code,
    };
    let extra_roots = match read_roots(&args.ca) {
        Ok(roots) => roots,
        Err(code) => return code,
    };
    let resolver = match resolver(args.dns.as_deref(), args.zone.as_deref()) {
        Ok(resolver) => resolver,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let logger = crate::log_impl::for_verbosity(args.verbose);
    let host = match load_host(
        component,
        HostConfig::command_line(
            crate::log_impl::resolver_for_verbosity(resolver, args.verbose),
            logger,
        ),
    ) {
        Ok(host) => host,
        Err(code) => return code,
    };
    let request = DeliverRequest {
        from: args.from,
        to: args.to,
        message,
        size: Some(size),
        port: args.port,
        ehlo: args.ehlo,
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
        timeout: args.timeout.map(Duration::from_secs),
        eight_bit_mime: args.eight_bit_mime,
        smtputf8: args.smtputf8,
        require_tls: args.requiretls,
        sts_cache: args
            .sts_cache
            .or_else(StsCache::default_dir)
            .map(StsCache::new),
    };
    match deliver(&host, &request).await {
        Ok(report) => print_report(&report, args.json),
        Err(error) => fail(exit::SOFTWARE, &error.to_string()),
    }
}

/// The message as the spool serves it, with its size: a file is read again for every host
/// and transaction; standard input is read once into memory.
fn spool_message(path: Option<&Path>) -> Result<(SpoolMessage, u64), u8> {
    match path {
        Some(path) if path.as_os_str() != "-" => match std::fs::metadata(path) {
            Ok(meta) => Ok((SpoolMessage::File(path.to_path_buf()), meta.len())),
            Err(error) => Err(fail(
                exit::NOINPUT,
                &format!("cannot read message file {}: {error}", path.display()),
            )),
        },
        _ => {
            let mut bytes = Vec::new();
            match std::io::stdin().read_to_end(&mut bytes) {
                Ok(n) => Ok((SpoolMessage::Bytes(bytes.into()), n as u64)),
                Err(error) => Err(fail(
                    exit::NOINPUT,
                    &format!("cannot read the message from standard input: {error}"),
                )),
            }
        }
    }
}
