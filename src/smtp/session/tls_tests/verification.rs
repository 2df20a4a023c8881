//! PKIX verification, required and opportunistic, and a bad extra root.

use super::*;
use crate::error::ErrorKind;
use crate::tls::testing::Alg;

#[test]
fn pkix_name_mismatch_fails_the_handshake_and_is_reported() {
    // The reference client's test case C6 (mox's TestClient).
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mox.example"], Alg::Ecdsa, false);
    let mut tls = pkix_tls(&ca);
    tls.remote_hostname = "mismatch.example".into();
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    let error = pair.open_error();
    assert_eq!(error.kind(), ErrorKind::Tls);
    assert!(!error.is_permanent());
    assert_eq!(error.command(), Some(CommandKind::StartTls));
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.recipient_domain), (0, 1));
    assert_eq!(counts(&results.host), (0, 1));
    // The verifier's rejection is reported by its PKIX details only, as in mox.
    assert_eq!(
        reasons(&results.recipient_domain),
        [detail("certificate-host-mismatch", None)]
    );
    assert!(results.host.failure_details.is_empty());
    let details = &results.recipient_domain.failure_details[0];
    assert_eq!(details.sending_mta_ip, "192.0.2.1");
    assert_eq!(details.receiving_ip, "192.0.2.2");
    assert_eq!(details.receiving_mx_hostname, "mismatch.example");
    assert_eq!(details.receiving_mx_helo.as_deref(), Some("mx.example"));
}

#[test]
fn opportunistic_accepts_an_expired_untrusted_certificate_and_records_it() {
    // The reference client's test cases C22, C23: RFC 7435 §4, any certificate will do.
    let leaf = testing::self_signed(&["mox.example"], Alg::Ecdsa, true);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mox.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert!(!pair.session.tls_state().unwrap().pkix_valid);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.recipient_domain), (1, 0));
    assert_eq!(
        reasons(&results.recipient_domain),
        [detail("certificate-expired", None)]
    );
    assert!(results.host.failure_details.is_empty());
}

/// RFC 7435 §1: opportunistic TLS is unauthenticated encryption (Postfix "may"): whatever
/// the certificate and whatever verification was asked for, the session goes on over TLS;
/// the failures are recorded (the TLS state, TLS-RPT failure details), never fatal.
#[test]
fn opportunistic_never_fails_on_verification_even_when_pkix_or_dane_is_asked_for() {
    let trusted = Ca::new("Test CA");
    let self_signed = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    // What `openssl req -x509` makes: a self-signed CA certificate as the server's.
    let ca_as_server = Ca::with_names("mx.example", &["mx.example"]).cert;
    let wrong_name = trusted.leaf(&["other.example"], Alg::Ecdsa, false);
    let expired = trusted.leaf(&["mx.example"], Alg::Rsa, true);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let cases = [
        (
            "self-signed",
            &self_signed,
            "certificate-not-trusted",
            false,
        ),
        (
            "a ca certificate as the server's",
            &ca_as_server,
            "certificate-not-trusted",
            false,
        ),
        (
            "wrong name",
            &wrong_name,
            "certificate-host-mismatch",
            false,
        ),
        ("expired", &expired, "certificate-expired", false),
        (
            "dane mismatch",
            &self_signed,
            "certificate-not-trusted",
            true,
        ),
    ];
    for (name, cert, result_type, dane) in cases {
        for version in [TLS13, TLS12] {
            let tls = TlsConfig {
                dane_records: dane.then(|| vec![ee_record(&other)]),
                ..pkix_tls(&trusted)
            };
            let mut pair = Pair::new(TlsMode::Opportunistic, tls);
            pair.starttls(server_config(version, &[cert], cert, None));
            assert_eq!(pair.server_error, None, "{name}");
            pair.ehlo_after_tls();
            let state = pair.session.tls_state().expect("tls");
            assert!(!state.pkix_valid, "{name}");
            assert_eq!(state.dane_verified_record, None, "{name}");
            let results = pair.session.tls_results();
            assert_eq!(counts(&results.recipient_domain), (1, 0), "{name}");
            assert_eq!(
                reasons(&results.recipient_domain),
                [detail(result_type, None)],
                "{name}"
            );
            let host = if dane {
                vec![detail("validation-failure", Some("dane-no-match"))]
            } else {
                Vec::new()
            };
            assert_eq!(reasons(&results.host), host, "{name}");
            pair.session.quit(pair.now);
            pair.expect("QUIT");
        }
    }
    // Required STARTTLS with PKIX still refuses the same certificate.
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&trusted));
    pair.starttls(server_config(TLS13, &[&self_signed], &self_signed, None));
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
}

#[test]
fn bad_extra_root_fails_before_connecting() {
    let tls = TlsConfig {
        extra_roots: vec![b"not a certificate".to_vec()],
        ..tls_config("mx.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
}
