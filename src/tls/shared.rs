//! What TLS connections with the same trust anchors and client certificate share, built once
//! and reused: the rustls configuration (crypto provider, protocol versions, client
//! certificate, no resumption) and the trust anchors (the compiled-in Mozilla set and the
//! caller's). A connection copies the configuration and puts its own verifier in it (the
//! names, DANE records and what verification found are the connection's, see
//! [`super::config`]).
//!
//! The cache is bounded: a host delivering with many distinct sets of extra roots or client
//! certificates rebuilds the oldest ones.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::Resumption;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, TrustAnchor, UnixTime};
use rustls::time_provider::TimeProvider;
use rustls::{ClientConfig, Error as TlsError};

use super::config::ClientCertificate;
use super::verifier::{SmtpVerifier, VerifierConfig};

/// How many distinct policies are kept.
const CAPACITY: usize = 16;

/// A rustls configuration and trust anchors for one policy.
#[derive(Debug)]
pub(crate) struct SharedTls {
    /// Complete but for the verifier and SNI, which each connection sets on its copy.
    pub(crate) config: ClientConfig,
    /// The compiled-in Mozilla roots and the caller's.
    pub(crate) roots: Arc<[TrustAnchor<'static>]>,
}

/// What determines a [`SharedTls`].
#[derive(Debug, PartialEq, Eq)]
struct Policy {
    extra_roots: Vec<Vec<u8>>,
    client_certificate: Option<ClientCertificate>,
}

/// The policies built so far, oldest first.
static CACHE: Mutex<Vec<(Policy, Arc<SharedTls>)>> = Mutex::new(Vec::new());

/// The shared configuration for these extra roots (DER; those that do not parse are left out,
/// [`super::TlsConfig::validate`] reports them) and client certificate: built on first use,
/// the same `Arc` afterwards.
///
/// # Errors
/// The client certificate or key is unusable.
pub(crate) fn shared(
    extra_roots: &[Vec<u8>],
    client_certificate: Option<&ClientCertificate>,
) -> Result<Arc<SharedTls>, TlsError> {
    let policy = Policy {
        extra_roots: extra_roots.to_vec(),
        client_certificate: client_certificate.cloned(),
    };
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, shared)) = cache.iter().find(|(p, _)| *p == policy) {
        return Ok(Arc::clone(shared));
    }
    let shared = Arc::new(build(&policy)?);
    if cache.len() == CAPACITY {
        cache.remove(0);
    }
    cache.push((policy, Arc::clone(&shared)));
    Ok(shared)
}

/// The time rustls hands to the verifier. The configuration outlives any one connection, so
/// the verifier ignores it and uses its connection's time ([`VerifierConfig::now`]);
/// resumption, the other reader, is off.
#[derive(Debug)]
struct UnusedTime;

impl TimeProvider for UnusedTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(UnixTime::since_unix_epoch(std::time::Duration::ZERO))
    }
}

fn build(policy: &Policy) -> Result<SharedTls, TlsError> {
    let provider = Arc::new(super::provider::provider());
    let mut roots = webpki_roots::TLS_SERVER_ROOTS.to_vec();
    for root in &policy.extra_roots {
        let der = CertificateDer::from(root.as_slice());
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(&der) {
            roots.push(anchor.to_owned());
        }
    }
    let roots: Arc<[TrustAnchor<'static>]> = roots.into();
    // rustls wants a verifier to build with; each connection replaces it with its own. This
    // one demands PKIX for no name, so it would refuse every server.
    let refuse_all = SmtpVerifier::new(VerifierConfig {
        name: None,
        dane_names: Vec::new(),
        dane_records: None,
        verify_pkix: true,
        ignore_errors: false,
        roots: Arc::clone(&roots),
        algorithms: provider.signature_verification_algorithms,
        now: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
    });
    let builder = ClientConfig::builder_with_details(provider, Arc::new(UnusedTime))
        // RFC 8996, RFC 8997: nothing older than TLS 1.2.
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .dangerous()
        .with_custom_certificate_verifier(refuse_all);
    let mut config = match &policy.client_certificate {
        Some(cert) => builder.with_client_auth_cert(
            cert.chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect(),
            PrivateKeyDer::try_from(cert.key.clone())
                .map_err(|e| TlsError::General(format!("client key: {e}")))?,
        )?,
        None => builder.with_no_client_auth(),
    };
    // Every connection is verified afresh: resumption would skip the verifier.
    config.resumption = Resumption::disabled();
    Ok(SharedTls { config, roots })
}

#[cfg(test)]
#[path = "shared_tests.rs"]
mod tests;
