//! DANE verification: EE and TA records, mismatches, a replayed certificate, x509 v1 leaves.

use super::*;
use crate::error::ErrorKind;
use crate::tls::testing::Alg;

#[test]
fn dane_ee_verifies_without_pkix() {
    let leaf = testing::self_signed(&["elsewhere.example"], Alg::Rsa, true);
    let record = ee_record(&leaf);
    let tls = TlsConfig {
        dane_records: Some(vec![record.clone()]),
        ..tls_config("mx.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS12, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    let state = pair.session.tls_state().unwrap();
    assert_eq!(state.dane_verified_record, Some(record));
    assert!(!state.pkix_valid);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.host), (1, 0));
    assert!(results.host.failure_details.is_empty());
}

#[test]
fn dane_mismatch_fails_unless_verify_errors_are_ignored() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for ignore in [false, true] {
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&other)]),
            ignore_verify_errors: ignore,
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        if ignore {
            pair.ehlo_after_tls();
        } else {
            let error = pair.open_error();
            assert_eq!(error.kind(), ErrorKind::Dane, "{error}");
        }
        let results = pair.session.tls_results();
        let expected = if ignore { (1, 0) } else { (0, 1) };
        assert_eq!(counts(&results.host), expected);
        assert_eq!(
            reasons(&results.host),
            [detail("validation-failure", Some("dane-no-match"))]
        );
        // PKIX is evaluated for the report even though it is not required.
        assert_eq!(
            reasons(&results.recipient_domain),
            [detail("certificate-not-trusted", None)]
        );
    }
}

/// RFC 7672 §3.1.1, §3.1.2: a DANE-EE or DANE-TA match authenticates the server, PKIX is not
/// needed as well even when asked for (as `openssl s_client -dane_tlsa_rrdata` and the
/// reference client do); PKIX is still evaluated for the TLS state and the report. RFC 7672
/// §3.1.3: PKIX-TA(0) and PKIX-EE(1) records are unusable in SMTP: one matching the server's
/// certificate neither authenticates it nor stands in for PKIX.
#[test]
fn only_dane_ee_and_dane_ta_records_replace_pkix() {
    let untrusted_ca = Ca::new("Private CA");
    let leaf = untrusted_ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let self_signed = testing::self_signed(&["elsewhere.example"], Alg::Rsa, true);
    let ta_record = Tlsa {
        usage: 2,
        selector: 1,
        matching_type: 1,
        data: Sha256::digest(untrusted_ca.cert.spki()).to_vec(),
    };
    let cases = [
        (
            "dane-ee",
            ee_record(&self_signed),
            vec![&self_signed],
            &self_signed,
        ),
        ("dane-ta", ta_record, vec![&leaf, &untrusted_ca.cert], &leaf),
    ];
    let unrelated = Ca::new("Unrelated CA");
    for (name, record, chain, key) in cases {
        let tls = TlsConfig {
            dane_records: Some(vec![record.clone()]),
            ..pkix_tls(&unrelated)
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &chain, key, None));
        assert_eq!(pair.server_error, None, "{name}");
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().expect("tls");
        assert_eq!(state.dane_verified_record, Some(record), "{name}");
        assert!(!state.pkix_valid, "{name}");
        let results = pair.session.tls_results();
        assert_eq!(counts(&results.host), (1, 0), "{name}");
        assert!(results.host.failure_details.is_empty(), "{name}");
        assert_eq!(
            reasons(&results.recipient_domain).len(),
            1,
            "{name}: the pkix failure is reported"
        );
    }
    for usage in [0, 1] {
        let cert = if usage == 0 {
            &untrusted_ca.cert
        } else {
            &leaf
        };
        let record = Tlsa {
            usage,
            ..ee_record(cert)
        };
        let tls = TlsConfig {
            dane_records: Some(vec![record]),
            ..pkix_tls(&unrelated)
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(
            TLS13,
            &[&leaf, &untrusted_ca.cert],
            &leaf,
            None,
        ));
        let error = pair.open_error();
        assert!(
            matches!(error.kind(), ErrorKind::Dane | ErrorKind::Tls),
            "usage {usage}: {error}"
        );
        assert!(!error.is_permanent());
    }
}

#[test]
fn replayed_certificate_without_its_key_fails() {
    // DANE-EE matches the certificate, but the server cannot sign with its key.
    for version in [TLS13, TLS12] {
        let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
        let thief = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&leaf)]),
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(version, &[&leaf], &thief, None));
        let error = pair.open_error();
        assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
        assert_eq!(counts(&pair.session.tls_results().host), (0, 1));
        assert!(pair.session.tls_state().is_none());
    }
}

#[test]
fn x509_v1_leaf_works_with_dane_ee() {
    for (version, alg) in [
        (TLS13, Alg::Ecdsa),
        (TLS12, Alg::Ecdsa),
        (TLS13, Alg::Rsa),
        (TLS12, Alg::Rsa),
    ] {
        let leaf = testing::v1_self_signed(alg);
        assert!(webpki::EndEntityCert::try_from(&leaf.der).is_err());
        let record = ee_record(&leaf);
        let tls = TlsConfig {
            dane_records: Some(vec![record.clone()]),
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(version, &[&leaf], &leaf, None));
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().unwrap();
        assert_eq!(state.dane_verified_record, Some(record));
        // Without its key it still fails.
        let thief = testing::self_signed(&["mx.example"], alg, false);
        if alg == Alg::Ecdsa {
            let tls = TlsConfig {
                dane_records: Some(vec![ee_record(&leaf)]),
                ..tls_config("mx.example")
            };
            let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
            pair.starttls(server_config(version, &[&leaf], &thief, None));
            assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
        }
    }
}
