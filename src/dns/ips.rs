//! The addresses of a host in dialing order (as mox's `GatherIPs`): follow CNAMEs, look up A/AAAA,
//! track authenticity (for the TLSA lookup, RFC 7672 §2.2.2), order by earlier attempts.
//!
//! As in the reference there is no loop detection here: a loop runs into the limit of
//! [`MAX_HOPS`]. Lookup errors keep their kind (mox flattens them to text), and an empty
//! address answer is a not-found, not an error without a cause as in mox.

use std::net::IpAddr;

use super::dialed::{DialedIps, is_v4, order};
use super::domain::{Domain, IpDomain};
use super::error::{DnsError, NameOrigin};
use super::fqdn::Fqdn;
use super::gather::{Authenticity, GatherFailure};
use super::resolver::{IpFamily, LookupError, RecordType, Resolver, authentic};
use crate::error::Error;

/// Most CNAME hops followed from a host: the 12th CNAME answer is an error (as in mox).
pub const MAX_HOPS: usize = 11;

/// The addresses of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    /// The host's first lookups were authentic: its CNAME lookup and the address lookup.
    pub authentic: bool,
    /// Every lookup along the CNAME chain was authentic.
    pub expanded_authentic: bool,
    /// The host after following CNAMEs; `None` for an IP host.
    pub expanded_host: Option<Domain>,
    /// In dialing order.
    pub addresses: Vec<IpAddr>,
    /// Both IPv4 and IPv6 addresses exist.
    pub dualstack: bool,
}

/// Gathers the addresses of `host`, ordered after the attempts in `dialed`.
///
/// # Errors
/// [`Error::Dns`] when a lookup fails or finds nothing (with the lookup's error kind),
/// [`Error::CnameLimit`]. The failure's `original_authentic` is the `authentic` flag.
pub fn gather_ips(
    resolver: &mut impl Resolver,
    host: &IpDomain,
    family: IpFamily,
    dialed: &DialedIps,
) -> Result<Addresses, GatherFailure> {
    let domain = match host {
        IpDomain::Ip(ip) => {
            return Ok(Addresses {
                authentic: false,
                expanded_authentic: false,
                expanded_host: None,
                addresses: vec![*ip],
                dualstack: false,
            });
        }
        IpDomain::Domain(domain) => domain,
    };
    let start = Fqdn::from(domain);
    let mut auth = Authenticity::new();
    let mut expanded = domain.clone();
    let mut name = start.clone();
    for hop in 0.. {
        let cname = resolver.lookup_cname(&name);
        auth.add(hop == 0, authentic(&cname));
        let target = match cname {
            Ok(answer) => answer.data,
            Err(LookupError::NotFound { .. }) => break,
            Err(error) => {
                return Err(auth.fail(DnsError::Lookup {
                    record: RecordType::Cname,
                    name,
                    error,
                }));
            }
        };
        let target_domain = Domain::from_fqdn(&target).map_err(|error| {
            auth.fail(DnsError::InvalidName {
                origin: NameOrigin::CnameTarget,
                name: target.clone(),
                error,
            })
        })?;
        let target = Fqdn::from(&target_domain);
        if target == name {
            break;
        }
        if hop >= MAX_HOPS {
            return Err(auth.fail(Error::CnameLimit {
                name: start,
                last: target,
            }));
        }
        expanded = target_domain;
        name = target;
    }

    let ips = resolver.lookup_ip(&name, family);
    auth.add(true, authentic(&ips));
    let mut addresses = match ips {
        Ok(answer) if !answer.data.is_empty() => answer.data,
        Ok(answer) => {
            return Err(auth.fail(DnsError::Lookup {
                record: RecordType::Ip,
                name,
                error: LookupError::NotFound {
                    authentic: answer.authentic,
                },
            }));
        }
        Err(error) => {
            return Err(auth.fail(DnsError::Lookup {
                record: RecordType::Ip,
                name,
                error,
            }));
        }
    };
    let v4 = addresses.iter().any(is_v4);
    let v6 = !addresses.iter().all(is_v4);
    order(&mut addresses, dialed.get(host));
    Ok(Addresses {
        authentic: auth.original,
        expanded_authentic: auth.expanded,
        expanded_host: Some(expanded),
        addresses,
        dualstack: v4 && v6,
    })
}

#[cfg(test)]
#[path = "ips_tests.rs"]
mod tests;
