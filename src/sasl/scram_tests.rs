use super::*;

fn client(hash: ScramHash, nonce: &str, flag: CbindFlag) -> Scram {
    Scram::with_printable_nonce(hash, &Credentials::password("user", "pencil"), nonce, flag)
        .unwrap()
}

fn respond(step: Result<Step, SaslError>) -> String {
    match step {
        Ok(Step::Respond(bytes)) => String::from_utf8(bytes).unwrap(),
        other => panic!("expected a response, got {other:?}"),
    }
}

const SHA1_SERVER_FIRST: &str =
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";
const SHA256_SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

#[test]
fn rfc5802_sha1_vector() {
    // RFC 5802 §5: user "user", password "pencil".
    let mut scram = client(ScramHash::Sha1, "fyko+d2lbbFgONRv9qkxdawL", CbindFlag::N);
    assert_eq!(scram.name(), "SCRAM-SHA-1");
    assert!(!scram.cleartext());
    assert_eq!(
        respond(scram.step(None)),
        "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
    );
    assert_eq!(
        respond(scram.step(Some(SHA1_SERVER_FIRST.as_bytes()))),
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
    );
    assert_eq!(
        scram.step(Some(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
        Ok(Step::Last(Vec::new()))
    );
    assert_eq!(
        scram.step(Some(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
        Err(SaslError::UnexpectedChallenge("SCRAM-SHA-1"))
    );
}

#[test]
fn rfc7677_sha256_vector() {
    // RFC 7677 §3: user "user", password "pencil".
    let mut scram = client(ScramHash::Sha256, "rOprNGfwEbeRWgbNEkqO", CbindFlag::N);
    assert_eq!(scram.name(), "SCRAM-SHA-256");
    assert_eq!(
        respond(scram.step(None)),
        "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    );
    assert_eq!(
        respond(scram.step(Some(SHA256_SERVER_FIRST.as_bytes()))),
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
         p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    );
    // Trailing extensions after the verifier are ignored.
    assert_eq!(
        scram.step(Some(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=y")),
        Ok(Step::Last(Vec::new()))
    );
}

#[test]
fn wrong_server_signature() {
    let mut scram = client(ScramHash::Sha256, "rOprNGfwEbeRWgbNEkqO", CbindFlag::N);
    scram.step(None).unwrap();
    scram.step(Some(SHA256_SERVER_FIRST.as_bytes())).unwrap();
    assert_eq!(
        scram.step(Some(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
        Err(SaslError::BadServerSignature)
    );
    // Once failed, the exchange stays over.
    assert!(scram.step(Some(b"v=")).is_err());
}

#[test]
fn server_final_errors() {
    let cases: [(&[u8], SaslError); 4] = [
        (
            b"e=invalid-proof",
            SaslError::ServerError("invalid-proof".into()),
        ),
        (
            b"e=other-error\r\n\x1b[31m,x=1",
            SaslError::ServerError("other-error[31m".into()),
        ),
        (
            b"x=abc",
            SaslError::BadChallenge("server-final has neither v= nor e="),
        ),
        (
            b"v=!!!",
            SaslError::BadChallenge("server signature is not base64"),
        ),
    ];
    for (server_final, want) in cases {
        let mut scram = client(ScramHash::Sha1, "fyko+d2lbbFgONRv9qkxdawL", CbindFlag::N);
        scram.step(None).unwrap();
        scram.step(Some(SHA1_SERVER_FIRST.as_bytes())).unwrap();
        assert_eq!(scram.step(Some(server_final)), Err(want));
    }
}

#[test]
fn server_first_checks() {
    let n = "fyko+d2lbbFgONRv9qkxdawL";
    let cases: Vec<(String, SaslError)> = vec![
        (
            format!("m=ext,r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            SaslError::ExtensionsNotSupported,
        ),
        (
            "r=other3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096".into(),
            SaslError::NonceMismatch,
        ),
        (
            format!("r={n}short,s=QSXCR+Q6sek8bf92,i=4096"),
            SaslError::BadChallenge("server nonce too short"),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCRw==,i=4096"),
            SaslError::BadChallenge("salt too short"),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf9,i=4096"),
            SaslError::BadChallenge("salt is not base64"),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=1000"),
            SaslError::UnsafeIterations {
                count: 1000,
                min: 2048,
                max: 1_000_000,
            },
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=99999999999999999999999"),
            SaslError::UnsafeIterations {
                count: u64::MAX,
                min: 2048,
                max: 1_000_000,
            },
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=04096"),
            SaslError::BadChallenge("iteration count is not a number"),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92"),
            SaslError::BadChallenge("server-first lacks i="),
        ),
        (
            format!("s=QSXCR+Q6sek8bf92,r={n}3rfcNHYJY1ZVvWVs7j,i=4096"),
            SaslError::BadChallenge("server-first lacks r="),
        ),
        (
            format!("R={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            SaslError::BadChallenge("server-first lacks r="),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,i=4096"),
            SaslError::BadChallenge("server-first lacks s="),
        ),
        (
            format!("r={n}3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,garbage"),
            SaslError::BadChallenge("malformed server-first extension"),
        ),
        (
            format!("r={n}\x7f3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
            SaslError::BadChallenge("server nonce is not printable"),
        ),
    ];
    for (server_first, want) in cases {
        let mut scram = client(ScramHash::Sha1, n, CbindFlag::N);
        scram.step(None).unwrap();
        assert_eq!(
            scram.step(Some(server_first.as_bytes())),
            Err(want),
            "{server_first}"
        );
        assert!(scram.step(Some(b"v=x")).is_err(), "no second chance");
    }
    // Unknown extensions are ignored.
    let mut scram = client(ScramHash::Sha1, n, CbindFlag::N);
    scram.step(None).unwrap();
    let with_ext = format!("{SHA1_SERVER_FIRST},x=1,y=2");
    assert!(scram.step(Some(with_ext.as_bytes())).is_ok());
    // Not UTF-8.
    let mut scram = client(ScramHash::Sha1, n, CbindFlag::N);
    scram.step(None).unwrap();
    assert_eq!(
        scram.step(Some(b"r=\xff")),
        Err(SaslError::BadChallenge("server-first is not utf-8"))
    );
    // A challenge before client-first.
    let mut scram = client(ScramHash::Sha1, n, CbindFlag::N);
    assert!(scram.step(Some(b"r=")).is_err());
}

#[test]
fn channel_binding_flags() {
    let data = vec![7u8; 32];
    let mut plus = client(
        ScramHash::Sha256,
        "rOprNGfwEbeRWgbNEkqO",
        CbindFlag::P(ChannelBinding::TlsExporter(data.clone())),
    );
    assert_eq!(plus.name(), "SCRAM-SHA-256-PLUS");
    assert_eq!(
        respond(plus.step(None)),
        "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    );
    let client_final = respond(plus.step(Some(SHA256_SERVER_FIRST.as_bytes())));
    // RFC 5802 §7: c= carries the gs2 header followed by the channel binding data.
    let mut binding = b"p=tls-exporter,,".to_vec();
    binding.extend_from_slice(&data);
    assert!(client_final.starts_with(&format!("c={},r=", STANDARD.encode(&binding))));
    assert!(!client_final.ends_with("p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));

    let mut y = client(ScramHash::Sha1, "fyko+d2lbbFgONRv9qkxdawL", CbindFlag::Y);
    assert_eq!(y.name(), "SCRAM-SHA-1");
    assert_eq!(
        respond(y.step(None)),
        "y,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
    );
    // "eSws" is base64 of "y,,".
    assert!(respond(y.step(Some(SHA1_SERVER_FIRST.as_bytes()))).starts_with("c=eSws,r="));

    let sha1_plus = client(
        ScramHash::Sha1,
        "abc",
        CbindFlag::P(ChannelBinding::TlsExporter(data)),
    );
    assert_eq!(sha1_plus.name(), "SCRAM-SHA-1-PLUS");
}

#[test]
fn nonce_and_names() {
    let creds = Credentials::password("user", "pencil");
    for bad in ["", "a,b", "a b", "é"] {
        assert_eq!(
            Scram::with_printable_nonce(ScramHash::Sha1, &creds, bad, CbindFlag::N).unwrap_err(),
            SaslError::InvalidNonce,
            "{bad:?}"
        );
    }
    assert_eq!(
        Scram::new(ScramHash::Sha1, &creds, b"", CbindFlag::N).unwrap_err(),
        SaslError::InvalidNonce
    );
    // Random bytes are sent base64 encoded.
    let mut scram = Scram::new(ScramHash::Sha256, &creds, &[0xff; 12], CbindFlag::N).unwrap();
    assert_eq!(respond(scram.step(None)), "n,,n=user,r=////////////////");
    assert!(matches!(
        Scram::new(
            ScramHash::Sha1,
            &Credentials::token("u", "t"),
            b"n",
            CbindFlag::N
        ),
        Err(SaslError::CredentialMismatch {
            mechanism: MechanismName::ScramSha1,
            ..
        })
    ));
    // RFC 5802 §5.1: "," and "=" in user names are escaped.
    let odd = Credentials::password("a=b,c", "p");
    let mut scram = Scram::with_printable_nonce(ScramHash::Sha1, &odd, "n", CbindFlag::N).unwrap();
    assert_eq!(respond(scram.step(None)), "n,,n=a=3Db=2Cc,r=n");
}

#[test]
fn saslprep() {
    // RFC 4013 §3 examples: soft hyphen mapped to nothing, non-ASCII space to space,
    // "\u{0007}" prohibited (used unchanged here), unassigned code points kept.
    assert_eq!(prepare("I\u{00AD}X"), "IX");
    assert_eq!(prepare("user\u{00A0}name"), "user name");
    assert_eq!(prepare("\u{2168}"), "IX");
    assert_eq!(prepare("\u{0007}"), "\u{0007}");
    assert_eq!(prepare("pencil"), "pencil");
}
