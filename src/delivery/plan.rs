//! The TLS plan for one MX host: what the caller asks, what DANE (RFC 7672) and MTA-STS
//! (RFC 8461) say, and "TLS-Required: No" (RFC 8689 §5), decided before dialing.
//!
//! Precedence follows RFC 8461 §2: usable DANE records win over MTA-STS. A host the policy
//! forbids is not dialed at all (an `Error::Policy`, temporary: another host or a later
//! attempt may do).

use super::level::TlsLevel;
use crate::error::Error;
use crate::smtp::session::TlsMode;
use crate::tls::Tlsa;

/// What DANE says about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dane {
    /// The host is an IP address, or its MX or address lookups were not DNSSEC-authentic:
    /// DANE does not apply (RFC 7672 §2.2.1, §2.2.2).
    NotApplicable,
    /// An authentic denial: the host publishes no TLSA records.
    NoRecords,
    /// Usable records (RFC 7672 §3.1.3) and the names a DANE-TA certificate may carry, the
    /// first of which is the SNI (RFC 7672 §3.2.2).
    Usable {
        /// The usable records.
        records: Vec<Tlsa>,
        /// Allowed names, ASCII; never empty.
        names: Vec<String>,
    },
    /// TLSA records exist but none is usable: TLS is mandatory, without authentication
    /// (RFC 7672 §2.2).
    Unusable,
    /// The TLSA lookup failed: the host must not be used (RFC 7672 §2.1.1).
    LookupFailed(Error),
}

/// What the next-hop domain's MTA-STS policy says about one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sts {
    /// No policy, or mode "none".
    None,
    /// Mode "testing": failures are reported, never enforced (RFC 8461 §5).
    Testing {
        /// The host matches one of the policy's MX patterns (RFC 8461 §4.1).
        matches: bool,
    },
    /// Mode "enforce" (RFC 8461 §5).
    Enforce {
        /// The host matches one of the policy's MX patterns (RFC 8461 §4.1).
        matches: bool,
    },
}

/// The inputs of [`plan`].
#[derive(Debug, Clone)]
pub struct HostInput<'a> {
    /// The lowest level the caller accepts.
    pub requested: TlsLevel,
    /// The MX host, ASCII without the trailing dot; empty for an IP address.
    pub host: &'a str,
    /// The next-hop (recipient) domain, ASCII.
    pub next_hop: &'a str,
    pub dane: Dane,
    pub sts: Sts,
    /// "TLS-Required: No" (RFC 8689 §5).
    pub tls_required_no: bool,
    /// The message is a DMARC aggregate report: never sent in plaintext after a failed
    /// handshake (RFC 7489 §7.2.1.1: reports may contain sensitive data), unless
    /// "TLS-Required: No" says otherwise.
    pub dmarc_report: bool,
}

/// How to connect to one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPlan {
    /// The level in force, for the report.
    pub level: TlsLevel,
    /// STARTTLS opportunistic or required.
    pub tls_mode: TlsMode,
    /// PKIX must pass.
    pub verify_pkix: bool,
    /// The DANE records the certificate must match, when DANE applies with usable records.
    pub dane_records: Option<Vec<Tlsa>>,
    /// The SNI, the PKIX name and the first DANE-TA name; empty for an IP address.
    pub remote_hostname: String,
    /// Further DANE-TA names (RFC 7672 §3.2.2).
    pub dane_more_hostnames: Vec<String>,
    /// "TLS-Required: No": verification failures are recorded, not fatal.
    pub ignore_verify_errors: bool,
    /// The server will be authenticated by DANE or MTA-STS, as REQUIRETLS demands
    /// (RFC 8689 §4.1).
    pub authenticated: bool,
    /// A failed TLS handshake may be retried once without TLS (RFC 7435 §4).
    pub plaintext_retry: bool,
}

/// Decides how to connect to one host, or why not to.
///
/// # Errors
/// [`Error::Policy`] when the policy forbids this host (MTA-STS enforce and the host is not in
/// the policy, dane-only without usable records, secure and the host outside the next-hop
/// domain); the TLSA lookup's error when it failed (RFC 7672 §2.1.1). Both are temporary.
pub fn plan(input: HostInput<'_>) -> Result<HostPlan, Error> {
    let relaxed = input.tls_required_no;
    let unusable = input.dane == Dane::Unusable;
    let (dane_records, names) = match input.dane {
        Dane::Usable { records, names } => (Some(records), names),
        // RFC 8689 §5: with "TLS-Required: No" the failed lookup does not stop delivery.
        Dane::LookupFailed(_) if relaxed => (None, Vec::new()),
        Dane::LookupFailed(error) => return Err(error),
        Dane::NotApplicable | Dane::NoRecords | Dane::Unusable => (None, Vec::new()),
    };
    if input.requested == TlsLevel::DaneOnly && dane_records.is_none() && !relaxed {
        return Err(Error::policy(format!(
            "dane-only: {} has no usable tlsa records",
            host_name(input.host)
        )));
    }
    // RFC 8461 §4.2: an enforced policy's MX patterns must match, or the host is not used.
    let sts_enforced = match input.sts {
        Sts::Enforce { matches: false } if dane_records.is_none() && !relaxed => {
            return Err(Error::policy(format!(
                "mx host {} does not match the enforced mta-sts policy of {}",
                host_name(input.host),
                input.next_hop
            )));
        }
        Sts::Enforce { matches } => matches,
        Sts::None | Sts::Testing { .. } => false,
    };
    if input.requested == TlsLevel::Secure && !within(input.host, input.next_hop) && !relaxed {
        return Err(Error::policy(format!(
            "secure: mx host {} is not in the next-hop domain {}",
            host_name(input.host),
            input.next_hop
        )));
    }
    let level = if dane_records.is_some() {
        // RFC 8461 §2: DANE takes precedence over MTA-STS.
        if input.requested == TlsLevel::DaneOnly {
            TlsLevel::DaneOnly
        } else {
            TlsLevel::Dane
        }
    } else if input.requested.requires_pkix() {
        input.requested
    } else if sts_enforced {
        // RFC 8461 §4.2: a PKIX-valid certificate for the MX host name.
        TlsLevel::Verify
    } else if unusable || input.requested == TlsLevel::Encrypt {
        // RFC 7672 §2.2: records exist but none is usable: TLS without authentication.
        TlsLevel::Encrypt
    } else {
        TlsLevel::May
    };
    let (remote_hostname, dane_more_hostnames) = match names.split_first() {
        Some((first, more)) => (first.clone(), more.to_vec()),
        None => (input.host.to_string(), Vec::new()),
    };
    let requires_tls = level.requires_tls() || dane_records.is_some();
    Ok(HostPlan {
        level,
        tls_mode: if requires_tls {
            TlsMode::RequiredStartTls
        } else {
            TlsMode::Opportunistic
        },
        verify_pkix: dane_records.is_none() && level.requires_pkix(),
        authenticated: dane_records.is_some() || sts_enforced,
        dane_records,
        remote_hostname,
        dane_more_hostnames,
        ignore_verify_errors: relaxed,
        // RFC 7435 §4: only unauthenticated opportunistic TLS falls back, and never for a
        // DMARC report; any TLS under "TLS-Required: No".
        plaintext_retry: relaxed || !(requires_tls || input.dmarc_report),
    })
}

/// `host` is `domain` or a name below it.
fn within(host: &str, domain: &str) -> bool {
    let (host, domain) = (host.to_ascii_lowercase(), domain.to_ascii_lowercase());
    host == domain || host.ends_with(&format!(".{domain}"))
}

fn host_name(host: &str) -> &str {
    if host.is_empty() {
        "(ip address)"
    } else {
        host
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
