//! The `delivery` export: destination gathering and dialing over the `resolver` and `tcp`
//! imports (the logic is in [`crate::dns`] and [`crate::io::dial`]), and whole delivery
//! attempts (src/component/deliver.rs).

use std::net::IpAddr;

use super::Component;
use super::convert::{
    core_dialed, core_domain, core_ip_domain, wit_dialed, wit_domain, wit_ip_domain,
};
use super::exports::smtp::client::delivery::{
    Addresses, DeliveryReport, DeliveryRequest, Destinations, DialFailure, Dialed, DialedIps,
    GatherFailure, Guest, HostPreference, Outgoing, TlsaNamesInput, TlsaPolicy,
};
use super::platform::{Imports, random_seed, tcp_error};
use super::resolver::core_family;
use super::smtp::client::resolver::IpFamily;
use super::smtp::client::tcp::{self, SocketAddress};
use super::smtp::client::types::{Domain, IpAddress, IpDomain};
use crate::dns::{self, tlsa_names};
use crate::error::Error;
use crate::io::dial::{self, DialError};

/// A failure before any lookup: nothing is authentic.
fn early_failure(error: Error) -> GatherFailure {
    GatherFailure {
        error: error.into(),
        original_authentic: false,
        expanded_authentic: false,
    }
}

fn gather_failure(failure: dns::GatherFailure) -> GatherFailure {
    GatherFailure {
        error: failure.error.into(),
        original_authentic: failure.original_authentic,
        expanded_authentic: failure.expanded_authentic,
    }
}

impl Guest for Component {
    fn gather_destinations(next_hop: IpDomain) -> Result<Destinations, GatherFailure> {
        let next_hop = core_ip_domain(&next_hop).map_err(early_failure)?;
        let found = dns::gather_destinations(&mut Imports, &next_hop, random_seed())
            .map_err(gather_failure)?;
        Ok(Destinations {
            have_mx: found.have_mx,
            original_authentic: found.original_authentic,
            expanded_authentic: found.expanded_authentic,
            expanded_next_hop: found.expanded_next_hop.map(wit_domain),
            hosts: found
                .hosts
                .into_iter()
                .map(|h| HostPreference {
                    host: wit_ip_domain(h.host),
                    preference: h.preference,
                })
                .collect(),
        })
    }

    fn gather_ips(
        host: IpDomain,
        family: IpFamily,
        dialed_ips: Vec<DialedIps>,
    ) -> Result<Addresses, GatherFailure> {
        let host = core_ip_domain(&host).map_err(early_failure)?;
        let dialed = core_dialed(&dialed_ips).map_err(early_failure)?;
        let found = dns::gather_ips(&mut Imports, &host, core_family(family), &dialed)
            .map_err(gather_failure)?;
        Ok(Addresses {
            authentic: found.authentic,
            expanded_authentic: found.expanded_authentic,
            expanded_host: found.expanded_host.map(wit_domain),
            addresses: found.addresses.into_iter().map(IpAddress::from).collect(),
            dualstack: found.dualstack,
        })
    }

    /// A failure's authentic flags carry no meaning here: a failed TLSA lookup means DANE
    /// is required and delivery to this host fails (RFC 7672 §2.1.1).
    fn gather_tlsa(
        host: Domain,
        expanded_authentic: bool,
        expanded_host: Domain,
    ) -> Result<TlsaPolicy, GatherFailure> {
        let host = core_domain(&host).map_err(early_failure)?;
        let expanded_host = core_domain(&expanded_host).map_err(early_failure)?;
        let policy = dns::gather_tlsa(&mut Imports, &host, expanded_authentic, &expanded_host)
            .map_err(early_failure)?;
        Ok(TlsaPolicy {
            dane_required: policy.dane_required,
            records: policy.records.into_iter().map(Into::into).collect(),
            base_domain: wit_domain(policy.base_domain),
        })
    }

    fn gather_tlsa_names(input: TlsaNamesInput) -> Vec<Domain> {
        tlsa_names(&dns::TlsaNamesInput {
            have_mx: input.have_mx,
            expanded_next_hop_authentic: input.expanded_next_hop_authentic,
            expanded_base_domain_authentic: input.expanded_base_domain_authentic,
            original_next_hop: input.original_next_hop,
            expanded_next_hop: input.expanded_next_hop,
            original_base_domain: input.original_base_domain,
            expanded_base_domain: input.expanded_base_domain,
        })
    }

    fn dial(
        host: IpDomain,
        addresses: Vec<IpAddress>,
        port: u16,
        dialed_ips: Vec<DialedIps>,
        local_addresses: Vec<IpAddress>,
        timeout_ms: u32,
    ) -> Result<Dialed, DialFailure> {
        let checked = core_ip_domain(&host).and_then(|host| Ok((host, core_dialed(&dialed_ips)?)));
        let (host, mut memory) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                return Err(DialFailure {
                    error: error.into(),
                    address: None,
                    dialed_ips,
                });
            }
        };
        let ips: Vec<IpAddr> = addresses.into_iter().map(IpAddr::from).collect();
        let locals: Vec<IpAddr> = local_addresses.into_iter().map(IpAddr::from).collect();
        let result = dial::dial(&host, &ips, &locals, &mut memory, |ip, local| {
            let remote = SocketAddress {
                address: ip.into(),
                port,
            };
            tcp::connect(remote, local.map(IpAddress::from), timeout_ms)
        });
        match result {
            Ok((connection, ip)) => Ok(Dialed {
                connection,
                address: ip.into(),
                dialed_ips: wit_dialed(&memory),
            }),
            Err(DialError::NoAddresses) => Err(DialFailure {
                error: Error::Usage("no addresses to dial").into(),
                address: None,
                dialed_ips: wit_dialed(&memory),
            }),
            Err(DialError::Failed { address, error }) => Err(DialFailure {
                error: tcp_error(&error).into(),
                address: Some(address.into()),
                dialed_ips: wit_dialed(&memory),
            }),
        }
    }

    fn deliver(request: DeliveryRequest, messages: Vec<Outgoing>) -> DeliveryReport {
        super::deliver::deliver(request, messages)
    }
}
