//! TLS security levels, named as Postfix names them (`smtp_tls_security_level`), and the
//! level a host gets from what the caller asks and what the domain publishes.

use std::fmt;

/// How much TLS a connection to one MX host needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsLevel {
    /// Opportunistic TLS, unverified; a plaintext retry after a failed handshake
    /// (RFC 7435 §4, RFC 3207 §4).
    May,
    /// TLS required, unverified (RFC 7672 §2.2: TLSA records exist but none is usable).
    Encrypt,
    /// DANE when usable TLSA records exist, else `may` (RFC 7672 §2.2).
    Dane,
    /// DANE required: a host without usable TLSA records is not used.
    DaneOnly,
    /// TLS required, PKIX-verified against the MX host name (RFC 8461 §4.2 for MTA-STS).
    Verify,
    /// TLS required, PKIX-verified, and the MX host must be the next-hop domain or below it.
    Secure,
}

impl TlsLevel {
    /// The Postfix name, as in reports and options.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TlsLevel::May => "may",
            TlsLevel::Encrypt => "encrypt",
            TlsLevel::Dane => "dane",
            TlsLevel::DaneOnly => "dane-only",
            TlsLevel::Verify => "verify",
            TlsLevel::Secure => "secure",
        }
    }

    /// The connection must use TLS.
    #[must_use]
    pub fn requires_tls(self) -> bool {
        !matches!(self, TlsLevel::May | TlsLevel::Dane)
    }

    /// The connection must be authenticated with PKIX.
    #[must_use]
    pub fn requires_pkix(self) -> bool {
        matches!(self, TlsLevel::Verify | TlsLevel::Secure)
    }
}

impl fmt::Display for TlsLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
