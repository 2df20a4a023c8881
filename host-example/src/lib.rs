//! A wasmtime host for the smtpclient component, and the `host-example` command line.
//!
//! The host supplies the component's imports: `tcp` on real sockets ([`tcp_impl`]),
//! `resolver` from real DNS or a zone file ([`dns`], [`resolver_impl`]) and `log`
//! ([`log_impl`]). [`Host`] loads the component once and instantiates it per delivery, within
//! the [`limits`] of guest memory, guest CPU and wall-clock time; every connect passes the
//! [`egress`] policy. DNS ([`dns::DnsBackend`]) and connections ([`tcp_impl::TcpConnector`])
//! are pluggable.

pub mod bindings;
pub mod cli;
pub mod cli_deliver;
pub mod deliver;
pub mod demo;
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
pub mod sink;
pub mod spool_impl;
pub mod state;
pub mod sts_cache;
pub mod tcp_impl;

pub use host::{EMBEDDED_COMPONENT, Host, HostConfig, HostError};
