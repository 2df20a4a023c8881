//! The crypto provider: rustls-rustcrypto, with ECDSA signatures over P-256 verified by the
//! `p256` crate's 0.14 generation.
//!
//! rustls-rustcrypto verifies P-256 with `p256` 0.13, whose 32-bit field arithmetic widens
//! to 64-bit limbs with 128-bit products; wasm32 has no 128-bit multiply, so every limb
//! product became a call to compiler-rt's `__multi3`, and a P-256 verification cost the
//! component several times the native one (BENCHMARKS.md, TLS handshake). 0.14 multiplies
//! 32-bit limbs. Every other algorithm is rustls-rustcrypto's own.
//!
//! Cipher suites: in WebAssembly, ChaCha20-Poly1305 first. wasm has no AES or carry-less
//! multiply instructions and the RustCrypto crates no wasm SIMD code, so AES-GCM runs in
//! constant-time software at about 50–60 MiB/s per core in the component, ChaCha20-Poly1305 at
//! about 190–290 (BENCHMARKS.md, TLS bulk data). Natively AES-GCM is faster and stays first.
//! The client's order decides where the server honours it (RFC 8446 §4.1.1 leaves the choice
//! to the server; rustls and OpenSSL servers follow the client unless told to prefer their own).

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use rustls::SupportedCipherSuite;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::alg_id;
use rustls::pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use sha2::{Digest, Sha256, Sha384};
use std::sync::LazyLock;

/// rustls-rustcrypto's provider with [`ALGORITHMS`], ChaCha20-Poly1305 first in WebAssembly.
pub(crate) fn provider() -> CryptoProvider {
    let base = rustls_rustcrypto::provider();
    CryptoProvider {
        cipher_suites: ordered(base.cipher_suites, cfg!(target_arch = "wasm32")),
        signature_verification_algorithms: *ALGORITHMS,
        ..base
    }
}

/// `suites` in their order, or with the ChaCha20-Poly1305 ones first (TLS 1.3 and 1.2 alike,
/// each version keeping its other suites' order).
fn ordered(mut suites: Vec<SupportedCipherSuite>, chacha_first: bool) -> Vec<SupportedCipherSuite> {
    if chacha_first {
        suites.sort_by_key(|suite| !is_chacha(*suite));
    }
    suites
}

fn is_chacha(suite: SupportedCipherSuite) -> bool {
    use rustls::CipherSuite as S;
    matches!(
        suite.suite(),
        S::TLS13_CHACHA20_POLY1305_SHA256
            | S::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            | S::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    )
}

/// rustls-rustcrypto's algorithms, in its order and with its mapping from TLS signature
/// schemes, the two P-256 ones replaced. Built once; the slices live as long as the process.
static ALGORITHMS: LazyLock<WebPkiSupportedAlgorithms> = LazyLock::new(|| {
    let base = rustls_rustcrypto::provider().signature_verification_algorithms;
    let replaced = |algorithms: &[&'static dyn SignatureVerificationAlgorithm]| {
        let list: Vec<_> = algorithms.iter().map(|&a| replacement(a)).collect();
        &*Box::leak(list.into_boxed_slice())
    };
    let mapping: Vec<_> = base
        .mapping
        .iter()
        .map(|&(scheme, algorithms)| (scheme, replaced(algorithms)))
        .collect();
    WebPkiSupportedAlgorithms {
        all: replaced(base.all),
        mapping: Box::leak(mapping.into_boxed_slice()),
    }
});

fn replacement(
    algorithm: &'static dyn SignatureVerificationAlgorithm,
) -> &'static dyn SignatureVerificationAlgorithm {
    let ids = (algorithm.public_key_alg_id(), algorithm.signature_alg_id());
    if ids == (alg_id::ECDSA_P256, alg_id::ECDSA_SHA256) {
        &P256_SHA256
    } else if ids == (alg_id::ECDSA_P256, alg_id::ECDSA_SHA384) {
        &P256_SHA384
    } else {
        algorithm
    }
}

/// ECDSA over P-256 with SHA-256 (RFC 5758 §3.2, RFC 8446 §4.2.3 ecdsa_secp256r1_sha256).
static P256_SHA256: EcdsaP256 = EcdsaP256 {
    signature_alg_id: alg_id::ECDSA_SHA256,
    digest: |message| Sha256::digest(message).to_vec(),
};

/// ECDSA over P-256 with SHA-384 (RFC 5758 §3.2): a certificate signed so by a P-256 key.
static P256_SHA384: EcdsaP256 = EcdsaP256 {
    signature_alg_id: alg_id::ECDSA_SHA384,
    digest: |message| Sha384::digest(message).to_vec(),
};

/// ECDSA verification with a P-256 public key (SEC 1 point) and a DER signature (RFC 5480
/// §2.2, RFC 3279 §2.2.3); the digest is truncated to the curve's order as FIPS 186-5 §6.4.2
/// says (inside `verify_prehash`).
#[derive(Debug)]
struct EcdsaP256 {
    signature_alg_id: AlgorithmIdentifier,
    digest: fn(&[u8]) -> Vec<u8>,
}

impl SignatureVerificationAlgorithm for EcdsaP256 {
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }

    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let key = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| InvalidSignature)?;
        let signature = Signature::from_der(signature).map_err(|_| InvalidSignature)?;
        key.verify_prehash(&(self.digest)(message), &signature)
            .map_err(|_| InvalidSignature)
    }
}

#[cfg(test)]
#[path = "provider_tests.rs"]
mod tests;
