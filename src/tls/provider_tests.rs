use super::*;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PublicKeyData, SigningKey as _};

/// rustls-rustcrypto's own verifier for the same ids: the reference ours must agree with.
fn original(
    ids: (AlgorithmIdentifier, AlgorithmIdentifier),
) -> &'static dyn SignatureVerificationAlgorithm {
    let base = rustls_rustcrypto::provider().signature_verification_algorithms;
    *base
        .all
        .iter()
        .find(|a| (a.public_key_alg_id(), a.signature_alg_id()) == ids)
        .expect("rustls-rustcrypto has it")
}

/// Both verifiers accept `signature`, and both refuse it for another message and when one
/// of its bytes is changed.
fn check_agreement(
    ours: &dyn SignatureVerificationAlgorithm,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) {
    let reference = original((ours.public_key_alg_id(), ours.signature_alg_id()));
    assert!(ours.verify_signature(key, message, signature).is_ok());
    assert!(reference.verify_signature(key, message, signature).is_ok());
    let other = [message, b"!"].concat();
    assert!(ours.verify_signature(key, &other, signature).is_err());
    assert!(reference.verify_signature(key, &other, signature).is_err());
    for at in [8, signature.len() / 2, signature.len() - 1] {
        let mut bad = signature.to_vec();
        bad[at] ^= 0x01;
        assert!(
            ours.verify_signature(key, message, &bad).is_err(),
            "byte {at}"
        );
        assert!(reference.verify_signature(key, message, &bad).is_err());
    }
}

#[test]
fn p256_sha256_agrees_with_rustcrypto_on_ring_signatures() {
    for i in 0..20u8 {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
        let message = vec![i; 50 + usize::from(i) * 7];
        let signature = key.sign(&message).expect("sign");
        check_agreement(&P256_SHA256, key.der_bytes(), &message, &signature);
    }
}

#[test]
fn p256_sha384_agrees_with_rustcrypto() {
    for i in 1..=10u8 {
        let key = SigningKey::from_slice(&[i; 32]).expect("a scalar below the order");
        let message = vec![i; 100];
        let digest = Sha384::digest(&message);
        let signature: Signature = key.sign_prehash(&digest).expect("sign");
        let public = key.verifying_key().to_sec1_point(false);
        check_agreement(
            &P256_SHA384,
            public.as_bytes(),
            &message,
            signature.to_der().as_bytes(),
        );
    }
}

#[test]
fn bad_keys_and_signatures_are_refused() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let signature = key.sign(b"message").expect("sign");
    let mut off_curve = key.der_bytes().to_vec();
    off_curve[40] ^= 0x01;
    for (public, signature) in [
        (&off_curve[..], &signature[..]),
        (&[][..], &signature[..]),
        (key.der_bytes(), &[][..]),
        (key.der_bytes(), &[0x30, 0x00][..]),
        (key.der_bytes(), &signature[..signature.len() - 1]),
    ] {
        assert!(
            P256_SHA256
                .verify_signature(public, b"message", signature)
                .is_err()
        );
    }
}

#[test]
fn only_the_p256_algorithms_are_replaced() {
    let base = rustls_rustcrypto::provider().signature_verification_algorithms;
    let ours = provider().signature_verification_algorithms;
    let ids = |list: &[&dyn SignatureVerificationAlgorithm]| -> Vec<_> {
        list.iter()
            .map(|a| (a.public_key_alg_id(), a.signature_alg_id()))
            .collect()
    };
    assert_eq!(ids(ours.all), ids(base.all));
    assert_eq!(ours.mapping.len(), base.mapping.len());
    for ((scheme, algorithms), (base_scheme, base_algorithms)) in
        ours.mapping.iter().zip(base.mapping)
    {
        assert_eq!(scheme, base_scheme);
        assert_eq!(ids(algorithms), ids(base_algorithms));
    }
    let replaced = ours
        .all
        .iter()
        .zip(base.all)
        .filter(|(ours, base)| !std::ptr::addr_eq(**ours, **base))
        .count();
    assert_eq!(replaced, 2);
}

#[test]
fn chacha20_poly1305_comes_first_only_when_asked() {
    let base = rustls_rustcrypto::provider().cipher_suites;
    assert_eq!(ordered(base.clone(), false), base);
    let chacha_first = ordered(base.clone(), true);
    let chachas = chacha_first.iter().take_while(|s| is_chacha(**s)).count();
    assert!(chachas >= 2, "TLS 1.3 and TLS 1.2 ChaCha20-Poly1305 suites");
    assert!(chacha_first[chachas..].iter().all(|s| !is_chacha(*s)));
    let others = |suites: &[SupportedCipherSuite]| -> Vec<_> {
        suites
            .iter()
            .filter(|s| !is_chacha(**s))
            .map(|s| s.suite())
            .collect()
    };
    assert_eq!(others(&chacha_first), others(&base));
    // The first TLS 1.3 suite, what a TLS 1.3 server following the client picks.
    let first13 = |suites: &[SupportedCipherSuite]| {
        suites
            .iter()
            .find(|s| s.version() == &rustls::version::TLS13)
            .map(|s| s.suite())
    };
    assert_eq!(
        first13(&chacha_first),
        Some(rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256)
    );
    assert_eq!(
        first13(&base),
        Some(rustls::CipherSuite::TLS13_AES_128_GCM_SHA256)
    );
}
