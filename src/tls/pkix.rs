//! PKIX verification (RFC 5280, names per RFC 6125) of a server certificate chain, in the
//! order of Go's `crypto/x509` that the reference client (mox) reports by: leaf validity
//! period, then the host name, then the chain to a trusted root with the serverAuth key usage.
//!
//! Names: without a remote host name there is nothing to check the certificate against, so
//! PKIX fails with [`PkixError::NoName`] (reported as `certificate-host-mismatch`). Go skips
//! the name check then; we do not, because a certificate valid for any name authenticates
//! nobody. Only the remote host name is used,
//! never the DANE names, as in mox.

use std::time::Duration;

use rustls::pki_types::{
    CertificateDer, ServerName, SignatureVerificationAlgorithm, TrustAnchor, UnixTime,
};

use webpki::{EndEntityCert, KeyUsage};

use super::cert::CertInfo;

/// Why PKIX verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkixError {
    /// The server sent no certificate.
    #[error("no server certificate")]
    NoCertificate,
    /// RFC 5280 §4.1.2.5: the leaf is expired or not yet valid.
    #[error("certificate expired or not yet valid")]
    Expired,
    /// No remote host name to check the certificate against.
    #[error("no remote host name to verify the certificate for")]
    NoName,
    /// RFC 6125 §6: the certificate does not carry the remote host name.
    #[error("certificate is not valid for {0}")]
    NameMismatch(String),
    /// Parsing or path building failed (webpki's verdict).
    #[error("{0}")]
    Webpki(webpki::Error),
}

/// Verifies `chain` (leaf first) for `name` against `roots`.
///
/// # Errors
/// The first failed check, in Go's order.
pub fn verify(
    chain: &[CertificateDer<'_>],
    name: Option<&ServerName<'_>>,
    roots: &[TrustAnchor<'_>],
    now: UnixTime,
    algorithms: &[&dyn SignatureVerificationAlgorithm],
) -> Result<(), PkixError> {
    let (leaf_der, intermediates) = chain.split_first().ok_or(PkixError::NoCertificate)?;
    let leaf = EndEntityCert::try_from(leaf_der).map_err(PkixError::Webpki)?;
    if let Some(info) = CertInfo::parse(leaf_der.as_ref()) {
        let (not_before, not_after) = info.validity();
        let now = Duration::from_secs(now.as_secs());
        if now < not_before || now > not_after {
            return Err(PkixError::Expired);
        }
    }
    let name = name.ok_or(PkixError::NoName)?;
    leaf.verify_is_valid_for_subject_name(name)
        .map_err(|_| PkixError::NameMismatch(name.to_str().into_owned()))?;
    // Go's rule: a leaf that is itself a trusted root is the whole chain,
    // CA or not, e.g. a self-signed server certificate given as an extra root.
    if let Ok(anchor) = webpki::anchor_from_trusted_cert(leaf_der)
        && roots.iter().any(|root| {
            root.subject == anchor.subject
                && root.subject_public_key_info == anchor.subject_public_key_info
        })
    {
        return Ok(());
    }
    leaf.verify_for_usage(
        algorithms,
        roots,
        intermediates,
        now,
        KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(PkixError::Webpki)?;
    Ok(())
}

#[cfg(test)]
#[path = "pkix_tests.rs"]
mod tests;
