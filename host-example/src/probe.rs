//! `probe DOMAIN`: what a postmaster wants to see about a domain's mail servers — MX hosts,
//! addresses, DNSSEC, TLSA records, the MTA-STS policy, and per MX the EHLO extensions, the
//! TLS version and cipher, and the PKIX and DANE verdicts — through the component.
//!
//! Each MX gets one session on its first address with opportunistic TLS and
//! `ignore-tls-verify-errors`, so a failed verification is reported rather than fatal; DANE is
//! checked with the host's usable TLSA records when their lookup was authentic.
//! Exit codes: 0 every MX host answered SMTP; 75 a lookup failed temporarily or some MX
//! host did not answer; 69 the domain has no MX record (or a null MX, RFC 7505).

use crate::bindings::client::OpenOptions;
use crate::bindings::exports::smtp::client::mta_sts::Mode;
use crate::bindings::types::{Domain, TlsMode, Tlsa};
use crate::cli::{fail, load_host};
use crate::dns::{DnsBackend, IpFamily, LookupError};
use crate::host::{Host, HostConfig, HostError};
use crate::log_impl::Silent;
use crate::report::exit;
use crate::send::uniform_timeouts;
use clap::Args;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `probe` flags (DESIGN.md "The command line").
#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// The domain whose mail servers to examine.
    domain: String,
    /// Use this DNS resolver (trusted for DNSSEC).
    #[arg(long, value_name = "IP[:PORT]", conflicts_with = "zone")]
    dns: Option<String>,
    /// Answer DNS lookups from this zone file instead of DNS.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
    /// The SMTP port of the MX hosts.
    #[arg(long, default_value_t = 25)]
    port: u16,
    /// Deadline of each connect and each reply, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    timeout: u64,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// What `probe` found (the `--json` object).
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    pub domain: String,
    /// The MX answer was DNSSEC-authentic.
    pub dnssec: bool,
    pub mx: Vec<MxReport>,
    pub mta_sts: StsReport,
    /// Why the MX lookup failed, if it did.
    pub error: Option<String>,
}

/// One MX host.
#[derive(Debug, Serialize)]
pub struct MxReport {
    pub host: String,
    pub preference: u16,
    pub addresses: Vec<String>,
    /// The address answer was DNSSEC-authentic.
    pub addresses_dnssec: bool,
    pub tlsa: Vec<TlsaReport>,
    /// The TLSA answer was DNSSEC-authentic (DANE applies only then, RFC 7672 §2.2).
    pub tlsa_dnssec: bool,
    pub connection: ConnectionReport,
}

/// One TLSA record and whether DANE for SMTP can use it.
#[derive(Debug, Serialize)]
pub struct TlsaReport {
    /// "USAGE SELECTOR MATCHING-TYPE HEX".
    pub record: String,
    pub usable: bool,
}

/// The session with one MX host.
#[derive(Debug, Serialize)]
pub struct ConnectionReport {
    pub ip: Option<String>,
    pub port: u16,
    /// Why the session could not be opened.
    pub error: Option<String>,
    /// The EHLO keywords (after STARTTLS when TLS was used).
    pub extensions: Vec<String>,
    pub starttls: bool,
    pub tls: Option<ProbeTls>,
}

/// The TLS of one session.
#[derive(Debug, Serialize)]
pub struct ProbeTls {
    pub version: String,
    pub cipher: String,
    pub pkix_valid: bool,
    /// "valid" (a TLSA record matched), "invalid" (records, none matched) or "none".
    pub dane: &'static str,
    pub dane_verified_record: Option<String>,
}

/// The MTA-STS policy, from the component's `mta-sts.lookup-policy`.
#[derive(Debug, Serialize)]
pub struct StsReport {
    /// "enforce", "testing", "none", or null without a policy.
    pub mode: Option<&'static str>,
    pub mx: Vec<String>,
    pub max_age: Option<u32>,
    /// Why no policy could be had, if something failed.
    pub error: Option<String>,
}

/// Run `probe` and return the exit code.
pub async fn run(component: Option<&Path>, args: ProbeArgs) -> u8 {
    let resolver = match crate::cli::resolver(args.dns.as_deref(), args.zone.as_deref()) {
        Ok(resolver) => resolver,
        Err(message) => return fail(exit::USAGE, &message),
    };
    let config = HostConfig::command_line(Arc::new(resolver), Arc::new(Silent));
    let host = match load_host(component, config) {
        Ok(host) => host,
        Err(code) => return code,
    };
    let timeout = Duration::from_secs(args.timeout);
    let report = match host
        .deadline(probe(&host, &args.domain, args.port, timeout))
        .await
    {
        Ok(report) => report,
        Err(error) => return fail(exit::SOFTWARE, &error.to_string()),
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => return fail(exit::SOFTWARE, &format!("cannot print: {error}")),
        }
    } else {
        print!("{}", report.to_text());
    }
    report.exit_code()
}

/// Examine `domain`'s MX hosts on `port`.
///
/// # Errors
/// [`HostError`] when the component traps or cannot be instantiated.
pub async fn probe(
    host: &Host,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> Result<ProbeReport, HostError> {
    let resolver = host.config().resolver.as_ref();
    let mta_sts = mta_sts(host, domain).await?;
    let (dnssec, records, error) = match resolver.lookup_mx(domain).await {
        Ok(answer) => (answer.authentic, answer.records, None),
        Err(LookupError::NotFound { authentic }) => (authentic, Vec::new(), None),
        Err(error) => (false, Vec::new(), Some(format!("looking up MX: {error}"))),
    };
    let mut records = records;
    records.sort_by_key(|mx| mx.preference);
    let mut mx = Vec::new();
    // A null MX (RFC 7505 §3) says the domain accepts no mail: nothing to connect to.
    for record in records.into_iter().filter(|mx| mx.exchange != ".") {
        mx.push(
            probe_mx(
                host,
                resolver,
                &record.exchange,
                record.preference,
                port,
                timeout,
            )
            .await?,
        );
    }
    Ok(ProbeReport {
        domain: domain.to_string(),
        dnssec,
        mx,
        mta_sts,
        error,
    })
}

async fn probe_mx(
    host: &Host,
    resolver: &dyn DnsBackend,
    name: &str,
    preference: u16,
    port: u16,
    timeout: Duration,
) -> Result<MxReport, HostError> {
    let (addresses, addresses_dnssec, mut lookup_error) =
        match resolver.lookup_ip(name, IpFamily::Any).await {
            Ok(answer) => (answer.records, answer.authentic, None),
            Err(error) => (
                Vec::new(),
                false,
                Some(format!("looking up {name}: {error}")),
            ),
        };
    let (tlsa, tlsa_dnssec) = match resolver.lookup_tlsa(port, "tcp", name).await {
        Ok(answer) => (answer.records, answer.authentic),
        Err(LookupError::NotFound { authentic }) => (Vec::new(), authentic),
        Err(error) => {
            lookup_error.get_or_insert(format!("looking up TLSA of {name}: {error}"));
            (Vec::new(), false)
        }
    };
    let usable: Vec<Tlsa> = tlsa
        .iter()
        .filter(|r| usable_for_smtp(r.usage, r.selector, r.matching_type))
        .map(|r| Tlsa {
            usage: r.usage,
            selector: r.selector,
            matching_type: r.matching_type,
            data: r.data.clone(),
        })
        .collect();
    let dane = (tlsa_dnssec && !usable.is_empty()).then_some(usable);
    let connection = match (addresses.first(), lookup_error) {
        (Some(ip), _) => session(host, name, SocketAddr::new(*ip, port), dane, timeout).await?,
        (None, error) => ConnectionReport::failed(None, port, error.unwrap_or_default()),
    };
    Ok(MxReport {
        host: name.to_string(),
        preference,
        addresses: addresses.iter().map(IpAddr::to_string).collect(),
        addresses_dnssec,
        tlsa: tlsa
            .iter()
            .map(|r| TlsaReport {
                record: tlsa_text(r.usage, r.selector, r.matching_type, &r.data),
                usable: usable_for_smtp(r.usage, r.selector, r.matching_type),
            })
            .collect(),
        tlsa_dnssec,
        connection,
    })
}

/// DANE-TA or DANE-EE, full or SPKI, exact or SHA-2 ([RFC 7672 §3.1.3]).
///
/// [RFC 7672 §3.1.3]: https://www.rfc-editor.org/rfc/rfc7672#section-3.1.3
fn usable_for_smtp(usage: u8, selector: u8, matching_type: u8) -> bool {
    matches!(usage, 2 | 3) && selector <= 1 && matching_type <= 2
}

fn tlsa_text(usage: u8, selector: u8, matching_type: u8, data: &[u8]) -> String {
    let hex: String = data.iter().map(|b| format!("{b:02x}")).collect();
    format!("{usage} {selector} {matching_type} {hex}")
}

/// Open a session with `remote`, read its extensions and TLS, and close it.
async fn session(
    host: &Host,
    name: &str,
    remote: SocketAddr,
    dane: Option<Vec<Tlsa>>,
    timeout: Duration,
) -> Result<ConnectionReport, HostError> {
    let ip = Some(remote.ip().to_string());
    let connection = match host.dial(remote, timeout).await {
        Ok(connection) => connection,
        Err(error) => {
            return Ok(ConnectionReport::failed(
                ip,
                remote.port(),
                format!("connecting to {remote}: {error}"),
            ));
        }
    };
    let mut instance = host.instantiate().await?;
    let conn = instance
        .store
        .data_mut()
        .table()
        .push(connection)
        .map_err(|e| HostError::Trap(e.to_string()))?;
    let dane_checked = dane.is_some();
    let options = OpenOptions {
        tls_mode: TlsMode::Opportunistic,
        verify_pkix: true,
        ehlo_hostname: domain("probe.invalid"),
        remote_hostname: Some(domain(name)),
        auth: None,
        dane_records: dane,
        dane_more_hostnames: Vec::new(),
        ignore_tls_verify_errors: true,
        extra_root_cas: Vec::new(),
        client_certificate: None,
        timeouts: Some(uniform_timeouts(timeout)),
        tls_results: None,
    };
    let client = instance.bindings.smtp_client_client();
    let opened = client
        .session()
        .call_open(&mut instance.store, conn, &options)
        .await
        .map_err(HostError::from_guest)?;
    let session = match opened {
        Ok(session) => session,
        Err(failure) => {
            return Ok(ConnectionReport::failed(
                ip,
                remote.port(),
                failure.error.message,
            ));
        }
    };
    let extensions = client
        .session()
        .call_extensions(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?
        .lines;
    let state = client
        .session()
        .call_tls_state(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?;
    let _quit = client
        .session()
        .call_close(&mut instance.store, session)
        .await
        .map_err(HostError::from_guest)?;
    session
        .resource_drop_async(&mut instance.store)
        .await
        .map_err(HostError::from_guest)?;
    let tls = state.map(|state| {
        let verified = state
            .dane_verified_record
            .map(|r| tlsa_text(r.usage, r.selector, r.matching_type, &r.data));
        ProbeTls {
            version: state.version,
            cipher: state.cipher_suite,
            pkix_valid: state.pkix_valid,
            dane: match (&verified, dane_checked) {
                (Some(_), _) => "valid",
                (None, true) => "invalid",
                (None, false) => "none",
            },
            dane_verified_record: verified,
        }
    });
    Ok(ConnectionReport {
        ip,
        port: remote.port(),
        error: None,
        extensions,
        starttls: tls.is_some(),
        tls,
    })
}

/// The policy through the component's `mta-sts.lookup-policy` (no cache: always fetched).
async fn mta_sts(host: &Host, name: &str) -> Result<StsReport, HostError> {
    let mut instance = host.instantiate().await?;
    let outcome = instance
        .bindings
        .smtp_client_mta_sts()
        .call_lookup_policy(&mut instance.store, &domain(name), None, &[])
        .await
        .map_err(HostError::from_guest)?;
    let policy = outcome.policy;
    Ok(StsReport {
        mode: policy.as_ref().map(|p| match p.mode {
            Mode::Enforce => "enforce",
            Mode::Testing => "testing",
            Mode::None => "none",
        }),
        mx: policy.as_ref().map(|p| p.mx.clone()).unwrap_or_default(),
        max_age: policy.as_ref().map(|p| p.max_age),
        error: outcome.error.map(|e| e.message),
    })
}

fn domain(name: &str) -> Domain {
    Domain {
        ascii: name.trim_end_matches('.').to_ascii_lowercase(),
        unicode: None,
    }
}

impl ConnectionReport {
    fn failed(ip: Option<String>, port: u16, error: String) -> Self {
        ConnectionReport {
            ip,
            port,
            error: Some(error),
            extensions: Vec::new(),
            starttls: false,
            tls: None,
        }
    }
}

impl ProbeReport {
    /// 0 every MX host answered; 75 a failed lookup or an MX host that did not; 69 no MX.
    pub fn exit_code(&self) -> u8 {
        if self.error.is_some() || self.mx.iter().any(|mx| mx.connection.error.is_some()) {
            exit::TEMPFAIL
        } else if self.mx.is_empty() {
            exit::UNAVAILABLE
        } else {
            exit::OK
        }
    }

    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut out = format!(
            "{}: MX {}signed\n",
            self.domain,
            if self.dnssec { "" } else { "not " }
        );
        if let Some(error) = &self.error {
            out += &format!("  error: {error}\n");
        }
        if self.mx.is_empty() && self.error.is_none() {
            out += "  no MX hosts: the domain accepts no mail\n";
        }
        for mx in &self.mx {
            out += &format!(
                "MX {} {} — addresses {} (DNSSEC {})\n",
                mx.preference,
                mx.host,
                mx.addresses.join(", "),
                yes(mx.addresses_dnssec)
            );
            for tlsa in &mx.tlsa {
                out += &format!("  TLSA {} (usable: {})\n", tlsa.record, yes(tlsa.usable));
            }
            if !mx.tlsa.is_empty() {
                out += &format!("  TLSA DNSSEC: {}\n", yes(mx.tlsa_dnssec));
            }
            let c = &mx.connection;
            let ip = c.ip.as_deref().unwrap_or("-");
            match &c.error {
                Some(error) => out += &format!("  {ip} port {}: {error}\n", c.port),
                None => {
                    out += &format!("  {ip} port {}: EHLO {}\n", c.port, c.extensions.join(" "));
                    match &c.tls {
                        None => out += "  no TLS (STARTTLS not offered or failed)\n",
                        Some(tls) => {
                            out += &format!(
                                "  {} {}, PKIX {}, DANE {}\n",
                                tls.version,
                                tls.cipher,
                                if tls.pkix_valid { "valid" } else { "invalid" },
                                tls.dane
                            );
                        }
                    }
                }
            }
        }
        out += &match (&self.mta_sts.mode, &self.mta_sts.error) {
            (Some(mode), _) => format!(
                "MTA-STS: {mode}, mx {}, max_age {}\n",
                self.mta_sts.mx.join(" "),
                self.mta_sts.max_age.unwrap_or_default()
            ),
            (None, Some(error)) => format!("MTA-STS: no policy ({error})\n"),
            (None, None) => "MTA-STS: no policy\n".to_string(),
        };
        out
    }
}
