//! DNS failures in TLS reports: the resolver's extended DNS error (RFC 8914) as a failure
//! reason code, named as the reference names it ("dns-extended-error-7-signature-expired"),
//! and `dnssec-invalid` (RFC 8460 §4.3.1) for a DNSSEC failure of the TLSA lookup.

use super::failure::{Failure, VALIDATION_FAILURE};
use crate::error::Error;

/// RFC 8460 §4.3.1 "tlsa-invalid".
pub const TLSA_INVALID: &str = "tlsa-invalid";
/// RFC 8460 §4.3.1 "dnssec-invalid".
pub const DNSSEC_INVALID: &str = "dnssec-invalid";

/// RFC 8914 §5.2 info-codes 0 to 24, as the reference spells them.
const NAMES: [&str; 25] = [
    "other",
    "unsupported dnskey algorithm",
    "unsupported ds digest type",
    "stale answer",
    "forged answer",
    "dnssec indeterminate",
    "dnssec bogus",
    "signature expired",
    "signature not yet valid",
    "dnskey missing",
    "rrsigs missing",
    "no zone key bit set",
    "nsec missing",
    "cached error",
    "not ready",
    "blocked",
    "censored",
    "filtered",
    "prohibited",
    "stale nxdomain answer",
    "not authoritative",
    "not supported",
    "no reachable authority",
    "network error",
    "invalid data",
];

/// The extended DNS error of a failed lookup behind `error`, if the resolver sent one.
#[must_use]
pub fn extended_error(error: &Error) -> Option<u16> {
    match error {
        Error::Dns(dns) => match dns.lookup_error()? {
            crate::dns::LookupError::Temporary { extended_error, .. } => *extended_error,
            _ => None,
        },
        _ => None,
    }
}

/// RFC 8914 §5.2 codes 1, 2 and 5 to 12: DNSSEC validation failed (bogus, expired or missing
/// signatures and keys).
#[must_use]
pub fn is_dnssec(code: u16) -> bool {
    matches!(code, 1 | 2 | 5..=12)
}

/// `dns-extended-error-<code>-<name with dashes>`.
#[must_use]
pub fn reason(code: u16) -> String {
    let name = NAMES.get(usize::from(code)).copied().unwrap_or("unknown");
    format!("dns-extended-error-{code}-{}", name.replace(' ', "-"))
}

/// A lookup on the way to a host failed DNSSEC validation: `validation-failure` with the
/// extended error (RFC 8460 §4.3.2.1 leaves the reason to the sender). `None` for other
/// failures.
#[must_use]
pub fn dnssec_failure(error: &Error) -> Option<Failure> {
    let code = extended_error(error).filter(|&code| is_dnssec(code))?;
    Some(Failure {
        result_type: VALIDATION_FAILURE,
        reason: Some(reason(code)),
    })
}

/// The TLSA lookup failed: `dnssec-invalid` for a DNSSEC failure (RFC 8460 §4.3.1: "no valid
/// records were returned from the recursive resolver"), else `tlsa-invalid`; the extended
/// error, when there is one, is the reason. (The reference writes this one
/// "extended-dns-error-"; the name is the same everywhere here.)
#[must_use]
pub fn tlsa_failure(error: &Error) -> Failure {
    let code = extended_error(error);
    Failure {
        result_type: if code.is_some_and(is_dnssec) {
            DNSSEC_INVALID
        } else {
            TLSA_INVALID
        },
        reason: code.map(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{DnsError, Fqdn, LookupError, RecordType};

    fn servfail(extended_error: Option<u16>) -> Error {
        Error::Dns(DnsError::Lookup {
            record: RecordType::Tlsa,
            name: Fqdn::parse("_25._tcp.mx.example.").unwrap(),
            error: LookupError::Temporary {
                extended_error,
                message: "servfail".into(),
            },
        })
    }

    #[test]
    fn reasons_and_result_types() {
        assert_eq!(reason(7), "dns-extended-error-7-signature-expired");
        assert_eq!(reason(0), "dns-extended-error-0-other");
        assert_eq!(reason(99), "dns-extended-error-99-unknown");
        let bogus = tlsa_failure(&servfail(Some(6)));
        assert_eq!(bogus.result_type, DNSSEC_INVALID);
        assert_eq!(
            bogus.reason.as_deref(),
            Some("dns-extended-error-6-dnssec-bogus")
        );
        let stale = tlsa_failure(&servfail(Some(3)));
        assert_eq!(stale.result_type, TLSA_INVALID);
        assert_eq!(
            stale.reason.as_deref(),
            Some("dns-extended-error-3-stale-answer")
        );
        assert_eq!(tlsa_failure(&servfail(None)).reason, None);
        assert!(dnssec_failure(&servfail(Some(3))).is_none());
        assert!(dnssec_failure(&servfail(None)).is_none());
        assert_eq!(
            dnssec_failure(&servfail(Some(9))).and_then(|f| f.reason),
            Some("dns-extended-error-9-dnskey-missing".into())
        );
    }
}
