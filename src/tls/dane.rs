//! DANE verification of a server certificate chain for SMTP (RFC 7672 §3, RFC 7671, RFC 6698).
//!
//! Only DANE-TA(2) and DANE-EE(3) are usable in SMTP: RFC 7672 §3.1.3 "TLSA records with
//! PKIX-TA(0) or PKIX-EE(1) ... are unusable". Unusable records (those usages, unknown
//! selectors and matching types) are skipped without an error, as mox does for unknown usages.

use rustls::pki_types::{
    CertificateDer, ServerName, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};

use sha2::{Digest, Sha256, Sha512};
use webpki::{EndEntityCert, KeyUsage};

use super::cert::{CertInfo, contents};
use super::tlsa::{
    DANE_EE, DANE_TA, MATCH_FULL, MATCH_SHA256, MATCH_SHA512, SELECTOR_CERT, SELECTOR_SPKI, Tlsa,
};

/// What went wrong with one record while verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaneError {
    /// RFC 7671 §5.1 requires at least one usable record; a present but empty set never
    /// verifies, as in mox, with mox's error text.
    #[error("verify requires at least one tlsa record")]
    NoRecords,
    /// The server sent no certificate.
    #[error("no server certificate")]
    NoCertificate,
    /// A SHA-256 or SHA-512 association whose length is not the digest's.
    #[error("record {record}: association data is {got} bytes, expected {expected}")]
    HashLength {
        /// The record, in presentation form.
        record: String,
        /// The digest length.
        expected: usize,
        /// The data length.
        got: usize,
    },
    /// A certificate of the chain could not be parsed.
    #[error("record {record}: unparsable certificate")]
    BadCertificate {
        /// The record, in presentation form.
        record: String,
    },
    /// DANE-TA: the anchor matched but the chain from it does not verify (expiry, signatures,
    /// key usage).
    #[error("record {record}: {error}")]
    Chain {
        /// The record, in presentation form.
        record: String,
        /// What webpki reported.
        error: webpki::Error,
    },
    /// DANE-TA: the chain verifies but the certificate carries none of the allowed names.
    #[error("record {record}: certificate not valid for any of the allowed names")]
    Name {
        /// The record, in presentation form.
        record: String,
    },
}

/// The outcome of DANE verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaneVerification {
    /// The first record that verified the chain (records are tried in order).
    pub verified: Option<Tlsa>,
    /// Errors met on the way; RFC 8460 reason "dane-no-match+errors" when not verified.
    pub errors: Vec<DaneError>,
}

/// Verifies `chain` (leaf first, as the server sent it) against `records`.
///
/// `names` are the reference identifiers for DANE-TA (RFC 7672 §3.2.2: the TLSA base domain
/// names, the first being the SNI name); DANE-EE ignores names and validity (RFC 7672 §3.1.1:
/// "the certificate's subject names, validity period ... are ignored").
pub fn verify(
    records: &[Tlsa],
    chain: &[CertificateDer<'_>],
    names: &[ServerName<'_>],
    now: UnixTime,
    algorithms: &[&dyn SignatureVerificationAlgorithm],
) -> DaneVerification {
    let mut errors = Vec::new();
    if records.is_empty() {
        errors.push(DaneError::NoRecords);
    } else if chain.is_empty() {
        errors.push(DaneError::NoCertificate);
    }
    if !errors.is_empty() {
        return DaneVerification {
            verified: None,
            errors,
        };
    }
    for record in records {
        let verified = match record.usage {
            DANE_EE => matches(record, &chain[0]),
            DANE_TA => verify_ta(record, chain, names, now, algorithms),
            // RFC 7672 §3.1.3: PKIX-TA and PKIX-EE are unusable in SMTP; others unassigned.
            _ => Ok(false),
        };
        match verified {
            // RFC 7671 §5: the first matching usable record authenticates the server.
            Ok(true) => {
                return DaneVerification {
                    verified: Some(record.clone()),
                    errors,
                };
            }
            Ok(false) => {}
            Err(error) => errors.push(error),
        }
    }
    DaneVerification {
        verified: None,
        errors,
    }
}

/// Whether `cert` matches the record's selector and matching type (RFC 6698 §2.1.2, §2.1.3).
fn matches(record: &Tlsa, cert: &CertificateDer<'_>) -> Result<bool, DaneError> {
    let selected = match record.selector {
        SELECTOR_CERT => cert.as_ref().to_vec(),
        SELECTOR_SPKI => CertInfo::parse(cert.as_ref())
            .and_then(|info| info.spki())
            .ok_or_else(|| DaneError::BadCertificate {
                record: record.to_string(),
            })?,
        _ => return Ok(false),
    };
    let expect_len = |expected: usize| {
        if record.data.len() == expected {
            Ok(())
        } else {
            Err(DaneError::HashLength {
                record: record.to_string(),
                expected,
                got: record.data.len(),
            })
        }
    };
    Ok(match record.matching_type {
        MATCH_FULL => selected == record.data,
        MATCH_SHA256 => {
            expect_len(32)?;
            Sha256::digest(&selected).as_slice() == record.data
        }
        MATCH_SHA512 => {
            expect_len(64)?;
            Sha512::digest(&selected).as_slice() == record.data
        }
        _ => false,
    })
}

/// DANE-TA (RFC 7671 §5.2.2): find the trust anchor, build the chain from the leaf to it and
/// check the names. The anchor is a certificate of the chain that matches the record, or
/// (RFC 7671 §5.2.3, "the server MAY omit the TA") the full certificate or full SPKI carried
/// in the record itself. Certificates after the matched one are not used as intermediates.
fn verify_ta(
    record: &Tlsa,
    chain: &[CertificateDer<'_>],
    names: &[ServerName<'_>],
    now: UnixTime,
    algorithms: &[&dyn SignatureVerificationAlgorithm],
) -> Result<bool, DaneError> {
    let chain_error = |error| DaneError::Chain {
        record: record.to_string(),
        error,
    };
    let mut anchors: Vec<TrustAnchor<'static>> = Vec::new();
    let mut intermediates: Vec<CertificateDer<'_>> = Vec::new();
    let record_cert = CertificateDer::from(record.data.as_slice());
    if record.selector == SELECTOR_CERT && record.matching_type == MATCH_FULL {
        // A record that is not a certificate just matches nothing.
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(&record_cert) {
            anchors.push(anchor.to_owned());
        }
    }
    if record.selector == SELECTOR_SPKI && record.matching_type == MATCH_FULL {
        // A bare key has no name: it anchors whichever presented certificate names it as
        // issuer; the signature check decides.
        if let Some(spki) = contents(&record.data) {
            for info in chain.iter().filter_map(|c| CertInfo::parse(c.as_ref())) {
                if let Some(issuer) = info.issuer_contents() {
                    anchors.push(TrustAnchor {
                        subject: issuer.into(),
                        subject_public_key_info: spki.to_vec().into(),
                        name_constraints: None,
                    });
                }
            }
        }
    }
    for (i, cert) in chain.iter().enumerate() {
        if matches(record, cert)? {
            let anchor = webpki::anchor_from_trusted_cert(cert).map_err(chain_error)?;
            anchors.push(anchor.to_owned());
            break;
        }
        if i > 0 {
            intermediates.push(cert.clone());
        }
    }
    if anchors.is_empty() {
        return Ok(false);
    }
    let leaf = EndEntityCert::try_from(&chain[0]).map_err(chain_error)?;
    leaf.verify_for_usage(
        algorithms,
        &anchors,
        &intermediates,
        now,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(chain_error)?;
    // RFC 7672 §3.2.3: the name checks of RFC 6125 against the allowed reference identifiers.
    if names
        .iter()
        .any(|name| leaf.verify_is_valid_for_subject_name(name).is_ok())
    {
        Ok(true)
    } else {
        Err(DaneError::Name {
            record: record.to_string(),
        })
    }
}

#[cfg(test)]
#[path = "dane_tests.rs"]
mod tests;
