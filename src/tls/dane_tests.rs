//! DANE verification over certificates generated at test time.

use rustls::pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256, Sha512};

use super::*;
use crate::tls::testing::{Alg, Ca, Cert, now, self_signed};

fn algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    rustls_rustcrypto::provider()
        .signature_verification_algorithms
        .all
}

fn record(usage: u8, selector: u8, matching_type: u8, cert: &Cert) -> Tlsa {
    let selected = if selector == SELECTOR_CERT {
        cert.der.to_vec()
    } else {
        cert.spki()
    };
    let data = match matching_type {
        MATCH_SHA256 => Sha256::digest(&selected).to_vec(),
        MATCH_SHA512 => Sha512::digest(&selected).to_vec(),
        _ => selected,
    };
    Tlsa {
        usage,
        selector,
        matching_type,
        data,
    }
}

fn names(names: &[&'static str]) -> Vec<ServerName<'static>> {
    names
        .iter()
        .map(|n| ServerName::try_from(*n).unwrap())
        .collect()
}

fn run(records: &[Tlsa], chain: &[&Cert], allowed: &[&'static str]) -> DaneVerification {
    let chain: Vec<CertificateDer<'_>> = chain.iter().map(|c| c.der.clone()).collect();
    verify(records, &chain, &names(allowed), now(), algorithms())
}

const ALL: [(u8, u8); 6] = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)];

#[test]
fn dane_ee_every_selector_and_matching_type() {
    let ca = Ca::new("Test CA");
    for alg in [Alg::Ecdsa, Alg::Rsa] {
        let leaf = ca.leaf(&["mx.example"], alg, false);
        // Another key (the RSA key is fixed, so the other one is ECDSA).
        let other = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
        for (selector, matching) in ALL {
            let good = record(DANE_EE, selector, matching, &leaf);
            let result = run(
                std::slice::from_ref(&good),
                &[&leaf, &ca.cert],
                &["mx.example"],
            );
            assert_eq!(result.verified, Some(good), "{selector} {matching}");
            assert!(result.errors.is_empty());
            let bad = record(DANE_EE, selector, matching, &other);
            let result = run(&[bad], &[&leaf, &ca.cert], &["mx.example"]);
            assert_eq!(result.verified, None, "{selector} {matching}");
            assert!(result.errors.is_empty(), "{:?}", result.errors);
        }
    }
}

#[test]
fn dane_ee_ignores_names_expiry_and_chain() {
    // RFC 7672 §3.1.1: names and validity are ignored for DANE-EE.
    let expired = self_signed(&["elsewhere.example"], Alg::Ecdsa, true);
    let good = record(DANE_EE, 1, 1, &expired);
    let result = run(std::slice::from_ref(&good), &[&expired], &["mx.example"]);
    assert_eq!(result.verified, Some(good));
}

#[test]
fn dane_ta_every_selector_and_matching_type() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let other_ca = Ca::new("Other CA");
    for (selector, matching) in ALL {
        let good = record(DANE_TA, selector, matching, &ca.cert);
        let result = run(
            std::slice::from_ref(&good),
            &[&leaf, &ca.cert],
            &["mx.example"],
        );
        assert_eq!(result.verified, Some(good), "{selector} {matching}");
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        let bad = record(DANE_TA, selector, matching, &other_ca.cert);
        let result = run(&[bad], &[&leaf, &ca.cert], &["mx.example"]);
        assert_eq!(result.verified, None, "{selector} {matching}");
    }
}

#[test]
fn dane_ta_anchor_from_the_record_when_the_server_omits_it() {
    // RFC 7671 §5.2.3: a full certificate or full SPKI in the record anchors the chain.
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    for (selector, matching) in [(0, 0), (1, 0)] {
        let good = record(DANE_TA, selector, matching, &ca.cert);
        let result = run(std::slice::from_ref(&good), &[&leaf], &["mx.example"]);
        assert_eq!(result.verified, Some(good), "{selector} {matching}");
    }
    // A digest cannot stand in for the missing anchor.
    let digest = record(DANE_TA, 0, 1, &ca.cert);
    assert_eq!(run(&[digest], &[&leaf], &["mx.example"]).verified, None);
}

#[test]
fn dane_ta_checks_expiry_and_names() {
    let ca = Ca::new("Test CA");
    let ta = record(DANE_TA, 1, 1, &ca.cert);
    let expired = ca.leaf(&["mx.example"], Alg::Ecdsa, true);
    let result = run(
        std::slice::from_ref(&ta),
        &[&expired, &ca.cert],
        &["mx.example"],
    );
    assert_eq!(result.verified, None);
    assert!(matches!(
        result.errors[..],
        [DaneError::Chain {
            error: webpki::Error::CertExpired { .. },
            ..
        }]
    ));

    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let result = run(
        std::slice::from_ref(&ta),
        &[&leaf, &ca.cert],
        &["other.example"],
    );
    assert_eq!(result.verified, None);
    assert!(matches!(result.errors[..], [DaneError::Name { .. }]));
    // RFC 7672 §3.2.2: any of the allowed names will do.
    let result = run(
        std::slice::from_ref(&ta),
        &[&leaf, &ca.cert],
        &["other.example", "mx.example"],
    );
    assert_eq!(result.verified, Some(ta));
}

#[test]
fn dane_ta_self_signed_leaf_is_its_own_anchor() {
    let leaf = self_signed(&["mx.example"], Alg::Ecdsa, false);
    let ta = record(DANE_TA, 0, 1, &leaf);
    assert_eq!(
        run(std::slice::from_ref(&ta), &[&leaf], &["mx.example"]).verified,
        Some(ta)
    );
}

#[test]
fn unusable_records_are_skipped() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut records = Vec::new();
    // RFC 7672 §3.1.3: PKIX-TA and PKIX-EE are unusable in SMTP; 4 is unassigned.
    for usage in [0, 1, 4] {
        records.push(record(usage, 1, 1, &leaf));
    }
    let mut bad_selector = record(DANE_EE, 1, 1, &leaf);
    bad_selector.selector = 2;
    let mut bad_matching = record(DANE_EE, 1, 1, &leaf);
    bad_matching.matching_type = 3;
    records.extend([bad_selector, bad_matching]);
    let result = run(&records, &[&leaf, &ca.cert], &["mx.example"]);
    assert_eq!(result.verified, None);
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    // A usable record after them still verifies: records are tried in order.
    let good = record(DANE_EE, 1, 2, &leaf);
    records.push(good.clone());
    let result = run(&records, &[&leaf, &ca.cert], &["mx.example"]);
    assert_eq!(result.verified, Some(good));
}

#[test]
fn wrong_hash_lengths_are_errors() {
    let leaf = self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut short = record(DANE_EE, 1, 1, &leaf);
    short.data.pop();
    let mut long = record(DANE_EE, 1, 2, &leaf);
    long.data.push(0);
    let result = run(&[short, long], &[&leaf], &["mx.example"]);
    assert_eq!(result.verified, None);
    assert!(matches!(
        result.errors[..],
        [
            DaneError::HashLength {
                expected: 32,
                got: 31,
                ..
            },
            DaneError::HashLength {
                expected: 64,
                got: 65,
                ..
            }
        ]
    ));
    assert_eq!(
        crate::tlsrpt::Failure::dane(&result).reason.as_deref(),
        Some("dane-no-match+errors")
    );
}

#[test]
fn no_records_or_no_certificate() {
    let leaf = self_signed(&["mx.example"], Alg::Ecdsa, false);
    let result = run(&[], &[&leaf], &["mx.example"]);
    assert_eq!(result.errors, [DaneError::NoRecords]);
    let result = verify(
        &[record(DANE_EE, 1, 1, &leaf)],
        &[],
        &names(&["mx.example"]),
        now(),
        algorithms(),
    );
    assert_eq!(result.errors, [DaneError::NoCertificate]);
}
