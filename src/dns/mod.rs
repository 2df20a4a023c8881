//! Delivery planning on DNS data (RFC 5321 §5.1, RFC 7672 §2.2), as mox's queue does it: domain
//! names, the hosts of a next hop, their addresses, their TLSA records and the names a DANE
//! certificate may carry.
//!
//! Everything here is sans-IO in the sense that matters: lookups go through the
//! [`Resolver`] trait, which the component implements over its `resolver` import and the
//! tests over a table; randomness comes in as a seed. Errors keep the lookup's kind and
//! extended DNS error (mox flattens them to text).

pub mod der;
pub mod destinations;
pub mod dialed;
pub mod domain;
pub mod error;
pub mod fqdn;
pub mod gather;
pub mod ips;
#[cfg(test)]
pub(crate) mod mock;
pub mod resolver;
pub mod tlsa;
pub mod tlsa_names;

pub use destinations::{Destinations, HostPreference, gather_destinations};
pub use dialed::DialedIps;
pub(crate) use dialed::is_v4;
pub use domain::{Domain, DomainError, IpDomain};
pub use error::{DnsError, NameOrigin};
pub use fqdn::Fqdn;
pub use gather::GatherFailure;
pub use ips::{Addresses, gather_ips};
pub use resolver::{Answer, IpFamily, LookupError, Mx, RecordType, Resolver, Tlsa};
pub use tlsa::{TlsaPolicy, gather_tlsa};
pub use tlsa_names::{TlsaNamesInput, tlsa_names};
