//! The hosts to deliver to for a next hop (RFC 5321 §5.1): follow CNAMEs, look
//! up MX, handle implicit and null MX, and track DNSSEC authenticity for DANE.
//!
//! Differences from the reference, on purpose:
//! - Errors keep their structure: the lookup error with its kind and extended
//!   DNS error, not text.
//! - An MX answer without records is treated as no MX (implicit MX), not as "MX records,
//!   but no hosts".
//! - MX exchanges that are not valid host names are skipped when others are valid (as the
//!   reference's resolver does before it sees them); a "." among other MX records is such a
//!   name. Only when none is valid is the error returned, permanent.
//! - The hosts are sorted by preference and shuffled within one preference here, not by the
//!   resolver.

use super::domain::{Domain, IpDomain};
use super::error::{DnsError, NameOrigin};
use super::fqdn::Fqdn;
use super::gather::{Authenticity, GatherFailure};
use super::resolver::{LookupError, RecordType, Resolver, authentic};
use crate::error::Error;

/// Most names looked at while following CNAMEs from the next hop: the 17th is an error
/// (as in mox), so at most 15 CNAME hops are followed.
pub const MAX_NAMES: usize = 16;

/// One host to try, with its MX preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPreference {
    /// The host.
    pub host: IpDomain,
    /// The MX preference; `None` for an implicit MX or an IP next hop.
    pub preference: Option<u16>,
}

/// Where to deliver for a next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destinations {
    /// MX records were found (not the implicit MX of RFC 5321 §5.1).
    pub have_mx: bool,
    /// The lookups for the original next hop (its CNAME, else its MX) were authentic.
    pub original_authentic: bool,
    /// Every lookup along the CNAME chain, and the MX lookup, was authentic.
    pub expanded_authentic: bool,
    /// The next hop after following CNAMEs; `None` for an IP next hop.
    pub expanded_next_hop: Option<Domain>,
    /// The hosts in the order to try them.
    pub hosts: Vec<HostPreference>,
}

/// Gathers the hosts for `next_hop`. `seed` drives the shuffle within one preference.
///
/// # Errors
/// [`Error::CnameLoop`], [`Error::CnameLimit`], [`Error::Dns`] (temporary, or permanent
/// when no MX host is a valid name), [`Error::NoMail`] (permanent) for a null MX.
pub fn gather_destinations(
    resolver: &mut impl Resolver,
    next_hop: &IpDomain,
    seed: u64,
) -> Result<Destinations, GatherFailure> {
    let domain = match next_hop {
        // RFC 5321 §5.1: an address literal is the host itself.
        IpDomain::Ip(ip) => {
            return Ok(Destinations {
                have_mx: false,
                original_authentic: false,
                expanded_authentic: false,
                expanded_next_hop: None,
                hosts: vec![HostPreference {
                    host: IpDomain::Ip(*ip),
                    preference: None,
                }],
            });
        }
        IpDomain::Domain(domain) => domain,
    };
    let start = Fqdn::from(domain);
    let mut auth = Authenticity::new();
    let mut expanded = domain.clone();
    let mut seen: Vec<Fqdn> = Vec::new();
    loop {
        let name = Fqdn::from(&expanded);
        if seen.contains(&name) {
            return Err(auth.fail(Error::CnameLoop {
                name: start,
                repeated: name,
            }));
        }
        if seen.len() == MAX_NAMES {
            return Err(auth.fail(Error::CnameLimit {
                name: start,
                last: name,
            }));
        }
        let original = seen.is_empty();
        seen.push(name.clone());

        // RFC 5321 §5.1: "If a CNAME record is found, the resulting name is processed as if
        // it were the initial name."
        let cname = resolver.lookup_cname(&name);
        auth.add(original, authentic(&cname));
        match cname {
            Ok(answer) => {
                let target = Domain::from_fqdn(&answer.data).map_err(|error| {
                    auth.fail(DnsError::InvalidName {
                        origin: NameOrigin::CnameTarget,
                        name: answer.data.clone(),
                        error,
                    })
                })?;
                if target != expanded {
                    expanded = target;
                    continue;
                }
            }
            Err(LookupError::NotFound { .. }) => {}
            Err(error) => {
                return Err(auth.fail(DnsError::Lookup {
                    record: RecordType::Cname,
                    name,
                    error,
                }));
            }
        }

        let mx = resolver.lookup_mx(&name);
        auth.add(original, authentic(&mx));
        let records = match mx {
            Ok(answer) if !answer.data.is_empty() => answer.data,
            // RFC 5321 §5.1: "If an empty list of MXs is returned, the address is treated as
            // if it was associated with an implicit MX RR, with a preference of 0, pointing
            // to that host." The host is the CNAME-expanded name.
            Ok(_) | Err(LookupError::NotFound { .. }) => {
                return Ok(Destinations {
                    have_mx: false,
                    original_authentic: auth.original,
                    expanded_authentic: auth.expanded,
                    hosts: vec![HostPreference {
                        host: IpDomain::Domain(expanded.clone()),
                        preference: None,
                    }],
                    expanded_next_hop: Some(expanded),
                });
            }
            Err(error) => {
                return Err(auth.fail(DnsError::Lookup {
                    record: RecordType::Mx,
                    name,
                    error,
                }));
            }
        };
        // RFC 7505 §3: a single MX with the root as exchange: the domain accepts no mail.
        if let [only] = records.as_slice()
            && only.exchange == "."
        {
            return Err(auth.fail(Error::NoMail { domain: expanded }));
        }
        let mut hosts = Vec::with_capacity(records.len());
        let mut invalid = None;
        for mx in records {
            match Domain::from_fqdn_lax(&mx.exchange) {
                Ok(host) => hosts.push(HostPreference {
                    host: IpDomain::Domain(host),
                    preference: Some(mx.preference),
                }),
                Err(error) => {
                    invalid.get_or_insert(DnsError::InvalidName {
                        origin: NameOrigin::MxHost,
                        name: mx.exchange,
                        error,
                    });
                }
            }
        }
        if hosts.is_empty()
            && let Some(error) = invalid
        {
            return Err(auth.fail(error));
        }
        order(&mut hosts, seed);
        return Ok(Destinations {
            have_mx: true,
            original_authentic: auth.original,
            expanded_authentic: auth.expanded,
            expanded_next_hop: Some(expanded),
            hosts,
        });
    }
}

/// Sorts `hosts` by preference, lower first (RFC 5321 §5.1), and shuffles those of one
/// preference: "the sender-SMTP MUST randomize them to spread the load".
fn order(hosts: &mut [HostPreference], seed: u64) {
    let mut state = seed;
    for i in (1..hosts.len()).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let j = usize::try_from(split_mix(&mut state) % bound).unwrap_or(0);
        hosts.swap(i, j);
    }
    // A stable sort keeps the shuffled order within one preference.
    hosts.sort_by_key(|host| host.preference);
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, well-mixed generator for the shuffle.
fn split_mix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
#[path = "destinations_tests.rs"]
mod tests;
