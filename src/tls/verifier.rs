//! The certificate verifier of one connection: DANE (when records are given) and PKIX (always,
//! for reporting, as in mox) decided inside the handshake, never after it.
//!
//! Handshake signatures are always checked with the crypto provider's algorithms, against the
//! public key of the certificate that was verified, so a replayed certificate without its key
//! fails. A leaf that webpki cannot parse (an X.509 v1 certificate, accepted by DANE-EE) is
//! checked with the SubjectPublicKeyInfo taken from it.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    CertificateDer, ServerName, SubjectPublicKeyInfoDer, TrustAnchor, UnixTime,
};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};

use super::cert::CertInfo;
use super::dane::{self, DaneVerification};
use super::pkix::{self, PkixError};
use super::tlsa::{DANE_EE, DANE_TA, Tlsa};

/// What the verifier needs to know.
#[derive(Debug)]
pub(crate) struct VerifierConfig {
    /// The remote host name for PKIX (and the first DANE-TA name); `None` when empty.
    pub name: Option<ServerName<'static>>,
    /// RFC 7672 §3.2.2: every name a DANE-TA certificate may carry (remote host first).
    pub dane_names: Vec<ServerName<'static>>,
    pub dane_records: Option<Vec<Tlsa>>,
    pub verify_pkix: bool,
    pub ignore_errors: bool,
    /// The compiled-in Mozilla roots and the caller's.
    pub roots: Arc<[TrustAnchor<'static>]>,
    pub algorithms: WebPkiSupportedAlgorithms,
    /// The wall-clock time for certificate validity: the connection's, not the one rustls
    /// passes (its time provider belongs to a configuration shared by many connections).
    pub now: UnixTime,
}

/// What verification found; read by the session after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// DANE's outcome, when records were given.
    pub dane: Option<DaneVerification>,
    /// PKIX's outcome, evaluated even when not required.
    pub pkix: Result<(), PkixError>,
    /// The verifier failed the handshake (the failure is already described by `dane`/`pkix`).
    pub rejected: bool,
    /// Failures of required checks that did not fail the handshake (`ignore_errors`), as
    /// lowercase descriptions.
    pub ignored: Vec<String>,
}

impl Verification {
    /// DANE was required and did not verify.
    #[must_use]
    pub fn dane_failed(&self) -> bool {
        self.dane.as_ref().is_some_and(|d| d.verified.is_none())
    }

    /// A DANE-EE or DANE-TA record verified the server, which so needs no PKIX (RFC 7672
    /// §3.1). PKIX-TA and PKIX-EE records (unusable in SMTP, RFC 7672 §3.1.3) never do.
    #[must_use]
    pub fn dane_authenticated(&self) -> bool {
        self.dane
            .as_ref()
            .and_then(|d| d.verified.as_ref())
            .is_some_and(|record| matches!(record.usage, DANE_EE | DANE_TA))
    }
}

/// The verifier of one connection.
#[derive(Debug)]
pub(crate) struct SmtpVerifier {
    config: VerifierConfig,
    outcome: Mutex<Option<Verification>>,
}

impl SmtpVerifier {
    pub(crate) fn new(config: VerifierConfig) -> Arc<Self> {
        Arc::new(SmtpVerifier {
            config,
            outcome: Mutex::new(None),
        })
    }

    /// The verification of the handshake, once the server's certificate was seen.
    pub(crate) fn outcome(&self) -> Option<Verification> {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Checks `signature` over `message` with the public key of `cert`, trying `schemes`'
    /// algorithms in order; used for leaves webpki cannot parse.
    fn verify_with_spki(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        first_only: bool,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        let bad = || TlsError::InvalidCertificate(CertificateError::BadEncoding);
        let spki = CertInfo::parse(cert.as_ref())
            .and_then(|info| info.spki())
            .ok_or_else(bad)?;
        let spki = SubjectPublicKeyInfoDer::from(spki);
        let key = webpki::RawPublicKeyEntity::try_from(&spki).map_err(|_| bad())?;
        let algorithms = self
            .config
            .algorithms
            .mapping
            .iter()
            .filter(|(scheme, _)| *scheme == dss.scheme)
            .flat_map(|(_, algorithms)| algorithms.iter())
            .take(if first_only { 1 } else { usize::MAX });
        for algorithm in algorithms {
            if key
                .verify_signature(*algorithm, message, dss.signature())
                .is_ok()
            {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        Err(TlsError::InvalidCertificate(CertificateError::BadSignature))
    }
}

impl ServerCertVerifier for SmtpVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let config = &self.config;
        let now = config.now;
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity.clone())
            .chain(intermediates.iter().cloned())
            .collect();
        let dane = config.dane_records.as_ref().map(|records| {
            dane::verify(
                records,
                &chain,
                &config.dane_names,
                now,
                config.algorithms.all,
            )
        });
        let pkix = pkix::verify(
            &chain,
            config.name.as_ref(),
            &config.roots,
            now,
            config.algorithms.all,
        );
        let mut verification = Verification {
            dane,
            pkix,
            rejected: false,
            ignored: Vec::new(),
        };
        // DANE when records are given; PKIX when asked for, unless a DANE-EE or DANE-TA
        // record verified the server: RFC 7672 §3.1.1 and §3.1.2 authenticate the server by
        // the record alone, in place of PKIX (the reference client's verifier demands both
        // when it is given both). "TLS-Required: No" (RFC 8689 §5) and opportunistic TLS
        // (RFC 7435) record the failures and go on.
        let dane_authenticated = verification.dane_authenticated();
        let dane_required_failed = verification.dane_failed();
        let pkix_required_failed =
            verification.pkix.is_err() && config.verify_pkix && !dane_authenticated;
        if config.ignore_errors {
            verification.ignored =
                ignored_failures(&verification, dane_required_failed, pkix_required_failed);
        }
        let dane_failed = dane_required_failed && !config.ignore_errors;
        let pkix_failed = pkix_required_failed && !config.ignore_errors;
        verification.rejected = dane_failed || pkix_failed;
        let result = if dane_failed {
            Err(TlsError::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        } else if let (true, Err(error)) = (pkix_failed, &verification.pkix) {
            Err(TlsError::InvalidCertificate(certificate_error(error)))
        } else {
            Ok(ServerCertVerified::assertion())
        };
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(verification);
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        if webpki::EndEntityCert::try_from(cert).is_ok() {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.config.algorithms)
        } else {
            self.verify_with_spki(message, cert, dss, false)
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        if webpki::EndEntityCert::try_from(cert).is_ok() {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.config.algorithms)
        } else if tls13_scheme(dss.scheme) {
            // RFC 8446 §4.4.3: one algorithm per scheme in TLS 1.3.
            self.verify_with_spki(message, cert, dss, true)
        } else {
            Err(TlsError::PeerMisbehaved(
                rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
            ))
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.config.algorithms.supported_schemes()
    }
}

/// The failures of required checks, for a verifier that ignores them, as descriptions.
fn ignored_failures(verification: &Verification, dane: bool, pkix: bool) -> Vec<String> {
    let mut ignored = Vec::new();
    if dane {
        ignored.push("dane: no tlsa record matched".to_string());
    }
    match (pkix, &verification.pkix) {
        (true, Err(PkixError::Webpki(error))) => {
            ignored.push(format!("pkix: {}", words(&format!("{error:?}"))));
        }
        (true, Err(error)) => ignored.push(format!("pkix: {error}")),
        _ => {}
    }
    ignored
}

/// webpki's error name in lowercase words: "UnknownIssuer" is "unknown issuer".
fn words(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().take_while(char::is_ascii_alphanumeric) {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// RFC 8446 §4.2.3: the signature schemes usable in TLS 1.3 handshakes.
fn tls13_scheme(scheme: SignatureScheme) -> bool {
    use SignatureScheme as S;
    matches!(
        scheme,
        S::ECDSA_NISTP256_SHA256
            | S::ECDSA_NISTP384_SHA384
            | S::ECDSA_NISTP521_SHA512
            | S::ED25519
            | S::ED448
            | S::RSA_PSS_SHA256
            | S::RSA_PSS_SHA384
            | S::RSA_PSS_SHA512
    )
}

/// The rustls error (and so the alert sent) for a PKIX failure.
fn certificate_error(error: &PkixError) -> CertificateError {
    match error {
        PkixError::Expired => CertificateError::Expired,
        PkixError::NoName | PkixError::NameMismatch(_) => CertificateError::NotValidForName,
        // A self-signed CA certificate as the server's (openssl req -x509) is untrusted too:
        // unknown_ca, as OpenSSL says for a self-signed certificate it does not trust.
        PkixError::Webpki(webpki::Error::UnknownIssuer | webpki::Error::CaUsedAsEndEntity) => {
            CertificateError::UnknownIssuer
        }
        PkixError::Webpki(webpki::Error::CertExpired { .. }) => CertificateError::Expired,
        PkixError::Webpki(webpki::Error::CertNotValidYet { .. }) => CertificateError::NotValidYet,
        PkixError::NoCertificate | PkixError::Webpki(_) => CertificateError::BadEncoding,
    }
}
