//! STARTTLS not announced, refused, followed by injected bytes, and EHLO refused after it.

use super::*;
use crate::error::ErrorKind;
use crate::tls::testing::Alg;

#[test]
fn opportunistic_without_starttls_records_starttls_not_supported() {
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    assert_eq!(pair.events(), [Event::Ready]);
    assert_recorded(
        pair.session.tls_results(),
        (0, 0),
        "starttls-not-supported",
        None,
    );
}

#[test]
fn starttls_refused_records_the_reply_code() {
    // Not announced (required TLS sends it anyway): temporary, as a failed certificate.
    for (mode, announce, permanent) in [
        (TlsMode::RequiredStartTls, "250 mx.example", false),
        (TlsMode::RequiredStartTls, "250 STARTTLS", true),
        (TlsMode::Opportunistic, "250 STARTTLS", true),
    ] {
        let mut pair = Pair::new(mode, tls_config("mx.example"));
        pair.send(&["220 mx.example ESMTP"]);
        pair.expect("EHLO client.example");
        pair.send(&["250-mx.example", announce]);
        pair.expect("STARTTLS");
        pair.send(&["502 5.5.1 not implemented"]);
        let error = pair.open_error();
        assert_eq!(error.kind(), ErrorKind::Tls);
        assert_eq!(error.is_permanent(), permanent, "{mode:?} {announce}");
        assert_recorded(
            pair.session.tls_results(),
            (0, 1),
            "starttls-not-supported",
            Some("smtp-starttls-reply-code-502"),
        );
    }
}

#[test]
fn injected_bytes_after_220_are_reported() {
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls_config("mx.example"));
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    pair.expect("STARTTLS");
    pair.send(&["220 go ahead", "250 injected"]);
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
    assert!(pair.session.is_botched());
    assert!(pair.received.is_empty(), "no client hello after injection");
    assert_eq!(
        reasons(&pair.session.tls_results().host),
        [detail(
            "validation-failure",
            Some("tls-record-header-error")
        )]
    );
}

#[test]
fn ehlo_refused_after_starttls_is_not_retried_with_helo() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.expect("EHLO client.example");
    pair.send(&["502 no ehlo here"]);
    let error = pair.open_error();
    assert!(matches!(error, Error::EhloAfterTls { .. }));
    assert!(error.is_permanent());
    pair.pump();
    assert!(pair.received.is_empty(), "no HELO");
}
