//! The core's [`Resolver`] over the WIT `resolver` import: every lookup is a call to the host.

use std::net::IpAddr;

use super::platform::Imports;
use super::smtp::client::resolver as wit;
use super::smtp::client::types::Tlsa as WitTlsa;
use crate::dns::{Answer, Fqdn, IpFamily, LookupError, Mx, Resolver, Tlsa};

/// Lookups through the host's `resolver` import.
impl Resolver for Imports {
    fn lookup_cname(&mut self, name: &Fqdn) -> Result<Answer<String>, LookupError> {
        wit::lookup_cname(name.as_str())
            .map(|answer| Answer {
                data: answer.target,
                authentic: answer.authentic,
            })
            .map_err(lookup_error)
    }

    fn lookup_mx(&mut self, name: &Fqdn) -> Result<Answer<Vec<Mx>>, LookupError> {
        wit::lookup_mx(name.as_str())
            .map(|answer| Answer {
                data: answer
                    .records
                    .into_iter()
                    .map(|mx| Mx {
                        preference: mx.preference,
                        exchange: mx.exchange,
                    })
                    .collect(),
                authentic: answer.authentic,
            })
            .map_err(lookup_error)
    }

    fn lookup_ip(
        &mut self,
        name: &Fqdn,
        family: IpFamily,
    ) -> Result<Answer<Vec<IpAddr>>, LookupError> {
        wit::lookup_ip(name.as_str(), wit_family(family))
            .map(|answer| Answer {
                data: answer.addresses.into_iter().map(IpAddr::from).collect(),
                authentic: answer.authentic,
            })
            .map_err(lookup_error)
    }

    fn lookup_tlsa(
        &mut self,
        port: u16,
        protocol: &str,
        host: &Fqdn,
    ) -> Result<Answer<Vec<Tlsa>>, LookupError> {
        wit::lookup_tlsa(port, protocol, host.as_str())
            .map(|answer| Answer {
                data: answer.records.into_iter().map(Tlsa::from).collect(),
                authentic: answer.authentic,
            })
            .map_err(lookup_error)
    }

    fn lookup_txt(&mut self, name: &Fqdn) -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
        wit::lookup_txt(name.as_str())
            .map(|answer| Answer {
                data: answer.records,
                authentic: answer.authentic,
            })
            .map_err(lookup_error)
    }
}

fn lookup_error(error: wit::LookupError) -> LookupError {
    match error {
        wit::LookupError::NotFound(not_found) => LookupError::NotFound {
            authentic: not_found.authentic,
        },
        wit::LookupError::Temporary(failure) => LookupError::Temporary {
            extended_error: failure.extended_error,
            message: failure.message,
        },
        wit::LookupError::Permanent(message) => LookupError::Permanent { message },
    }
}

/// The WIT family of a core family.
pub fn wit_family(family: IpFamily) -> wit::IpFamily {
    match family {
        IpFamily::Any => wit::IpFamily::Any,
        IpFamily::V4 => wit::IpFamily::Ipv4,
        IpFamily::V6 => wit::IpFamily::Ipv6,
    }
}

/// The core family of a WIT family.
pub fn core_family(family: wit::IpFamily) -> IpFamily {
    match family {
        wit::IpFamily::Any => IpFamily::Any,
        wit::IpFamily::Ipv4 => IpFamily::V4,
        wit::IpFamily::Ipv6 => IpFamily::V6,
    }
}

impl From<WitTlsa> for Tlsa {
    fn from(record: WitTlsa) -> Self {
        Tlsa {
            usage: record.usage,
            selector: record.selector,
            matching_type: record.matching_type,
            data: record.data,
        }
    }
}

impl From<Tlsa> for WitTlsa {
    fn from(record: Tlsa) -> Self {
        WitTlsa {
            usage: record.usage,
            selector: record.selector,
            matching_type: record.matching_type,
            data: record.data,
        }
    }
}
