//! The `delivery` export. Destination gathering and dialing come with issue 5, whole
//! delivery attempts with issue 6; until then every function answers a typed
//! `unsupported` error. `gather-tlsa-names` is pure logic and already complete.

use super::Component;
use super::exports::smtp::client::delivery::{
    Addresses, DeliveryReport, DeliveryRequest, Destinations, DialFailure, Dialed, DialedIps,
    GatherFailure, Guest, TlsaNamesInput, TlsaPolicy,
};
use super::smtp::client::resolver::IpFamily;
use super::smtp::client::types::{Domain, IpAddress, IpDomain, SmtpError};
use super::wasi::io::streams::InputStream;
use crate::dns::tlsa_names::tlsa_names;
use crate::error::Error;

fn unsupported(what: &str) -> SmtpError {
    Error::unsupported(what).into()
}

fn gather_unsupported(what: &str) -> GatherFailure {
    GatherFailure {
        error: unsupported(what),
        original_authentic: false,
        expanded_authentic: false,
    }
}

impl Guest for Component {
    fn gather_destinations(_next_hop: IpDomain) -> Result<Destinations, GatherFailure> {
        Err(gather_unsupported("gather-destinations (issue 5)"))
    }

    fn gather_ips(
        _host: IpDomain,
        _family: IpFamily,
        _dialed_ips: Vec<DialedIps>,
    ) -> Result<Addresses, GatherFailure> {
        Err(gather_unsupported("gather-ips (issue 5)"))
    }

    fn gather_tlsa(
        _host: Domain,
        _expanded_authentic: bool,
        _expanded_host: Domain,
    ) -> Result<TlsaPolicy, GatherFailure> {
        Err(gather_unsupported("gather-tlsa (issue 5)"))
    }

    fn gather_tlsa_names(input: TlsaNamesInput) -> Vec<Domain> {
        tlsa_names(&crate::dns::tlsa_names::TlsaNamesInput {
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
        _host: IpDomain,
        _addresses: Vec<IpAddress>,
        _port: u16,
        dialed_ips: Vec<DialedIps>,
        _local_addresses: Vec<IpAddress>,
        _timeout_ms: u32,
    ) -> Result<Dialed, DialFailure> {
        Err(DialFailure {
            error: unsupported("dial (issue 5)"),
            address: None,
            dialed_ips,
        })
    }

    fn deliver(request: DeliveryRequest, _message: &InputStream) -> DeliveryReport {
        DeliveryReport {
            recipients: Vec::new(),
            reply: None,
            error: Some(unsupported("deliver (issue 6)")),
            attempts: Vec::new(),
            tls_results: Vec::new(),
            sts_policy: None,
            dialed_ips: request.dialed_ips,
        }
    }
}
