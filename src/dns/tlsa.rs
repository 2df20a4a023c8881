//! The TLSA records of an MX host for DANE (RFC 7672 §2.2): where to look them up
//! (the TLSA base domain), whether DANE is required, and which records are usable.
//!
//! Called only when the host's address lookup was authentic (RFC 7672 §2.2.2). Lookup
//! errors keep their kind (mox flattens them to text). As in mox, a CNAME chain at the TLSA
//! name has no loop detection: a loop runs into [`MAX_HOPS`].

use super::der;
use super::domain::Domain;
use super::error::{DnsError, NameOrigin};
use super::fqdn::Fqdn;
use super::resolver::{LookupError, RecordType, Resolver, Tlsa};
use crate::error::Error;

/// SMTP's port (RFC 7672 §2.2.2: "_25._tcp").
const SMTP_PORT: u16 = 25;

/// Most CNAME hops followed from a TLSA name: the 11th CNAME answer is an error.
pub const MAX_HOPS: usize = 10;

/// What DANE needs for one MX host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsaPolicy {
    /// TLSA records exist, usable or not: TLS is required, and verified with `records`
    /// (RFC 7672 §2.2). An error from [`gather_tlsa`] means required too (§2.1.1).
    pub dane_required: bool,
    /// The usable records in DNS order. Empty with `dane_required`: TLS is required but
    /// cannot be verified (RFC 7672 §2.2).
    pub records: Vec<Tlsa>,
    /// Where the records were found (RFC 7672 §2.2.2).
    pub base_domain: Domain,
}

/// Gathers the TLSA records of `host` on port 25. `expanded_host` is `host` after CNAMEs and
/// `expanded_authentic` whether that whole chain was authentic.
///
/// RFC 7672 §2.2.2: "If the A and/or AAAA lookup of the original name yields a CNAME, ...
/// [and] the final target of the CNAME chain is DNSSEC validated, the client MUST issue a
/// TLSA query for that final target"; if there are no records there, the original name is
/// the base domain.
///
/// # Errors
/// [`Error::Dns`] or [`Error::CnameLimit`]: DANE is then required and delivery to this host
/// must fail (RFC 7672 §2.1.1). There is no fallback to `host` after an error at
/// `expanded_host`.
pub fn gather_tlsa(
    resolver: &mut impl Resolver,
    host: &Domain,
    expanded_authentic: bool,
    expanded_host: &Domain,
) -> Result<TlsaPolicy, Error> {
    let (base, records) = if host != expanded_host && expanded_authentic {
        match lookup(resolver, expanded_host)? {
            Some(records) => (expanded_host, records),
            None => (host, lookup(resolver, host)?.unwrap_or_default()),
        }
    } else {
        (host, lookup(resolver, host)?.unwrap_or_default())
    };
    Ok(TlsaPolicy {
        dane_required: !records.is_empty(),
        records: records.into_iter().filter(usable).collect(),
        base_domain: base.clone(),
    })
}

/// The authentic TLSA records at `_25._tcp.<host>`, following CNAMEs, or `None` when any
/// step is not authentic ("not doing DANE", RFC 7672 §2.2) or there are none. `Some` is
/// never empty.
fn lookup(resolver: &mut impl Resolver, host: &Domain) -> Result<Option<Vec<Tlsa>>, Error> {
    let host_name = Fqdn::from(host);
    let start = Fqdn::parse(&format!("_{SMTP_PORT}._tcp.{host_name}")).map_err(|error| {
        DnsError::InvalidName {
            origin: NameOrigin::CnameTarget,
            name: host_name.to_string(),
            error,
        }
    })?;
    let mut name = start.clone();
    for hop in 0.. {
        match resolver.lookup_cname(&name) {
            Err(LookupError::NotFound { authentic: false }) => return Ok(None),
            Err(LookupError::NotFound { authentic: true }) => break,
            Err(error) => {
                return Err(DnsError::Lookup {
                    record: RecordType::Cname,
                    name,
                    error,
                }
                .into());
            }
            Ok(answer) if !answer.authentic => return Ok(None),
            Ok(answer) => {
                if hop >= MAX_HOPS {
                    return Err(Error::CnameLimit {
                        name: start,
                        last: name,
                    });
                }
                name = Fqdn::parse(&answer.data).map_err(|error| DnsError::InvalidName {
                    origin: NameOrigin::CnameTarget,
                    name: answer.data.clone(),
                    error,
                })?;
            }
        }
    }
    // The `resolver` import can only ask for `_<port>._<protocol>.<host>`, and the end of
    // the chain need not have that form; the resolver follows the same chain from the start,
    // and its answer is authentic only if every step is (RFC 4035 §3.2.3).
    match resolver.lookup_tlsa(SMTP_PORT, "tcp", &host_name) {
        Ok(answer) if answer.authentic && !answer.data.is_empty() => Ok(Some(answer.data)),
        Ok(_) | Err(LookupError::NotFound { .. }) => Ok(None),
        Err(error) => Err(DnsError::Lookup {
            record: RecordType::Tlsa,
            name,
            error,
        }
        .into()),
    }
}

/// RFC 7672 §3.1.3: usable are DANE-TA(2) and DANE-EE(3) records (PKIX-TA/EE are not, §3.1.3
/// "SMTP client treatment of TLSA RRs") with a known selector and matching type (RFC 6698
/// §2.1.2, §2.1.3), whose data fits the matching type.
fn usable(record: &Tlsa) -> bool {
    if !matches!(record.usage, 2 | 3) {
        return false;
    }
    match (record.selector, record.matching_type) {
        (0, 0) => der::is_certificate(&record.data),
        (1, 0) => der::is_public_key(&record.data),
        (0 | 1, 1) => record.data.len() == 32,
        (0 | 1, 2) => record.data.len() == 64,
        _ => false,
    }
}

#[cfg(test)]
#[path = "tlsa_tests.rs"]
mod tests;
