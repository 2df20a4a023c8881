//! Lookup results and errors shared by every resolver of the host.
//!
//! These are the Rust shapes of the `resolver` import of the WIT contract: every answer carries
//! an `authentic` flag (DNSSEC-validated, [RFC 4035 §3.2.3]), and failures separate "not found"
//! from temporary and permanent errors.
//!
//! [RFC 4035 §3.2.3]: https://www.rfc-editor.org/rfc/rfc4035#section-3.2.3

use std::fmt;
use std::net::IpAddr;

/// Which address families `lookup_ip` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// A, then AAAA: both are asked; the lookup is "not found" only when both are.
    Any,
    /// A records only.
    V4,
    /// AAAA records only.
    V6,
}

/// The records of one lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer<T> {
    /// The records of the asked type, for the final name of any CNAME chain, in answer order.
    pub records: Vec<T>,
    /// True only when the whole answer (every CNAME hop included) was DNSSEC-validated.
    pub authentic: bool,
}

/// One MX record.
///
/// [RFC 1035 §3.3.9](https://www.rfc-editor.org/rfc/rfc1035#section-3.3.9)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mx {
    /// "Lower values are preferred."
    pub preference: u16,
    /// The mail exchanger as an ASCII FQDN with the trailing dot; "." for a null MX
    /// ([RFC 7505 §3](https://www.rfc-editor.org/rfc/rfc7505#section-3)).
    pub exchange: String,
}

/// One TLSA record.
///
/// [RFC 6698 §2.1](https://www.rfc-editor.org/rfc/rfc6698#section-2.1)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE ([RFC 7218]).
    ///
    /// [RFC 7218]: https://www.rfc-editor.org/rfc/rfc7218#section-2.1
    pub usage: u8,
    /// Selector: 0 full certificate, 1 SubjectPublicKeyInfo.
    pub selector: u8,
    /// Matching type: 0 exact, 1 SHA2-256, 2 SHA2-512.
    pub matching_type: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// Why a lookup gave no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// NXDOMAIN or NODATA ([RFC 2308 §1]); `authentic` is the AD bit of the negative answer, so a
    /// validated denial of existence can be told from an unsigned one.
    ///
    /// [RFC 2308 §1]: https://www.rfc-editor.org/rfc/rfc2308#section-1
    #[error("no such record")]
    NotFound {
        /// The negative answer was DNSSEC-validated.
        authentic: bool,
    },
    /// SERVFAIL, a timeout or a network error: asking again later may work.
    #[error("temporary dns failure: {message}")]
    Temporary {
        /// The INFO-CODE of an Extended DNS Error option, when the server sent one
        /// ([RFC 8914 §2](https://www.rfc-editor.org/rfc/rfc8914#section-2)).
        extended_error: Option<u16>,
        /// Human-readable detail; do not parse.
        message: String,
    },
    /// REFUSED, FORMERR, NOTIMP, a malformed answer or a bad name: asking again will not help.
    #[error("permanent dns failure: {message}")]
    Permanent {
        /// Human-readable detail; do not parse.
        message: String,
    },
}

impl LookupError {
    /// A [`LookupError::Temporary`] without an extended error code.
    pub fn temporary(message: impl Into<String>) -> Self {
        Self::Temporary {
            extended_error: None,
            message: message.into(),
        }
    }

    /// A [`LookupError::Permanent`].
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
        }
    }
}

/// The record types the resolvers look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// IPv4 address ([RFC 1035 §3.4.1](https://www.rfc-editor.org/rfc/rfc1035#section-3.4.1)).
    A,
    /// IPv6 address ([RFC 3596 §2.1](https://www.rfc-editor.org/rfc/rfc3596#section-2.1)).
    Aaaa,
    /// Canonical name ([RFC 1035 §3.3.1](https://www.rfc-editor.org/rfc/rfc1035#section-3.3.1)).
    Cname,
    /// Mail exchanger ([RFC 1035 §3.3.9](https://www.rfc-editor.org/rfc/rfc1035#section-3.3.9)).
    Mx,
    /// TLSA ([RFC 6698 §2](https://www.rfc-editor.org/rfc/rfc6698#section-2)).
    Tlsa,
    /// Text strings ([RFC 1035 §3.3.14](https://www.rfc-editor.org/rfc/rfc1035#section-3.3.14)).
    Txt,
}

impl RecordKind {
    /// The lowercase mnemonic, as used in zone-file directives and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::Aaaa => "aaaa",
            Self::Cname => "cname",
            Self::Mx => "mx",
            Self::Tlsa => "tlsa",
            Self::Txt => "txt",
        }
    }

    /// Parses a mnemonic, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::A,
            Self::Aaaa,
            Self::Cname,
            Self::Mx,
            Self::Tlsa,
            Self::Txt,
        ]
        .into_iter()
        .find(|kind| kind.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Combines the A and the AAAA halves of an [`IpFamily::Any`] lookup.
///
/// Addresses from either half are returned (A first) even if the other half failed, as system
/// resolvers do; the answer is authentic only if both halves were (a failed half never is).
/// Without addresses: not found if both halves were, else the first failure.
pub fn merge_any(
    v4: Result<Answer<IpAddr>, LookupError>,
    v6: Result<Answer<IpAddr>, LookupError>,
) -> Result<Answer<IpAddr>, LookupError> {
    let authentic = |half: &Result<Answer<IpAddr>, LookupError>| match half {
        Ok(answer) => answer.authentic,
        Err(LookupError::NotFound { authentic }) => *authentic,
        Err(_) => false,
    };
    let both_authentic = authentic(&v4) && authentic(&v6);
    match (v4, v6) {
        (Ok(a), Ok(b)) => Ok(Answer {
            records: a.records.into_iter().chain(b.records).collect(),
            authentic: both_authentic,
        }),
        (Ok(answer), _) | (_, Ok(answer)) => Ok(Answer {
            records: answer.records,
            authentic: both_authentic,
        }),
        (Err(LookupError::NotFound { .. }), Err(LookupError::NotFound { .. })) => {
            Err(LookupError::NotFound {
                authentic: both_authentic,
            })
        }
        (Err(LookupError::NotFound { .. }), Err(e)) | (Err(e), _) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ip: &str, authentic: bool) -> Result<Answer<IpAddr>, LookupError> {
        Ok(Answer {
            records: vec![ip.parse().unwrap()],
            authentic,
        })
    }

    #[test]
    fn merge_any_table() {
        let nf = |authentic| Err(LookupError::NotFound { authentic });
        let temp = || Err(LookupError::temporary("servfail"));
        let cases = [
            (
                ok("192.0.2.1", true),
                ok("2001:db8::1", true),
                Ok((2, true)),
            ),
            (
                ok("192.0.2.1", true),
                ok("2001:db8::1", false),
                Ok((2, false)),
            ),
            (ok("192.0.2.1", true), nf(true), Ok((1, true))),
            (nf(false), ok("2001:db8::1", true), Ok((1, false))),
            (ok("192.0.2.1", true), temp(), Ok((1, false))),
            (
                nf(true),
                nf(true),
                Err(LookupError::NotFound { authentic: true }),
            ),
            (
                nf(true),
                nf(false),
                Err(LookupError::NotFound { authentic: false }),
            ),
            (nf(true), temp(), Err(LookupError::temporary("servfail"))),
            (temp(), nf(true), Err(LookupError::temporary("servfail"))),
        ];
        for (v4, v6, want) in cases {
            let got = merge_any(v4, v6).map(|a| (a.records.len(), a.authentic));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn record_kind_round_trip() {
        for kind in [
            RecordKind::A,
            RecordKind::Aaaa,
            RecordKind::Cname,
            RecordKind::Mx,
            RecordKind::Tlsa,
            RecordKind::Txt,
        ] {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
            assert_eq!(RecordKind::parse(&kind.as_str().to_uppercase()), Some(kind));
        }
        assert_eq!(RecordKind::parse("ns"), None);
    }
}
