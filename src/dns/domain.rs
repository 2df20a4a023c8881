//! Domain names in both forms (RFC 5890 §2.3.2.1): A-labels for DNS, U-labels for people and
//! SMTPUTF8; and next hops that are an IP address or a domain (mox's `IPDomain`).

use std::fmt;
use std::net::IpAddr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use super::fqdn::strip_root;

/// Why a string is not a domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Nothing, or only the root.
    #[error("empty domain name")]
    Empty,
    /// Domains are written without the root's dot; only DNS answers carry it.
    #[error("domain name ends with a dot")]
    TrailingDot,
    /// An IP address where a domain name is needed.
    #[error("an ip address is not a domain name")]
    IpAddress,
    /// Underscores are not allowed in host names (RFC 952, RFC 1123 §2.1).
    #[error("underscore in domain name")]
    Underscore,
    /// An underscore in a name that is not plain ASCII.
    #[error("underscore in a non-ascii domain name")]
    NonAsciiUnderscore,
    /// UTS #46 processing failed: a disallowed character, a misplaced hyphen, invalid
    /// Punycode, a bidi violation, an empty or too long label, a too long name.
    #[error("not a valid domain name (idna, uts #46)")]
    Idna,
    /// An empty label or one longer than 63 characters (RFC 1035 §2.3.4).
    #[error("empty or too long label")]
    Label,
    /// A name longer than 253 characters (RFC 1035 §2.3.4).
    #[error("domain name too long")]
    TooLong,
    /// A character other than a letter, digit, `-` or `_` in a DNS name.
    #[error("only letters, digits, '-' and '_' are allowed in dns names")]
    Character,
}

/// A domain name: `ascii` (lower case, A-labels, no trailing dot) and, for internationalized
/// names only, `unicode` (U-labels).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain {
    /// The form used in DNS and in SMTP without SMTPUTF8.
    pub ascii: String,
    /// The Unicode form, set only when it differs from `ascii`.
    pub unicode: Option<String>,
}

impl Domain {
    /// Parses a host name (as mox's `ParseDomain`): no trailing dot, no IP address, no
    /// underscore; UTS #46 with the lookup profile's rules (mapping, lower case, NFC, STD3
    /// characters, hyphen positions, DNS lengths; RFC 5891 §5).
    ///
    /// # Errors
    /// [`DomainError`] says which rule `s` breaks.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        if s.is_empty() {
            return Err(DomainError::Empty);
        }
        if s.ends_with('.') {
            return Err(DomainError::TrailingDot);
        }
        if s.parse::<IpAddr>().is_ok() {
            return Err(DomainError::IpAddress);
        }
        if s.contains('_') {
            return Err(DomainError::Underscore);
        }
        let uts46 = Uts46::new();
        let ascii = uts46
            .to_ascii(
                s.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::Check,
                DnsLength::Verify,
            )
            .map_err(|_| DomainError::Idna)?;
        // RFC 5891 §5.5: the A-labels must convert back to valid U-labels.
        let (unicode, result) =
            uts46.to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
        result.map_err(|_| DomainError::Idna)?;
        Ok(Self {
            unicode: (unicode != ascii).then(|| unicode.into_owned()),
            ascii: ascii.into_owned(),
        })
    }

    /// Parses an MX target (as mox's `ParseDomainLax`): like [`Domain::parse`], but
    /// underscores are allowed in plain ASCII names, which exist in the wild.
    ///
    /// # Errors
    /// [`DomainError::NonAsciiUnderscore`] for an underscore in a non-ASCII name, and
    /// [`DomainError::Idna`] when the name is only valid read as an IDN.
    pub fn parse_lax(s: &str) -> Result<Self, DomainError> {
        if !s.contains('_') {
            return Self::parse(s);
        }
        if !s.is_ascii() {
            return Err(DomainError::NonAsciiUnderscore);
        }
        let lower = s.to_ascii_lowercase();
        let stand_in = lower.replace('_', "a");
        let checked = Self::parse(&stand_in)?;
        if checked.unicode.is_some() || checked.ascii != stand_in {
            return Err(DomainError::Idna);
        }
        Ok(Self {
            ascii: lower,
            unicode: None,
        })
    }

    /// A host name from a DNS answer, e.g. a CNAME target: [`Domain::parse`] after removing
    /// the trailing dot.
    ///
    /// # Errors
    /// As [`Domain::parse`].
    pub fn from_fqdn(name: &str) -> Result<Self, DomainError> {
        Self::parse(strip_root(name))
    }

    /// An MX exchange from a DNS answer: [`Domain::parse_lax`] after removing the trailing dot.
    ///
    /// # Errors
    /// As [`Domain::parse_lax`].
    pub fn from_fqdn_lax(name: &str) -> Result<Self, DomainError> {
        Self::parse_lax(strip_root(name))
    }

    /// The name to show: the Unicode form if there is one, else ASCII.
    #[must_use]
    pub fn name(&self) -> &str {
        self.unicode.as_deref().unwrap_or(&self.ascii)
    }
}

/// For logs and errors: `unicode/ascii` for IDNs, else the ASCII name.
impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.unicode {
            Some(unicode) => write!(f, "{unicode}/{}", self.ascii),
            None => f.write_str(&self.ascii),
        }
    }
}

/// A next hop or a host: an IP address (an address literal, RFC 5321 §4.1.3) or a domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IpDomain {
    /// An IP address.
    Ip(IpAddr),
    /// A domain name.
    Domain(Domain),
}

/// The IP address, or the domain's [`Domain::name`]; this is also the key of the
/// dialed-IPs memory, as in mox.
impl fmt::Display for IpDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Domain(domain) => f.write_str(domain.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(a: &str) -> Domain {
        Domain {
            ascii: a.into(),
            unicode: None,
        }
    }

    fn idn(a: &str, u: &str) -> Domain {
        Domain {
            ascii: a.into(),
            unicode: Some(u.into()),
        }
    }

    #[test]
    fn parse_table() {
        let cases: &[(&str, Result<Domain, DomainError>)] = &[
            ("example.com", Ok(ascii("example.com"))),
            ("Mail.EXAMPLE.com", Ok(ascii("mail.example.com"))),
            ("localhost", Ok(ascii("localhost"))),
            (
                "ex\u{e4}mple.test",
                Ok(idn("xn--exmple-cua.test", "ex\u{e4}mple.test")),
            ),
            (
                "EX\u{c4}MPLE.test",
                Ok(idn("xn--exmple-cua.test", "ex\u{e4}mple.test")),
            ),
            (
                "xn--exmple-cua.test",
                Ok(idn("xn--exmple-cua.test", "ex\u{e4}mple.test")),
            ),
            (
                "XN--EXMPLE-CUA.test",
                Ok(idn("xn--exmple-cua.test", "ex\u{e4}mple.test")),
            ),
            // UTS #46 mapping: fullwidth letters become ASCII.
            ("\u{ff45}xample.com", Ok(ascii("example.com"))),
            ("", Err(DomainError::Empty)),
            ("example.com.", Err(DomainError::TrailingDot)),
            ("10.0.0.1", Err(DomainError::IpAddress)),
            ("2001:db8::1", Err(DomainError::IpAddress)),
            ("mx_1.example", Err(DomainError::Underscore)),
            ("a..example", Err(DomainError::Idna)),
            (".example", Err(DomainError::Idna)),
            ("-mx.example", Err(DomainError::Idna)),
            ("mx-.example", Err(DomainError::Idna)),
            ("ab--cd.example", Err(DomainError::Idna)),
            ("xn--zz-.example", Err(DomainError::Idna)),
            ("a b.example", Err(DomainError::Idna)),
            ("mx/1.example", Err(DomainError::Idna)),
        ];
        for (input, expected) in cases {
            assert_eq!(&Domain::parse(input), expected, "{input:?}");
        }
        let long_label = format!("{}.example", "a".repeat(64));
        assert_eq!(Domain::parse(&long_label), Err(DomainError::Idna));
        let long_name = vec!["a".repeat(63); 4].join(".");
        assert_eq!(Domain::parse(&long_name), Err(DomainError::Idna));
    }

    #[test]
    fn parse_lax_table() {
        let cases: &[(&str, Result<Domain, DomainError>)] = &[
            ("mx_1.example", Ok(ascii("mx_1.example"))),
            ("MX_1.Example", Ok(ascii("mx_1.example"))),
            ("_dmarc.example", Ok(ascii("_dmarc.example"))),
            ("mail.example", Ok(ascii("mail.example"))),
            (
                "ex\u{e4}mple.test",
                Ok(idn("xn--exmple-cua.test", "ex\u{e4}mple.test")),
            ),
            ("m\u{e4}x_1.example", Err(DomainError::NonAsciiUnderscore)),
            ("xn--exmple-cua._x.test", Err(DomainError::Idna)),
            ("mx_1.example.", Err(DomainError::TrailingDot)),
            ("mx_1..example", Err(DomainError::Idna)),
            ("mx_ 1.example", Err(DomainError::Idna)),
        ];
        for (input, expected) in cases {
            assert_eq!(&Domain::parse_lax(input), expected, "{input:?}");
        }
    }

    #[test]
    fn from_fqdn_strips_one_dot() {
        assert_eq!(Domain::from_fqdn("mx.example."), Ok(ascii("mx.example")));
        assert_eq!(Domain::from_fqdn("mx.example"), Ok(ascii("mx.example")));
        assert_eq!(
            Domain::from_fqdn("mx.example.."),
            Err(DomainError::TrailingDot)
        );
        assert_eq!(Domain::from_fqdn("."), Err(DomainError::Empty));
        assert_eq!(
            Domain::from_fqdn_lax("mx_1.example."),
            Ok(ascii("mx_1.example"))
        );
        assert_eq!(
            Domain::from_fqdn("mx_1.example."),
            Err(DomainError::Underscore)
        );
    }

    #[test]
    fn names_and_keys() {
        let idn = idn("xn--exmple-cua.test", "ex\u{e4}mple.test");
        assert_eq!(idn.name(), "ex\u{e4}mple.test");
        assert_eq!(idn.to_string(), "ex\u{e4}mple.test/xn--exmple-cua.test");
        assert_eq!(ascii("mx.example").to_string(), "mx.example");
        assert_eq!(IpDomain::Domain(idn).to_string(), "ex\u{e4}mple.test");
        let ip = IpDomain::Ip("2001:db8::1".parse().expect("ip"));
        assert_eq!(ip.to_string(), "2001:db8::1");
    }
}
