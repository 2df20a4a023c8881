//! A wasmtime host for the smtpclient component (the library), and the `host-example`
//! command line ([`cli`]).
//!
//! [`Host`] loads the component once and instantiates it per delivery ([`state`] is what one
//! instance carries), within the [`limits`] of guest memory, guest CPU and wall-clock time.
//! One file per import: `tcp` ([`tcp_impl`]), `resolver` ([`resolver_impl`]), `log`
//! ([`log_impl`]), `spool` ([`spool_impl`]). What an embedder plugs in: the DNS
//! ([`dns::DnsBackend`]), the connector ([`connector::TcpConnector`]; [`socks5`] through a
//! proxy) and the egress policy
//! ([`egress::EgressPolicy`]) every connect passes. [`convert`] turns std types into the
//! contract's. [`session`] holds the calls on an open session. On top: [`send`] (submission), [`deliver`] (MX delivery with an MTA-STS
//! cache, [`deliver::StsCache`]) and [`probe`], which report in [`report`]'s terms.

pub mod bindings;
pub mod cli;
pub mod connector;
pub mod convert;
pub mod deliver;
pub mod dns;
pub mod egress;
pub mod host;
pub mod limits;
pub mod log_impl;
pub mod probe;
pub mod progress;
pub mod report;
pub mod resolver_impl;
pub mod send;
pub mod session;
pub mod sink;
pub mod socks5;
pub mod spool_impl;
pub mod state;
pub mod tcp_impl;

pub use host::{EMBEDDED_COMPONENT, Host, HostConfig, HostError};
