//! A DNS stub resolver's part that does no I/O, shared by the hosts of the smtpclient
//! component: `host-example` sends the queries with tokio, the WASI adapter with
//! `wasi:sockets`.
//!
//! - [`Question`] builds a recursive query with EDNS(0) and the DO bit, recognises its answer
//!   among datagrams (id and question), and interprets it: RCODE to [`LookupError`], the AD
//!   bit only from a trusted resolver, the CNAME chain followed, Extended DNS Errors kept.
//! - [`convert`] and the record readers ([`ip`], [`cname`], [`mx`], [`tlsa`], [`txt`]) turn
//!   the records into [`Answer`]s; [`merge_any`] joins the A and AAAA halves of an address
//!   lookup.
//! - [`fqdn`] and [`tlsa_name`] normalise the names asked: always absolute, no search
//!   domains.
//! - [`first_nameserver`] reads resolv.conf text, [`HostsFile`] a hosts file.
//! - [`lookup_line`] shows a lookup and its outcome to people.
//!
//! Names in and out are ASCII FQDNs: a name is accepted with or without its trailing dot;
//! names in answers are lowercase with the trailing dot.

mod hosts;
mod name;
mod resolv_conf;
mod shown;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod types;
mod wire;
#[cfg(test)]
mod wire_tests;

pub use hosts::{HostsFile, SYSTEM_HOSTS};
pub use name::{fqdn, is_at_or_below, tlsa_name};
pub use resolv_conf::{
    DNS_PORT, ResolvConfError, SYSTEM_RESOLV_CONF, first_nameserver, nameserver_from_file,
};
pub use shown::{ShownRecord, lookup_line};
pub use types::{Answer, IpFamily, LookupError, Mx, RecordKind, Tlsa, merge_any};
pub use wire::{QueryTooLong, Question, cname, convert, ip, mx, tlsa, txt};

/// How long one query may take, retry and TCP included, unless told otherwise.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
