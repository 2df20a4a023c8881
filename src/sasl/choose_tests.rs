use crate::sasl::Step;

use super::*;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

const ALL_PASSWORD: &[&str] = &[
    "LOGIN",
    "PLAIN",
    "CRAM-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS",
];

/// Chooses with `offered` and `preference`; `flags` are TLS active, channel binding
/// available, cleartext allowed without TLS.
fn pick(
    offered: &[&str],
    preference: &[&str],
    credentials: CredentialKind,
    flags: [bool; 3],
) -> Result<MechanismName, SaslError> {
    let [tls, cb, cleartext] = flags;
    choose(
        &names(offered),
        &names(preference),
        credentials,
        tls,
        cb,
        cleartext,
    )
}

#[test]
fn strongest_offered_wins() {
    use CredentialKind::{External as Ext, Password as Pw, Token as Tok};
    use MechanismName as M;
    let tls_cb = [true, true, false];
    let tls = [true, false, false];
    let plaintext = [false, false, false];
    let cases = [
        (pick(ALL_PASSWORD, &[], Pw, tls_cb), M::ScramSha256Plus),
        (pick(ALL_PASSWORD, &[], Pw, tls), M::ScramSha256),
        // Channel binding data without TLS is ignored.
        (
            pick(ALL_PASSWORD, &[], Pw, [false, true, false]),
            M::ScramSha256,
        ),
        (
            pick(&["scram-sha-1-plus", "scram-sha-1"], &[], Pw, tls_cb),
            M::ScramSha1Plus,
        ),
        (
            pick(&["SCRAM-SHA-1", "CRAM-MD5", "PLAIN"], &[], Pw, tls),
            M::ScramSha1,
        ),
        (pick(&["PLAIN", "CRAM-MD5"], &[], Pw, plaintext), M::CramMd5),
        (pick(&["LOGIN", "PLAIN"], &[], Pw, tls), M::Plain),
        (pick(&["LOGIN"], &[], Pw, [false, false, true]), M::Login),
        (
            pick(&["PLAIN", "XOAUTH2", "OAUTHBEARER"], &[], Tok, tls),
            M::OAuthBearer,
        ),
        (pick(&["PLAIN", "XOAUTH2"], &[], Tok, tls), M::XOAuth2),
        (
            pick(&["PLAIN", "EXTERNAL"], &[], Ext, plaintext),
            M::External,
        ),
        // A preference orders and filters.
        (
            pick(ALL_PASSWORD, &["plain", "scram-sha-1"], Pw, tls_cb),
            M::Plain,
        ),
        (
            pick(&["PLAIN", "EXTERNAL"], &["EXTERNAL"], Pw, tls),
            M::External,
        ),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got, Ok(want), "case {i}");
    }
}

#[test]
fn refusals() {
    use CredentialKind::{Password as Pw, Token as Tok};
    assert_eq!(
        choose(&names(&["PLAIN", "LOGIN"]), &[], Pw, false, false, false),
        Err(SaslError::CleartextWithoutTls(MechanismName::Plain))
    );
    assert_eq!(
        choose(&names(&["XOAUTH2"]), &[], Tok, false, false, false),
        Err(SaslError::CleartextWithoutTls(MechanismName::XOAuth2))
    );
    // EXTERNAL is never chosen unless asked for.
    let err = choose(&names(&["EXTERNAL"]), &[], Pw, true, false, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no mechanism in common: server offers EXTERNAL, we allow SCRAM-SHA-256, \
         SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN"
    );
    assert!(err.is_permanent());
    // Token mechanisms need a token.
    let err = choose(
        &names(&["XOAUTH2"]),
        &names(&["XOAUTH2"]),
        Pw,
        true,
        false,
        false,
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        "no mechanism in common: server offers XOAUTH2, we allow none"
    );
    // A server without AUTH.
    assert_eq!(
        choose(&[], &[], Tok, true, false, false)
            .unwrap_err()
            .to_string(),
        "no mechanism in common: server offers none, we allow OAUTHBEARER, XOAUTH2"
    );
    // -PLUS without channel binding is not allowed, even when preferred.
    assert!(matches!(
        choose(
            &names(&["SCRAM-SHA-256-PLUS"]),
            &names(&["SCRAM-SHA-256-PLUS"]),
            Pw,
            true,
            false,
            false
        ),
        Err(SaslError::NoMechanism { .. })
    ));
    assert_eq!(
        choose(
            &names(&["PLAIN"]),
            &names(&["DIGEST-MD5"]),
            Pw,
            true,
            false,
            false
        ),
        Err(SaslError::UnknownMechanism("DIGEST-MD5".into()))
    );
}

#[test]
fn names_round_trip() {
    for name in MechanismName::ALL {
        assert_eq!(name.as_str().parse::<MechanismName>(), Ok(name));
        assert_eq!(
            name.as_str().to_lowercase().parse::<MechanismName>(),
            Ok(name)
        );
        assert_eq!(name.to_string(), name.as_str());
    }
    assert!("GSSAPI".parse::<MechanismName>().is_err());
    assert!(MechanismName::Plain.is_cleartext() && !MechanismName::CramMd5.is_cleartext());
    assert!(MechanismName::ScramSha1Plus.is_channel_bound());
    assert!(offers_plus(&names(&["PLAIN", "scram-sha-256-plus"])));
    assert!(!offers_plus(&names(&["PLAIN", "SCRAM-SHA-256"])));
}

#[test]
fn build_every_mechanism() {
    let password = Credentials::password("user", "pencil");
    let token = Credentials::token("user", "tok");
    let cb = ChannelBinding::TlsExporter(vec![1; ChannelBinding::TLS_EXPORTER_LENGTH]);
    let inputs = MechanismInputs {
        client_nonce: vec![1, 2, 3],
        channel_binding: Some(cb.clone()),
        server_offers_plus: true,
        host: Some("smtp.example".into()),
        port: Some(587),
    };
    assert_eq!(cb.data().len(), 32);
    assert_eq!(
        ChannelBinding::TLS_EXPORTER_LABEL,
        b"EXPORTER-Channel-Binding"
    );
    for name in MechanismName::ALL {
        let creds = if name.accepts(CredentialKind::Password) {
            &password
        } else {
            &token
        };
        let mut mechanism = name.build(creds, &inputs).unwrap();
        assert_eq!(mechanism.name(), name.as_str());
        assert_eq!(mechanism.cleartext(), name.is_cleartext());
        assert!(mechanism.step(None).is_ok());
    }
    // The gs2 flag follows channel binding support and the server's offer.
    let first = |inputs: &MechanismInputs| match MechanismName::ScramSha256
        .build(&password, inputs)
        .unwrap()
        .step(None)
    {
        Ok(Step::Respond(bytes)) => bytes[..3].to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(first(&inputs), b"n,,");
    let no_plus = MechanismInputs {
        server_offers_plus: false,
        ..inputs.clone()
    };
    assert_eq!(first(&no_plus), b"y,,");
    assert_eq!(
        first(&MechanismInputs {
            client_nonce: vec![1],
            ..Default::default()
        }),
        b"n,,"
    );
    assert!(matches!(
        MechanismName::ScramSha1Plus.build(&password, &MechanismInputs::default()),
        Err(SaslError::ChannelBindingUnavailable)
    ));
    assert!(matches!(
        MechanismName::ScramSha1.build(&password, &MechanismInputs::default()),
        Err(SaslError::InvalidNonce)
    ));
    assert!(MechanismName::Plain.build(&token, &inputs).is_err());
    assert!(
        MechanismName::OAuthBearer
            .build(&password, &inputs)
            .is_err()
    );
}
