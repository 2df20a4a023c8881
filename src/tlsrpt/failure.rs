//! RFC 8460 §4.3 result types and the failure reason codes the reference client (mox) reports,
//! for the errors of rustls and webpki.
//!
//! Go's `crypto/x509` errors map to webpki's like this:
//!
//! | Go (reference) | here | result type, reason |
//! |---|---|---|
//! | `CertificateInvalidError{Expired}` | leaf validity check, `CertExpired`, `CertNotValidYet` | `certificate-expired` |
//! | `HostnameError` | [`PkixError::NoName`], [`PkixError::NameMismatch`], `CertNotValidForName` | `certificate-host-mismatch` |
//! | `UnknownAuthorityError` | `UnknownIssuer`, bad signatures, unsupported signature algorithms, `CaUsedAsEndEntity` (Go takes a CA as leaf and then finds no issuer) | `certificate-not-trusted` |
//! | `NotAuthorizedToSign` | `EndEntityUsedAsCa` | `certificate-not-trusted`, `not-authorized-to-sign` |
//! | `CANotAuthorizedForThisName` | `NameConstraintViolation` | `certificate-not-trusted`, `ca-not-authorized-for-this-name` |
//! | `TooManyIntermediates` | `MaximumPathDepthExceeded`, `MaximumPathBuildCallsExceeded`, `PathLenConstraintViolated` | `certificate-not-trusted`, `too-many-intermediates` |
//! | `IncompatibleUsage` | `RequiredEkuNotFound*` | `certificate-not-trusted`, `incompatible-key-usage` |
//! | other | any other webpki error (e.g. a certificate webpki cannot parse) | `validation-failure`, `webpki-<error>` (kebab-case) |

use rustls::AlertDescription;

use crate::tls::dane::DaneVerification;
use crate::tls::pkix::PkixError;

/// RFC 8460 §4.3.1 "starttls-not-supported".
pub const STARTTLS_NOT_SUPPORTED: &str = "starttls-not-supported";
/// RFC 8460 §4.3.1 "certificate-host-mismatch".
pub const CERTIFICATE_HOST_MISMATCH: &str = "certificate-host-mismatch";
/// RFC 8460 §4.3.1 "certificate-expired".
pub const CERTIFICATE_EXPIRED: &str = "certificate-expired";
/// RFC 8460 §4.3.1 "certificate-not-trusted".
pub const CERTIFICATE_NOT_TRUSTED: &str = "certificate-not-trusted";
/// RFC 8460 §4.3.1 "validation-failure".
pub const VALIDATION_FAILURE: &str = "validation-failure";

/// A result type with its optional reason code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// RFC 8460 §4.3 result type.
    pub result_type: &'static str,
    /// RFC 8460 §4.4 "failure-reason-code".
    pub reason: Option<String>,
}

impl Failure {
    fn new(result_type: &'static str, reason: Option<&str>) -> Self {
        Failure {
            result_type,
            reason: reason.map(str::to_string),
        }
    }

    /// STARTTLS was not announced in opportunistic mode: no reason, as in mox.
    #[must_use]
    pub fn starttls_not_announced() -> Self {
        Self::new(STARTTLS_NOT_SUPPORTED, None)
    }

    /// STARTTLS was answered with `code`: `smtp-starttls-reply-code-<code>`, as in mox.
    #[must_use]
    pub fn starttls_refused(code: u16) -> Self {
        Failure {
            result_type: STARTTLS_NOT_SUPPORTED,
            reason: Some(format!("smtp-starttls-reply-code-{code}")),
        }
    }

    /// DANE did not verify: `dane-no-match`, `+errors` when records had errors (mox's codes).
    #[must_use]
    pub fn dane(verification: &DaneVerification) -> Self {
        let reason = if verification.errors.is_empty() {
            "dane-no-match"
        } else {
            "dane-no-match+errors"
        };
        Self::new(VALIDATION_FAILURE, Some(reason))
    }

    /// PKIX failed: Go's certificate errors as mox reports them, mapped as the module table says.
    #[must_use]
    pub fn pkix(error: &PkixError) -> Self {
        use webpki::Error as W;
        match error {
            PkixError::Expired => Self::new(CERTIFICATE_EXPIRED, None),
            PkixError::NoName | PkixError::NameMismatch(_) => {
                Self::new(CERTIFICATE_HOST_MISMATCH, None)
            }
            PkixError::NoCertificate => {
                Self::new(VALIDATION_FAILURE, Some("no-server-certificate"))
            }
            PkixError::Webpki(error) => match error {
                W::CertExpired { .. } | W::CertNotValidYet { .. } => {
                    Self::new(CERTIFICATE_EXPIRED, None)
                }
                W::CertNotValidForName(_) => Self::new(CERTIFICATE_HOST_MISMATCH, None),
                W::UnknownIssuer
                | W::CaUsedAsEndEntity
                | W::InvalidSignatureForPublicKey
                | W::UnsupportedSignatureAlgorithmContext(_)
                | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
                    Self::new(CERTIFICATE_NOT_TRUSTED, None)
                }
                W::EndEntityUsedAsCa => {
                    Self::new(CERTIFICATE_NOT_TRUSTED, Some("not-authorized-to-sign"))
                }
                W::NameConstraintViolation => Self::new(
                    CERTIFICATE_NOT_TRUSTED,
                    Some("ca-not-authorized-for-this-name"),
                ),
                W::MaximumPathDepthExceeded
                | W::MaximumPathBuildCallsExceeded
                | W::PathLenConstraintViolated => {
                    Self::new(CERTIFICATE_NOT_TRUSTED, Some("too-many-intermediates"))
                }
                W::RequiredEkuNotFoundContext(_) => {
                    Self::new(CERTIFICATE_NOT_TRUSTED, Some("incompatible-key-usage"))
                }
                other => Failure {
                    result_type: VALIDATION_FAILURE,
                    reason: Some(format!("webpki-{}", kebab(&format!("{other:?}")))),
                },
            },
        }
    }

    /// A failed handshake (an alert, not TLS, a timeout, a closed connection, as mox reports them)
    /// that our verifier did not already report.
    #[must_use]
    pub fn handshake(error: &rustls::Error) -> Self {
        use rustls::Error as R;
        use rustls::InvalidMessage as M;
        let reason = match error {
            R::AlertReceived(alert) => Some(alert_reason("tls-remote-", *alert)),
            // The peer does not speak TLS (Go's RecordHeaderError).
            R::InvalidMessage(M::InvalidContentType | M::UnknownProtocolVersion) => {
                Some("tls-record-header-error".to_string())
            }
            // The alerts rustls sends for these (Go's local alerts).
            R::PeerIncompatible(_) => Some(alert_reason(
                "tls-local-",
                AlertDescription::HandshakeFailure,
            )),
            R::InappropriateMessage { .. } | R::InappropriateHandshakeMessage { .. } => Some(
                alert_reason("tls-local-", AlertDescription::UnexpectedMessage),
            ),
            R::DecryptError => Some(alert_reason("tls-local-", AlertDescription::BadRecordMac)),
            _ => None,
        };
        Failure {
            result_type: VALIDATION_FAILURE,
            reason,
        }
    }

    /// The deadline of the handshake passed (mox's `io-timeout-during-handshake`).
    #[must_use]
    pub fn handshake_timeout() -> Self {
        Self::new(VALIDATION_FAILURE, Some("io-timeout-during-handshake"))
    }

    /// The connection failed or closed during the handshake (mox's
    /// `connection-closed-during-handshake`).
    #[must_use]
    pub fn handshake_closed() -> Self {
        Self::new(
            VALIDATION_FAILURE,
            Some("connection-closed-during-handshake"),
        )
    }
}

/// `prefix` + `alert-<n>` + `-<text>` for the alerts Go names (mox's `FormatAlert`).
#[must_use]
pub fn alert_reason(prefix: &str, alert: AlertDescription) -> String {
    let n = u8::from(alert);
    match alert_text(n) {
        Some(text) => format!("{prefix}alert-{n}-{}", text.replace(' ', "-")),
        None => format!("{prefix}alert-{n}"),
    }
}

/// Go's alert texts (crypto/tls alert.go), as the reference reports them.
fn alert_text(n: u8) -> Option<&'static str> {
    Some(match n {
        0 => "close notify",
        10 => "unexpected message",
        20 => "bad record MAC",
        21 => "decryption failed",
        22 => "record overflow",
        30 => "decompression failure",
        40 => "handshake failure",
        42 => "bad certificate",
        43 => "unsupported certificate",
        44 => "revoked certificate",
        45 => "expired certificate",
        46 => "unknown certificate",
        47 => "illegal parameter",
        48 => "unknown certificate authority",
        49 => "access denied",
        50 => "error decoding message",
        51 => "error decrypting message",
        60 => "export restriction",
        70 => "protocol version not supported",
        71 => "insufficient security level",
        80 => "internal error",
        86 => "inappropriate fallback",
        90 => "user canceled",
        100 => "no renegotiation",
        109 => "missing extension",
        110 => "unsupported extension",
        111 => "certificate unobtainable",
        112 => "unrecognized name",
        113 => "bad certificate status response",
        114 => "bad certificate hash value",
        115 => "unknown PSK identity",
        116 => "certificate required",
        120 => "no application protocol",
        121 => "encrypted client hello required",
        _ => return None,
    })
}

/// `UnsupportedCertVersion` → `unsupported-cert-version`: the variant name of a Debug form.
fn kebab(debug: &str) -> String {
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_reasons() {
        assert_eq!(
            alert_reason("tls-remote-", AlertDescription::ProtocolVersion),
            "tls-remote-alert-70-protocol-version-not-supported"
        );
        assert_eq!(
            alert_reason("tls-remote-", AlertDescription::BadCertificate),
            "tls-remote-alert-42-bad-certificate"
        );
        assert_eq!(
            alert_reason("tls-local-", AlertDescription::Unknown(200)),
            "tls-local-alert-200"
        );
    }

    #[test]
    fn pkix_mapping() {
        let cases = [
            (PkixError::Expired, CERTIFICATE_EXPIRED, None),
            (PkixError::NoName, CERTIFICATE_HOST_MISMATCH, None),
            (
                PkixError::Webpki(webpki::Error::UnknownIssuer),
                CERTIFICATE_NOT_TRUSTED,
                None,
            ),
            (
                PkixError::Webpki(webpki::Error::EndEntityUsedAsCa),
                CERTIFICATE_NOT_TRUSTED,
                Some("not-authorized-to-sign"),
            ),
            (
                PkixError::Webpki(webpki::Error::CaUsedAsEndEntity),
                CERTIFICATE_NOT_TRUSTED,
                None,
            ),
            (
                PkixError::Webpki(webpki::Error::MaximumPathDepthExceeded),
                CERTIFICATE_NOT_TRUSTED,
                Some("too-many-intermediates"),
            ),
            (
                PkixError::Webpki(webpki::Error::UnsupportedCertVersion),
                VALIDATION_FAILURE,
                Some("webpki-unsupported-cert-version"),
            ),
        ];
        for (error, result_type, reason) in cases {
            let failure = Failure::pkix(&error);
            assert_eq!(failure.result_type, result_type, "{error:?}");
            assert_eq!(failure.reason.as_deref(), reason, "{error:?}");
        }
    }

    #[test]
    fn handshake_mapping() {
        let failure = Failure::handshake(&rustls::Error::AlertReceived(
            AlertDescription::HandshakeFailure,
        ));
        assert_eq!(failure.result_type, VALIDATION_FAILURE);
        assert_eq!(
            failure.reason.as_deref(),
            Some("tls-remote-alert-40-handshake-failure")
        );
        let failure = Failure::handshake(&rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType,
        ));
        assert_eq!(failure.reason.as_deref(), Some("tls-record-header-error"));
    }
}
