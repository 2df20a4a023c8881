//! Absolute DNS names as the resolver takes and returns them: ASCII, lower case, with the
//! trailing dot. This is the one place where trailing dots are added and removed (every
//! name sent to the resolver is absolute, as in mox).

use std::fmt;

use super::domain::{Domain, DomainError};

/// RFC 1035 §2.3.4: "labels 63 octets or less".
const MAX_LABEL: usize = 63;
/// RFC 1035 §2.3.4: "names 255 octets or less" on the wire: 253 characters in text without
/// the trailing dot.
const MAX_NAME: usize = 253;

/// An absolute ASCII DNS name with its trailing dot, e.g. `_25._tcp.mx.example.com.`.
///
/// Labels hold letters, digits, `-` and `_` (service labels such as `_25._tcp`); the name is
/// lower case, so two names compare equal exactly when DNS treats them as equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);

impl Fqdn {
    /// A name from a DNS answer (a CNAME target), with or without its trailing dot.
    ///
    /// # Errors
    /// [`DomainError`] for an empty name or label, a label over 63 or a name over 253
    /// characters, or a character other than a letter, digit, `-` or `_`.
    pub fn parse(name: &str) -> Result<Self, DomainError> {
        let name = strip_root(name);
        if name.is_empty() {
            return Err(DomainError::Empty);
        }
        if name.len() > MAX_NAME {
            return Err(DomainError::TooLong);
        }
        for label in name.split('.') {
            if label.is_empty() || label.len() > MAX_LABEL {
                return Err(DomainError::Label);
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(DomainError::Character);
            }
        }
        Ok(Self(format!("{}.", name.to_ascii_lowercase())))
    }

    /// The name as sent to the resolver, with the trailing dot.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&Domain> for Fqdn {
    fn from(domain: &Domain) -> Self {
        Self(format!("{}.", domain.ascii))
    }
}

impl fmt::Display for Fqdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `name` without one trailing dot: names in DNS answers are absolute ("mx.example.com.").
#[must_use]
pub fn strip_root(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_and_checks() {
        let ok = |s: &str| Fqdn::parse(s).map(|f| f.as_str().to_string());
        assert_eq!(
            ok("_25._tcp.MX.Example."),
            Ok("_25._tcp.mx.example.".into())
        );
        assert_eq!(ok("mx.example"), Ok("mx.example.".into()));
        assert_eq!(ok("."), Err(DomainError::Empty));
        assert_eq!(ok(""), Err(DomainError::Empty));
        assert_eq!(ok("a..b."), Err(DomainError::Label));
        assert_eq!(ok(&"a".repeat(64)), Err(DomainError::Label));
        let long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(ok(&long), Err(DomainError::TooLong));
        assert_eq!(ok("a b.example."), Err(DomainError::Character));
        assert_eq!(ok("ex\u{e4}mple.test."), Err(DomainError::Character));
    }

    #[test]
    fn from_domain_adds_the_root() {
        let domain = Domain::parse("Mail.Example.org").expect("valid");
        assert_eq!(Fqdn::from(&domain).to_string(), "mail.example.org.");
        assert_eq!(strip_root("mail.example.org."), "mail.example.org");
        assert_eq!(strip_root("mail.example.org"), "mail.example.org");
    }
}
