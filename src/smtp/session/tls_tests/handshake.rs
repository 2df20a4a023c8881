//! The handshake: versions, keys, implicit TLS, timeouts, alerts, client certs, channel binding.

use std::time::Duration;

use rustls::AlertDescription;
use rustls::pki_types::CertificateDer;

use super::*;
use crate::error::ErrorKind;
use crate::tls::ClientCertificate;
use crate::tls::testing::Alg;

#[test]
fn starttls_with_pkix_for_each_version_and_key_type() {
    let ca = Ca::new("Test CA");
    for (version, alg, name, cipher) in [
        (TLS13, Alg::Ecdsa, "TLSv1.3", "TLS13_AES_128_GCM_SHA256"),
        (TLS13, Alg::Rsa, "TLSv1.3", "TLS13_AES_128_GCM_SHA256"),
        (
            TLS12,
            Alg::Ecdsa,
            "TLSv1.2",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            TLS12,
            Alg::Rsa,
            "TLSv1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
    ] {
        let leaf = ca.leaf(&["mx.example"], alg, false);
        let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
        pair.starttls(server_config(version, &[&leaf, &ca.cert], &leaf, None));
        assert!(pair.server_error.is_none(), "{:?}", pair.server_error);
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().expect("tls state");
        assert_eq!(state.version, name);
        assert_eq!(state.cipher_suite, cipher, "{name} {alg:?}");
        assert!(state.pkix_valid);
        assert_eq!(state.dane_verified_record, None);
        assert_eq!(state.peer_certificates.len(), 2);
        assert_eq!(state.peer_certificates[0], leaf.der.to_vec());
        // RFC 3207 §4.2: the extensions are those of the EHLO over TLS only.
        let extensions = pair.session.extensions().unwrap();
        assert!(!extensions.starttls && !extensions.pipelining);
        assert_eq!(extensions.size, Some(1000));
        let results = pair.session.tls_results();
        assert_eq!(counts(&results.recipient_domain), (1, 0));
        assert_eq!(counts(&results.host), (1, 0));
        assert!(results.recipient_domain.failure_details.is_empty());
        // Transactions and QUIT run over TLS.
        pair.session.quit(pair.now);
        pair.expect("QUIT");
        pair.send(&["221 bye"]);
        assert_eq!(pair.events(), [Event::Closed]);
    }
}

#[test]
fn handshake_fed_one_byte_at_a_time() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
    pair.bytewise = true;
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
}

#[test]
fn implicit_tls_handshake_before_the_greeting() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Immediate, pkix_tls(&ca));
    assert_eq!(
        pair.session.poll_timeout(),
        Some(pair.now + Duration::from_secs(60))
    );
    pair.start_tls(server_config(TLS13, &[&leaf], &leaf, None));
    assert!(pair.session.tls_state().is_some());
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    assert_eq!(pair.events(), [Event::Ready]);
    assert_eq!(counts(&pair.session.tls_results().host), (1, 0));
}

#[test]
fn channel_binding_only_on_tls13() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for version in [TLS13, TLS12] {
        let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
        assert_eq!(pair.session.channel_binding(), None);
        pair.starttls(server_config(version, &[&leaf], &leaf, None));
        pair.ehlo_after_tls();
        let binding = pair.session.channel_binding();
        if version == TLS13 {
            let mut server = [0u8; 32];
            pair.server
                .as_ref()
                .unwrap()
                .export_keying_material(&mut server, b"EXPORTER-Channel-Binding", Some(&[]))
                .unwrap();
            assert_eq!(binding.as_deref(), Some(&server[..]));
        } else {
            assert_eq!(binding, None);
        }
    }
}

#[test]
fn handshake_timeout_and_eof_are_reported() {
    for eof in [false, true] {
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls_config("mx.example"));
        pair.send(&["220 mx.example ESMTP"]);
        pair.expect("EHLO client.example");
        pair.send(&["250 mx.example"]);
        pair.expect("STARTTLS");
        pair.send(&["220 go ahead"]);
        // The server never answers the ClientHello.
        let deadline = pair.session.poll_timeout().unwrap();
        assert_eq!(deadline, pair.now + Duration::from_secs(60));
        if eof {
            pair.session.handle_eof(pair.now);
        } else {
            pair.session.handle_timeout(deadline);
        }
        let error = pair.open_error();
        assert_eq!(error.command(), Some(CommandKind::StartTls));
        let reason = if eof {
            assert_eq!(error.kind(), ErrorKind::Io);
            "connection-closed-during-handshake"
        } else {
            assert_eq!(error.kind(), ErrorKind::Timeout);
            "io-timeout-during-handshake"
        };
        assert_eq!(
            reasons(&pair.session.tls_results().recipient_domain),
            [detail("validation-failure", Some(reason))]
        );
    }
}

#[test]
fn peer_speaking_plaintext_is_a_record_header_error() {
    let mut pair = Pair::new(TlsMode::Immediate, tls_config("mx.example"));
    pair.pump();
    pair.received.clear();
    pair.feed_session(b"220 mx.example ESMTP\r\n");
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.host), (0, 1));
    assert_eq!(
        reasons(&results.host),
        [detail(
            "validation-failure",
            Some("tls-record-header-error")
        )]
    );
}

#[test]
fn client_certificate_is_presented() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let client = ca.leaf(&["client.example"], Alg::Ecdsa, false);
    let tls = TlsConfig {
        client_certificate: Some(ClientCertificate {
            chain: vec![client.der.to_vec()],
            key: client.key.serialize_der(),
        }),
        ..pkix_tls(&ca)
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, Some(&ca.cert)));
    pair.ehlo_after_tls();
    let presented = pair.server.as_ref().unwrap().peer_certificates().unwrap();
    assert_eq!(presented, [CertificateDer::from(client.der.to_vec())]);
}

#[test]
fn alert_on_the_first_read_after_the_handshake_turns_success_into_failure() {
    // TLS 1.3: the server checks the client certificate after the client's Finished.
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, Some(&ca.cert)));
    let error = pair.open_error();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
    assert_recorded(
        pair.session.tls_results(),
        (0, 1),
        "validation-failure",
        Some("tls-remote-alert-116-certificate-required"),
    );
}

#[test]
fn rejected_server_receives_the_fatal_alert() {
    // RFC 8446 §6.2: the client sends the alert rustls makes of the verifier's error, then
    // gives the connection up.
    let ca = Ca::new("Test CA");
    let other_ca = Ca::new("Other CA");
    let good = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let wrong_name = ca.leaf(&["other.example"], Alg::Rsa, false);
    let expired = ca.leaf(&["mx.example"], Alg::Ecdsa, true);
    let thief = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    // What `openssl req -x509` makes: a self-signed CA certificate as the server's.
    let self_signed_ca = Ca::with_names("mx.example", &["mx.example"]);
    let dane = |record: Tlsa| TlsConfig {
        dane_records: Some(vec![record]),
        ..tls_config("mx.example")
    };
    let cases = [
        (
            "unknown issuer",
            pkix_tls(&other_ca),
            &good,
            &good,
            AlertDescription::UnknownCA,
        ),
        (
            "self-signed ca",
            pkix_tls(&ca),
            &self_signed_ca.cert,
            &self_signed_ca.cert,
            AlertDescription::UnknownCA,
        ),
        (
            "wrong name",
            pkix_tls(&ca),
            &wrong_name,
            &wrong_name,
            AlertDescription::BadCertificate,
        ),
        (
            "expired",
            pkix_tls(&ca),
            &expired,
            &expired,
            AlertDescription::CertificateExpired,
        ),
        (
            "dane mismatch",
            dane(ee_record(&thief)),
            &good,
            &good,
            AlertDescription::AccessDenied,
        ),
        (
            "replayed certificate",
            dane(ee_record(&good)),
            &good,
            &thief,
            AlertDescription::DecryptError,
        ),
    ];
    for (name, tls, chain, key, alert) in cases {
        for version in [TLS13, TLS12] {
            let mut pair = Pair::new(TlsMode::RequiredStartTls, tls.clone());
            pair.starttls(server_config(version, &[chain], key, None));
            let error = pair.open_error();
            assert!(
                matches!(error.kind(), ErrorKind::Tls | ErrorKind::Dane),
                "{name}: {error}"
            );
            assert!(pair.session.is_closed(), "{name}");
            assert_eq!(
                pair.server_error,
                Some(rustls::Error::AlertReceived(alert)),
                "{name}, {:?}",
                version.version
            );
        }
    }
}
