//! PKIX verification with a test root, in Go's order of checks.

use rustls::pki_types::ServerName;

use super::*;
use crate::tls::testing::{Alg, Ca, now, self_signed};

fn run(
    chain: &[&crate::tls::testing::Cert],
    name: &str,
    roots: &[&crate::tls::testing::Cert],
) -> Result<(), PkixError> {
    let chain: Vec<CertificateDer<'_>> = chain.iter().map(|c| c.der.clone()).collect();
    let roots: Vec<TrustAnchor<'_>> = roots
        .iter()
        .map(|c| webpki::anchor_from_trusted_cert(&c.der).unwrap())
        .collect();
    let name = ServerName::try_from(name).ok();
    let algorithms = rustls_rustcrypto::provider()
        .signature_verification_algorithms
        .all;
    verify(&chain, name.as_ref(), &roots, now(), algorithms)
}

#[test]
fn chain_to_a_test_root() {
    let ca = Ca::new("Test CA");
    for alg in [Alg::Ecdsa, Alg::Rsa] {
        let leaf = ca.leaf(&["mx.example", "*.wild.example"], alg, false);
        assert_eq!(run(&[&leaf, &ca.cert], "mx.example", &[&ca.cert]), Ok(()));
        assert_eq!(run(&[&leaf], "MX.example.", &[&ca.cert]), Ok(()));
        assert_eq!(run(&[&leaf], "a.wild.example", &[&ca.cert]), Ok(()));
    }
}

#[test]
fn failures_in_go_order() {
    let ca = Ca::new("Test CA");
    let other = Ca::new("Other CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let expired = ca.leaf(&["mx.example"], Alg::Ecdsa, true);
    assert_eq!(
        run(&[&leaf], "mx.example", &[&other.cert]),
        Err(PkixError::Webpki(webpki::Error::UnknownIssuer))
    );
    // The name is checked before the chain (Go's order; mox's test case C6).
    assert_eq!(
        run(&[&leaf], "mismatch.example", &[&other.cert]),
        Err(PkixError::NameMismatch("mismatch.example".into()))
    );
    // Expiry before the name.
    assert_eq!(
        run(&[&expired], "mismatch.example", &[&ca.cert]),
        Err(PkixError::Expired)
    );
    assert_eq!(
        run(&[&leaf], "a.b.mx.example", &[&ca.cert]),
        Err(PkixError::NameMismatch("a.b.mx.example".into()))
    );
    // Unlike Go: without a name nothing passes.
    assert_eq!(run(&[&leaf], "", &[&ca.cert]), Err(PkixError::NoName));
    assert_eq!(
        run(&[], "mx.example", &[&ca.cert]),
        Err(PkixError::NoCertificate)
    );
}

#[test]
fn self_signed_leaf_in_the_roots_verifies() {
    // mox's fake certificate is its own root (Go accepts a leaf in the roots).
    let leaf = self_signed(&["mox.example"], Alg::Ecdsa, false);
    assert_eq!(run(&[&leaf], "mox.example", &[&leaf]), Ok(()));
}

#[test]
fn self_signed_ca_leaf_in_the_roots_verifies() {
    // What `openssl req -x509` makes: a self-signed CA certificate serving as the leaf.
    let ca = Ca::with_names("mx.example", &["mx.example"]);
    assert_eq!(run(&[&ca.cert], "mx.example", &[&ca.cert]), Ok(()));
    assert_eq!(
        run(&[&ca.cert], "other.example", &[&ca.cert]),
        Err(PkixError::NameMismatch("other.example".into()))
    );
    let other = Ca::new("Other CA");
    assert!(run(&[&ca.cert], "mx.example", &[&other.cert]).is_err());
}
