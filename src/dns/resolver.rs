//! The DNS lookups delivery planning needs, as a trait: the component implements it over the
//! WIT `resolver` import, tests over a table ([`super::mock`]). Every answer and every
//! not-found says whether it was DNSSEC-authentic (RFC 4035 §3.2.3, RFC 6840 §5.7).

use std::fmt;
use std::net::IpAddr;

use super::fqdn::Fqdn;

/// An answer and whether a trusted validating resolver vouched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    /// The records.
    pub data: T,
    /// DNSSEC-validated (the AD bit from a trusted resolver).
    pub authentic: bool,
}

/// Which address records an IP lookup asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// A and AAAA.
    Any,
    /// A only.
    V4,
    /// AAAA only.
    V6,
}

/// An MX record (RFC 5321 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    /// RFC 1035 §3.3.9: "Lower values are preferred."
    pub preference: u16,
    /// The exchange as in the answer, with its trailing dot; "." for a null MX (RFC 7505 §3).
    pub exchange: String,
}

/// A TLSA record (RFC 6698 §2.1): one type for DNS answers and DANE verification.
pub use crate::tls::Tlsa;

/// A failed lookup, with its kind kept (mox flattens it to text) so that callers can tell a missing
/// record from a failure and see the extended DNS error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// NXDOMAIN or NODATA; `authentic` when the denial of existence was validated
    /// (RFC 4035 §5.4).
    #[error("not found{}", if *.authentic { " (dnssec-authenticated denial)" } else { "" })]
    NotFound {
        /// The denial was DNSSEC-validated.
        authentic: bool,
    },
    /// SERVFAIL, a timeout, a network error: retrying later may help.
    #[error("temporary failure: {message}{}", extended(.extended_error))]
    Temporary {
        /// The RFC 8914 §4 info-code, e.g. 6 (DNSSEC Bogus), when the resolver sent one.
        extended_error: Option<u16>,
        /// A description; not to be parsed.
        message: String,
    },
    /// REFUSED, FORMERR, a malformed name or answer, or the host's policy.
    #[error("permanent failure: {message}")]
    Permanent {
        /// A description; not to be parsed.
        message: String,
    },
}

fn extended(code: &Option<u16>) -> String {
    code.map(|c| format!(" (extended dns error {c})"))
        .unwrap_or_default()
}

impl LookupError {
    /// Whether the answer behind this error was authentic: only a validated denial is.
    #[must_use]
    pub fn authentic(&self) -> bool {
        matches!(self, Self::NotFound { authentic: true })
    }
}

/// Whether a lookup's outcome, answer or error, was authentic.
pub(crate) fn authentic<T>(result: &Result<Answer<T>, LookupError>) -> bool {
    match result {
        Ok(answer) => answer.authentic,
        Err(error) => error.authentic(),
    }
}

/// Which lookup failed, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordType {
    /// `lookup_cname`.
    Cname,
    /// `lookup_mx`.
    Mx,
    /// `lookup_ip` (A and/or AAAA).
    Ip,
    /// `lookup_tlsa`.
    Tlsa,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cname => "cname",
            Self::Mx => "mx",
            Self::Ip => "ip",
            Self::Tlsa => "tlsa",
        })
    }
}

/// DNS lookups. Names are absolute; names in answers are absolute too ("mx.example.com.").
///
/// Implementations perform the lookup when called (the component calls its host
/// synchronously); the planning code above them does no I/O of its own.
pub trait Resolver {
    /// The CNAME record of `name` itself: one hop (RFC 1034 §3.6.2).
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when `name` is not an alias.
    fn lookup_cname(&mut self, name: &Fqdn) -> Result<Answer<String>, LookupError>;

    /// The MX records of `name`, after CNAMEs, in answer order.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is none.
    fn lookup_mx(&mut self, name: &Fqdn) -> Result<Answer<Vec<Mx>>, LookupError>;

    /// The addresses of `name`, after CNAMEs.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is none of `family`.
    fn lookup_ip(
        &mut self,
        name: &Fqdn,
        family: IpFamily,
    ) -> Result<Answer<Vec<IpAddr>>, LookupError>;

    /// The TLSA records at `_<port>._<protocol>.<host>`, after CNAMEs (RFC 6698 §3).
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is none.
    fn lookup_tlsa(
        &mut self,
        port: u16,
        protocol: &str,
        host: &Fqdn,
    ) -> Result<Answer<Vec<Tlsa>>, LookupError>;

    /// The TXT records of `name`, after CNAMEs, each record's strings concatenated.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is none.
    fn lookup_txt(&mut self, name: &Fqdn) -> Result<Answer<Vec<Vec<u8>>>, LookupError>;
}
