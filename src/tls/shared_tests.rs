use std::sync::Arc;

use super::shared;
use crate::tls::ClientCertificate;
use crate::tls::testing::{Alg, Ca};

fn client_certificate(ca: &Ca, name: &str) -> ClientCertificate {
    let cert = ca.leaf(&[name], Alg::Ecdsa, false);
    ClientCertificate {
        chain: vec![cert.der.to_vec()],
        key: cert.key.serialize_der(),
    }
}

#[test]
fn the_same_policy_gets_the_same_configuration() {
    let ca = Ca::new("Shared CA one");
    let roots = vec![ca.cert.der.to_vec()];
    let first = shared(&roots, None).expect("built");
    let again = shared(&roots, None).expect("built");
    assert!(Arc::ptr_eq(&first, &again));
    let cert = client_certificate(&ca, "client.example");
    let with_cert = shared(&roots, Some(&cert)).expect("built");
    assert!(Arc::ptr_eq(
        &with_cert,
        &shared(&roots, Some(&cert.clone())).expect("built")
    ));
}

#[test]
fn a_different_policy_gets_its_own_configuration() {
    let (one, two) = (Ca::new("Shared CA two"), Ca::new("Shared CA three"));
    let base = shared(&[one.cert.der.to_vec()], None).expect("built");
    let other_root = shared(&[two.cert.der.to_vec()], None).expect("built");
    let both_roots = shared(&[one.cert.der.to_vec(), two.cert.der.to_vec()], None).expect("built");
    let cert = client_certificate(&one, "client.example");
    let with_cert = shared(&[one.cert.der.to_vec()], Some(&cert)).expect("built");
    let other_cert = client_certificate(&one, "other.example");
    let with_other_cert = shared(&[one.cert.der.to_vec()], Some(&other_cert)).expect("built");
    let all = [
        &base,
        &other_root,
        &both_roots,
        &with_cert,
        &with_other_cert,
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert!(!Arc::ptr_eq(a, b));
        }
    }
    // The extra roots are trusted beside the compiled-in set.
    assert_eq!(both_roots.roots.len(), base.roots.len() + 1);
    assert_eq!(base.roots.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
}

#[test]
fn an_unusable_client_key_is_an_error_and_not_kept() {
    let ca = Ca::new("Shared CA four");
    let mut cert = client_certificate(&ca, "client.example");
    cert.key = b"not a key".to_vec();
    assert!(shared(&[], Some(&cert)).is_err());
    assert!(shared(&[], Some(&cert)).is_err());
}
