//! What one delivery attempt is asked to do, and what it reports.

use std::net::IpAddr;
use std::time::Duration;

use super::ledger::Recipient;
use super::level::TlsLevel;
use super::relay::Relay;
use crate::dns::{DialedIps, IpDomain, IpFamily};
use crate::error::Error;
use crate::event::Event;
use crate::mtasts::CachedPolicy;
use crate::smtp::session::{Timeouts, Transaction};
use crate::tls::TlsState;
use crate::tlsrpt::TlsResults;

/// The dial deadline per address by default (30 s, as the reference's queue).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One delivery attempt to the recipients of one next-hop domain.
#[derive(Debug, Clone)]
pub struct Request {
    /// The recipient domain (or an IP literal). MTA-STS and TLS reporting are about this
    /// domain, never its CNAME target (RFC 8461 §4).
    pub next_hop: IpDomain,
    /// The SMTP port: 25 but in tests.
    pub port: u16,
    /// The lowest acceptable TLS level; DANE and MTA-STS raise it as the domain publishes them.
    pub tls_level: TlsLevel,
    /// "TLS-Required: No" (RFC 8689 §5).
    pub tls_required_no: bool,
    /// The name announced in EHLO, ASCII.
    pub ehlo_hostname: String,
    /// Roots trusted for PKIX besides the compiled-in Mozilla set, DER.
    pub extra_roots: Vec<Vec<u8>>,
    /// A client certificate (chain and key, PEM).
    pub client_certificate: Option<PemCertificate>,
    /// The deadlines of each session phase.
    pub timeouts: Timeouts,
    /// The deadline for connecting to one address.
    pub connect_timeout: Duration,
    /// The deadline for the whole attempt, lookups included: no step starts and no wait
    /// lasts beyond it; `None`: only the per-phase deadlines.
    pub deadline: Option<Duration>,
    /// Addresses dialed in earlier attempts.
    pub dialed: DialedIps,
    /// Local addresses to connect from, at most one per family.
    pub local_addresses: Vec<IpAddr>,
    /// Which address families to look up.
    pub ip_family: IpFamily,
    /// The cached MTA-STS policy of the next-hop domain, if any.
    pub cached_sts_policy: Option<CachedPolicy>,
    /// Fresh randomness for the order of MX hosts of one preference (RFC 5321 §5.1).
    pub shuffle_seed: u64,
    /// Deliver through this server instead of the next hop's MX hosts; `port`, `tls_level`,
    /// `cached_sts_policy` do not apply then.
    pub relay: Option<Relay>,
    /// Which attempt of the caller's queue this is, counting from 1, when it knows: on a
    /// first attempt to a host with IPv4 and IPv6 addresses a permanent 5.7.x refusal is
    /// temporary ([`crate::error::Error::FirstAttempt`]).
    pub attempt_number: Option<u32>,
    /// The messages are DMARC aggregate reports: no plaintext retry (RFC 7489 §7.2.1.1).
    pub dmarc_report: bool,
    /// Loopback, private, shared and link-local MX addresses may be dialed (tests, labs).
    pub allow_private_addresses: bool,
    /// Most addresses, over all MX hosts, one attempt dials; 0: no limit (Postfix's
    /// `smtp_mx_address_limit`).
    pub mx_address_limit: usize,
    /// Most SMTP sessions (connections whose greeting and EHLO went through) one attempt
    /// opens; 0: no limit (Postfix's `smtp_mx_session_limit`).
    pub mx_session_limit: usize,
}

/// Postfix's default `smtp_mx_address_limit`.
pub const DEFAULT_MX_ADDRESS_LIMIT: usize = 5;
/// Postfix's default `smtp_mx_session_limit`.
pub const DEFAULT_MX_SESSION_LIMIT: usize = 2;

impl Request {
    /// A request for `next_hop` on port 25 with opportunistic TLS and the defaults.
    #[must_use]
    pub fn new(next_hop: IpDomain, ehlo_hostname: &str) -> Self {
        Request {
            next_hop,
            port: 25,
            tls_level: TlsLevel::May,
            tls_required_no: false,
            ehlo_hostname: ehlo_hostname.to_string(),
            extra_roots: Vec::new(),
            client_certificate: None,
            timeouts: Timeouts::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            deadline: None,
            dialed: DialedIps::default(),
            local_addresses: Vec::new(),
            ip_family: IpFamily::Any,
            cached_sts_policy: None,
            shuffle_seed: 0,
            relay: None,
            attempt_number: None,
            dmarc_report: false,
            allow_private_addresses: false,
            mx_address_limit: DEFAULT_MX_ADDRESS_LIMIT,
            mx_session_limit: DEFAULT_MX_SESSION_LIMIT,
        }
    }
}

/// A client certificate chain (leaf first) and its private key, as PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct PemCertificate {
    /// The chain, leaf first.
    pub chain: String,
    /// The private key.
    pub key: String,
}

impl std::fmt::Debug for PemCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PemCertificate").finish_non_exhaustive()
    }
}

/// One message of an attempt: its envelope, or why the envelope is unusable, and its bytes.
#[derive(Debug, Clone)]
pub struct Outgoing<M> {
    /// The forward paths, as given (the report has one entry per recipient, in order).
    pub recipients: Vec<String>,
    /// The transaction, or why the envelope is refused (the message then fails for good).
    pub transaction: Result<Transaction, Error>,
    /// The message.
    pub message: M,
}

/// What happened on one host (one connection; a plaintext retry is a second attempt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The host.
    pub host: IpDomain,
    /// The address connected to, or the last one tried.
    pub address: Option<IpAddr>,
    /// The port.
    pub port: u16,
    /// The TLS level used on this MX host; `None` for a relay (its TLS mode applies).
    pub tls_level: Option<TlsLevel>,
    /// The TLS connection, when there was one.
    pub tls: Option<TlsState>,
    /// The EHLO keywords of the server, when the session opened.
    pub extensions: Vec<String>,
    /// Why the attempt on this host ended without delivering everything, if it did.
    pub error: Option<Error>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per message, per recipient in envelope order.
    pub messages: Vec<Vec<Recipient>>,
    /// The error that ended the attempt for the recipients not delivered, if any.
    pub error: Option<Error>,
    /// Every host and address tried, in order.
    pub attempts: Vec<Attempt>,
    /// TLS-reporting results (RFC 8460).
    pub tls_results: Vec<TlsResults>,
    /// An MTA-STS policy fetched in this attempt, for the caller to cache.
    pub sts_policy: Option<CachedPolicy>,
    /// The dialed-addresses memory for the next attempt.
    pub dialed: DialedIps,
    /// Every dial and what every session observed, oldest first.
    pub events: Vec<Event>,
}
