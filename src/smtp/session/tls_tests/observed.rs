//! Observed events: ignored verification failures, commands around TLS, the drained queue.

use std::collections::VecDeque;

use super::*;
use crate::error::ErrorKind;
use crate::tls::testing::Alg;

#[test]
fn ignored_verification_failures_are_observed() {
    // DANE and PKIX both required and both failing: fatal, or two events when ignored
    // ("TLS-Required: No"); with PKIX not asked for (plain opportunistic), no event at all.
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let ignored = |session: &mut Session| -> Vec<String> {
        session
            .take_observed_events()
            .into_iter()
            .filter_map(|event| match event {
                crate::event::Event::VerificationIgnored { host, reason } => {
                    assert_eq!(host, "mx.example");
                    Some(reason)
                }
                _ => None,
            })
            .collect()
    };
    for ignore in [false, true] {
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&other)]),
            verify_pkix: true,
            ignore_verify_errors: ignore,
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        if ignore {
            pair.ehlo_after_tls();
            let reasons = ignored(&mut pair.session);
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert_eq!(reasons[0], "dane: no tlsa record matched");
            assert!(reasons[1].starts_with("pkix: "), "{reasons:?}");
        } else {
            assert_eq!(pair.open_error().kind(), ErrorKind::Dane);
            assert!(ignored(&mut pair.session).is_empty());
        }
    }
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert!(ignored(&mut pair.session).is_empty());
}

#[test]
fn commands_around_tls_are_observed_without_the_handshake() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    let commands: Vec<(CommandKind, Option<u16>)> = pair
        .session
        .take_observed_events()
        .into_iter()
        .map(|event| match event {
            crate::event::Event::Command { command, code, .. } => (command, code),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        commands,
        [
            (CommandKind::Greeting, Some(220)),
            (CommandKind::Ehlo, Some(250)),
            (CommandKind::StartTls, Some(220)),
            (CommandKind::Ehlo, Some(250)),
        ]
    );
}

#[test]
fn queue_of_events_is_drained() {
    // The pair leaves nothing behind in a successful open.
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert_eq!(VecDeque::from(pair.events()), VecDeque::new());
}
