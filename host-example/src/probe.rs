//! `probe`: what a postmaster wants to see about a domain's mail servers — MX hosts,
//! addresses, DNSSEC, TLSA records, the MTA-STS policy, and per MX the EHLO extensions, the
//! TLS version and cipher, and the PKIX and DANE verdicts — through the component.
//!
//! The component decides what delivery would decide: the hosts and their order (MX, null MX,
//! implicit MX, CNAMEs) from `delivery.gather-destinations`, the addresses from `gather-ips`,
//! the usable TLSA records from `gather-tlsa` and the names a DANE-TA certificate may carry
//! from `gather-tlsa-names`. Each host gets one session on its first address with
//! opportunistic TLS and `ignore-tls-verify-errors`, so a failed verification is reported
//! rather than fatal; DANE is checked with the usable records.

use crate::bindings::client::OpenOptions;
use crate::bindings::delivery::{Addresses, Destinations, TlsaNamesInput, TlsaPolicy};
use crate::bindings::exports::smtp::client::mta_sts::Mode;
use crate::bindings::resolver::IpFamily;
use crate::bindings::types::{Domain, ErrorKind, IpDomain, TlsMode, Tlsa};
use crate::convert::tlsa_text;
use crate::convert::{domain, ip_addr, next_hop, uniform_timeouts};
use crate::dns::LookupError;
use crate::host::{Host, HostError, Instance};
use crate::session::{close, extensions, tls_state};
use serde::Serialize;
use std::net::SocketAddr;
use std::time::Duration;

/// TLSA records for SMTP are published for port 25 whatever port is dialed (RFC 7672
/// §2.2.3); the component looks them up there, and so does the listing of all records.
const SMTP_PORT: u16 = 25;

/// What `probe` found (the `--json` object).
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    pub domain: String,
    /// The MX answer was DNSSEC-authentic.
    pub dnssec: bool,
    /// The hosts in the order delivery would try them.
    pub mx: Vec<MxReport>,
    pub mta_sts: StsReport,
    /// Why no host could be had (other than a null MX), if so.
    pub error: Option<String>,
}

/// One host: an MX, or the domain itself without MX records (implicit MX, RFC 5321 §5.1).
#[derive(Debug, Serialize)]
pub struct MxReport {
    /// The host name, absolute (with the trailing dot), or an IP address.
    pub host: String,
    /// The MX preference; null for an implicit MX.
    pub preference: Option<u16>,
    /// In the order delivery would dial them.
    pub addresses: Vec<String>,
    /// The address answer was DNSSEC-authentic.
    pub addresses_dnssec: bool,
    pub tlsa: Vec<TlsaReport>,
    /// The TLSA answer was DNSSEC-authentic (DANE applies only then, RFC 7672 §2.2).
    pub tlsa_dnssec: bool,
    /// Why the TLSA records could not be had: delivery to this host then fails (RFC 7672
    /// §2.1.1).
    pub tlsa_error: Option<String>,
    pub connection: ConnectionReport,
}

/// One TLSA record and whether DANE for SMTP uses it (the component's verdict).
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

/// Examine `domain`'s mail servers on `port`, each connect and reply within `timeout`.
///
/// # Errors
/// [`HostError`] when the component traps or cannot be instantiated.
pub async fn probe(
    host: &Host,
    domain: &str,
    port: u16,
    timeout: Duration,
) -> Result<ProbeReport, HostError> {
    let mut instance = host.instantiate().await?;
    let mta_sts = mta_sts(&mut instance, domain).await?;
    let delivery = instance.bindings.smtp_client_delivery();
    let gathered = delivery
        .call_gather_destinations(&mut instance.store, &next_hop(domain))
        .await
        .map_err(HostError::from_guest)?;
    let destinations = match gathered {
        Ok(destinations) => destinations,
        Err(failure) => {
            return Ok(ProbeReport {
                domain: domain.to_string(),
                dnssec: failure.original_authentic,
                mx: Vec::new(),
                mta_sts,
                // A null MX (RFC 7505 §3) is an answer, not a failure: no host to report.
                error: (failure.error.kind != ErrorKind::NoMail).then_some(failure.error.message),
            });
        }
    };
    let mut prober = Prober {
        host,
        instance,
        next_hop: domain,
        destinations: &destinations,
        port,
        timeout,
    };
    let mut mx = Vec::new();
    for target in &destinations.hosts {
        mx.push(prober.host(&target.host, target.preference).await?);
    }
    Ok(ProbeReport {
        domain: domain.to_string(),
        dnssec: destinations.original_authentic,
        mx,
        mta_sts,
        error: None,
    })
}

/// What probing each host of one domain shares.
struct Prober<'a> {
    host: &'a Host,
    instance: Instance,
    next_hop: &'a str,
    destinations: &'a Destinations,
    port: u16,
    timeout: Duration,
}

impl Prober<'_> {
    /// Addresses, TLSA records and one session of one host.
    async fn host(
        &mut self,
        target: &IpDomain,
        preference: Option<u16>,
    ) -> Result<MxReport, HostError> {
        let delivery = self.instance.bindings.smtp_client_delivery();
        let gathered = delivery
            .call_gather_ips(&mut self.instance.store, target, IpFamily::Any, &[])
            .await
            .map_err(HostError::from_guest)?;
        let (addresses, lookup_error) = match gathered {
            Ok(addresses) => (Some(addresses), None),
            Err(failure) => (None, Some(failure.error.message)),
        };
        let mut report = MxReport {
            host: match target {
                IpDomain::Ip(ip) => ip_addr(*ip).to_string(),
                IpDomain::Domain(name) => format!("{}.", name.ascii),
            },
            preference,
            addresses: addresses
                .iter()
                .flat_map(|a| &a.addresses)
                .map(|ip| ip_addr(*ip).to_string())
                .collect(),
            addresses_dnssec: addresses.as_ref().is_some_and(|a| a.authentic),
            tlsa: Vec::new(),
            tlsa_dnssec: false,
            tlsa_error: None,
            connection: ConnectionReport::failed(
                None,
                self.port,
                lookup_error.unwrap_or_else(|| "no address".into()),
            ),
        };
        let Some(addresses) = addresses else {
            return Ok(report);
        };
        let (dane, names) = match target {
            IpDomain::Domain(name) => match self.tlsa(&mut report, name, &addresses).await? {
                Some(dane) => (Some(dane.records), dane.names),
                None => (None, vec![name.clone()]),
            },
            IpDomain::Ip(ip) => (None, vec![domain(&ip_addr(*ip).to_string())]),
        };
        if let Some(first) = addresses.addresses.first() {
            let remote = SocketAddr::new(ip_addr(*first), self.port);
            report.connection = self.session(names, remote, dane).await?;
        }
        Ok(report)
    }

    /// Fill in the TLSA fields of `report`: every record published (from the host's resolver),
    /// each marked usable when the component's `gather-tlsa` keeps it. Returns the DANE
    /// parameters of the session when there are usable records.
    async fn tlsa(
        &mut self,
        report: &mut MxReport,
        name: &Domain,
        addresses: &Addresses,
    ) -> Result<Option<Dane>, HostError> {
        let (instance, destinations) = (&mut self.instance, self.destinations);
        let expanded_authentic = destinations.expanded_authentic && addresses.expanded_authentic;
        let expanded_host = addresses
            .expanded_host
            .clone()
            .unwrap_or_else(|| name.clone());
        let delivery = instance.bindings.smtp_client_delivery();
        let gathered = delivery
            .call_gather_tlsa(
                &mut instance.store,
                name,
                expanded_authentic,
                &expanded_host,
            )
            .await
            .map_err(HostError::from_guest)?;
        let policy = match gathered {
            Ok(policy) => policy,
            Err(failure) => {
                report.tlsa_error = Some(failure.error.message);
                TlsaPolicy {
                    dane_required: true,
                    records: Vec::new(),
                    base_domain: name.clone(),
                }
            }
        };
        let published = self
            .host
            .config()
            .resolver
            .lookup_tlsa(SMTP_PORT, "tcp", &policy.base_domain.ascii)
            .await;
        let (published, authentic) = match published {
            Ok(answer) => (answer.records, answer.authentic),
            Err(LookupError::NotFound { authentic }) => (Vec::new(), authentic),
            Err(_) => (Vec::new(), false),
        };
        report.tlsa_dnssec = authentic;
        report.tlsa = published
            .into_iter()
            .map(|r| {
                let record = Tlsa {
                    usage: r.usage,
                    selector: r.selector,
                    matching_type: r.matching_type,
                    data: r.data,
                };
                TlsaReport {
                    usable: policy
                        .records
                        .iter()
                        .any(|usable| same_record(usable, &record)),
                    record: tlsa_text(&record),
                }
            })
            .collect();
        if policy.records.is_empty() {
            return Ok(None);
        }
        let next_hop = domain(self.next_hop);
        let input = TlsaNamesInput {
            have_mx: destinations.have_mx,
            expanded_next_hop_authentic: destinations.expanded_authentic,
            expanded_base_domain_authentic: expanded_authentic,
            expanded_next_hop: destinations
                .expanded_next_hop
                .clone()
                .unwrap_or_else(|| next_hop.clone()),
            original_next_hop: next_hop,
            original_base_domain: name.clone(),
            expanded_base_domain: policy.base_domain.clone(),
        };
        let delivery = instance.bindings.smtp_client_delivery();
        let names = delivery
            .call_gather_tlsa_names(&mut instance.store, &input)
            .await
            .map_err(HostError::from_guest)?;
        Ok(Some(Dane {
            records: policy.records,
            names,
        }))
    }

    /// Open a session with `remote`, read its extensions and TLS, and close it. `names` is never
    /// empty: the first is the SNI and the PKIX name, the rest more names for DANE-TA.
    async fn session(
        &mut self,
        mut names: Vec<Domain>,
        remote: SocketAddr,
        dane: Option<Vec<Tlsa>>,
    ) -> Result<ConnectionReport, HostError> {
        let (instance, timeout) = (&mut self.instance, self.timeout);
        let ip = Some(remote.ip().to_string());
        let connection = match self.host.dial(remote, timeout).await {
            Ok(connection) => connection,
            Err(error) => {
                return Ok(ConnectionReport::failed(
                    ip,
                    remote.port(),
                    format!("connecting to {remote}: {error}"),
                ));
            }
        };
        let conn = instance.push(connection)?;
        let dane_checked = dane.is_some();
        let remote_hostname = (!names.is_empty()).then(|| names.remove(0));
        let options = OpenOptions {
            tls_mode: TlsMode::Opportunistic,
            verify_pkix: true,
            ehlo_hostname: domain("probe.invalid"),
            remote_hostname,
            auth: None,
            dane_records: dane,
            dane_more_hostnames: names,
            ignore_tls_verify_errors: true,
            extra_root_cas: Vec::new(),
            client_certificate: None,
            timeouts: Some(uniform_timeouts(timeout)),
            tls_results: None,
        };
        let client = instance.bindings.smtp_client_client();
        let opened = client
            .call_open_session(&mut instance.store, conn, &options)
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
        let extensions = extensions(instance, session).await?;
        let state = tls_state(instance, session).await?;
        close(instance, session).await?;
        let tls = state.map(|state| {
            let verified = state.dane_verified_record.as_ref().map(tlsa_text);
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
}

/// The records DANE uses for a host, and the names its certificate may carry (the first is
/// the SNI).
struct Dane {
    records: Vec<Tlsa>,
    names: Vec<Domain>,
}

fn same_record(a: &Tlsa, b: &Tlsa) -> bool {
    (a.usage, a.selector, a.matching_type, &a.data)
        == (b.usage, b.selector, b.matching_type, &b.data)
}

/// The policy through the component's `mta-sts.lookup-policy` (no cache: always fetched).
async fn mta_sts(instance: &mut Instance, name: &str) -> Result<StsReport, HostError> {
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
