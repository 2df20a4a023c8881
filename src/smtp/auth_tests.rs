use super::*;
use crate::error::ErrorKind;
use crate::sasl::{
    ChannelBinding, CramMd5, Credentials, External, Login, MechanismInputs, MechanismName,
    OAuthBearer, Plain, Scram, ScramHash, XOAuth2,
};
use crate::smtp::ReplyParser;
use crate::smtp::command::CommandKind;

fn reply(text: &str) -> Reply {
    let mut parser = ReplyParser::new();
    parser.push(text.as_bytes());
    parser.push(b"\r\n");
    parser.next_reply(false).expect("complete").expect("valid")
}

fn b64(s: &[u8]) -> String {
    STANDARD.encode(s)
}

/// The outcome of a scripted exchange.
#[derive(Debug)]
struct Run {
    /// Every client line, without CRLF.
    sent: Vec<String>,
    /// Every client line as a transcript shows it.
    shown: Vec<String>,
    result: Result<(), Error>,
    botched: bool,
}

/// Runs an exchange against scripted server replies (each may be multi-line, lines joined
/// with CRLF). Panics if the exchange wants more replies than scripted.
fn run(mechanism: Box<dyn Mechanism>, server: &[&str]) -> Run {
    let (mut exchange, first) = AuthExchange::start(mechanism).expect("start");
    let mut sent = vec![line(&first)];
    let mut shown = vec![first.shown];
    for (i, text) in server.iter().enumerate() {
        match exchange.handle_reply(&reply(text)) {
            AuthStep::Send(out) => {
                sent.push(line(&out));
                shown.push(out.shown);
            }
            AuthStep::Done | AuthStep::Failed(_) if i + 1 != server.len() => {
                panic!("finished before reply {i}: {sent:?}")
            }
            AuthStep::Done => return finish(exchange, sent, shown, Ok(())),
            AuthStep::Failed(error) => return finish(exchange, sent, shown, Err(error)),
        }
    }
    panic!("exchange wants more replies: {sent:?}");
}

fn finish(
    exchange: AuthExchange,
    sent: Vec<String>,
    shown: Vec<String>,
    result: Result<(), Error>,
) -> Run {
    Run {
        sent,
        shown,
        result,
        botched: exchange.is_botched(),
    }
}

fn line(out: &AuthLine) -> String {
    let text = String::from_utf8(out.bytes.clone()).expect("ascii");
    text.strip_suffix("\r\n").expect("crlf").to_string()
}

fn sasl_error(run: &Run) -> &SaslError {
    match &run.result {
        Err(Error::Auth { error, .. }) => error,
        other => panic!("expected an auth error, got {other:?}"),
    }
}

fn password() -> Credentials {
    Credentials::password("test", "test")
}

#[test]
fn plain_success_and_redaction() {
    let run = run(
        Box::new(Plain::new(&password()).unwrap()),
        &["235 2.7.0 Authentication successful"],
    );
    assert_eq!(run.sent, ["AUTH PLAIN AHRlc3QAdGVzdA=="]);
    assert_eq!(run.shown, ["AUTH PLAIN <redacted>"]);
    assert_eq!(run.result, Ok(()));
}

#[test]
fn plain_bad_credentials_is_permanent() {
    // No ENHANCEDSTATUSCODES parsing in the reply parser: the exchange parses it itself.
    let run = run(
        Box::new(Plain::new(&password()).unwrap()),
        &["535 5.7.8 Authentication credentials invalid"],
    );
    let error = run.result.clone().unwrap_err();
    assert_eq!(sasl_error(&run), &SaslError::Rejected);
    assert!(error.is_permanent());
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(error.command(), Some(CommandKind::Auth));
    let reply = error.reply().expect("reply");
    assert_eq!(reply.code, ReplyCode(535));
    assert_eq!(reply.enhanced.map(|e| e.to_string()), Some("5.7.8".into()));
    assert_eq!(
        error.to_string(),
        "authentication failed: server rejected authentication: \
         535 5.7.8 Authentication credentials invalid"
    );
    assert!(!run.botched);
}

#[test]
fn temporary_failure_is_transient() {
    let run = run(
        Box::new(Plain::new(&password()).unwrap()),
        &["454 4.7.0 Temporary authentication failure"],
    );
    let error = run.result.unwrap_err();
    assert!(!error.is_permanent());
    assert_eq!(error.kind(), ErrorKind::Auth);
    assert_eq!(
        error
            .reply()
            .and_then(|r| r.enhanced)
            .map(|e| e.to_string()),
        Some("4.7.0".into())
    );
}

#[test]
fn login_answers_prompts() {
    let run = run(
        Box::new(Login::new(&Credentials::password("user", "pass")).unwrap()),
        &["334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 ok"],
    );
    assert_eq!(run.sent, ["AUTH LOGIN", "dXNlcg==", "cGFzcw=="]);
    assert_eq!(run.shown, ["AUTH LOGIN", "<redacted>", "<redacted>"]);
    assert_eq!(run.result, Ok(()));
}

#[test]
fn login_early_success_fails() {
    let run = run(
        Box::new(Login::new(&password()).unwrap()),
        &["334 VXNlcm5hbWU6", "235 2.7.0 ok"],
    );
    assert_eq!(sasl_error(&run), &SaslError::EarlySuccess);
    assert!(!run.result.unwrap_err().is_permanent());
}

#[test]
fn cram_md5_spec_example() {
    let run = run(
        Box::new(CramMd5::new(&password()).unwrap()),
        &["334 PDEyMy4xMjM0QGhvc3Q+", "235 2.7.0 ok"],
    );
    assert_eq!(
        run.sent,
        [
            "AUTH CRAM-MD5",
            "dGVzdCA2YmRlNjk4YzcwYWU0ZWQ3OWMyYWY1NmU3OWJhYjA4Nw=="
        ]
    );
    assert_eq!(run.result, Ok(()));
}

#[test]
fn cram_md5_bad_challenge_cancels() {
    let run = run(
        Box::new(CramMd5::new(&password()).unwrap()),
        &[
            &format!("334 {}", b64(b"no-brackets")),
            "501 5.7.0 authentication cancelled",
        ],
    );
    assert_eq!(run.sent.last().map(String::as_str), Some("*"));
    assert!(matches!(sasl_error(&run), SaslError::BadChallenge(_)));
    assert!(!run.botched);
    let error = run.result.unwrap_err();
    assert!(
        !error.is_permanent(),
        "a client-side failure is not permanent"
    );
    assert_eq!(error.reply().map(|r| r.code), Some(ReplyCode(501)));
}

fn scram256() -> Box<dyn Mechanism> {
    Box::new(
        Scram::with_printable_nonce(
            ScramHash::Sha256,
            &Credentials::password("user", "pencil"),
            "rOprNGfwEbeRWgbNEkqO",
            crate::sasl::CbindFlag::N,
        )
        .unwrap(),
    )
}

const SERVER_FIRST_256: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

#[test]
fn scram_sha256_rfc7677() {
    let run = run(
        scram256(),
        &[
            &format!("334 {}", b64(SERVER_FIRST_256)),
            &format!(
                "334 {}",
                b64(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            ),
            "235 2.7.0 Authentication successful",
        ],
    );
    assert_eq!(
        run.sent,
        [
            format!(
                "AUTH SCRAM-SHA-256 {}",
                b64(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
            ),
            b64(
                b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                  p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
            ),
            String::new(),
        ]
    );
    assert_eq!(
        run.shown,
        ["AUTH SCRAM-SHA-256 <redacted>", "<redacted>", ""]
    );
    assert_eq!(run.result, Ok(()));
}

#[test]
fn scram_sha1_rfc5802() {
    let mechanism = Scram::with_printable_nonce(
        ScramHash::Sha1,
        &Credentials::password("user", "pencil"),
        "fyko+d2lbbFgONRv9qkxdawL",
        crate::sasl::CbindFlag::N,
    )
    .unwrap();
    let run = run(
        Box::new(mechanism),
        &[
            &format!(
                "334 {}",
                b64(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
            ),
            &format!("334 {}", b64(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
            "235 2.7.0 ok",
        ],
    );
    assert_eq!(run.result, Ok(()));
    assert_eq!(
        run.sent[0],
        "AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM"
    );
}

#[test]
fn scram_wrong_server_signature() {
    let run = run(
        scram256(),
        &[
            &format!("334 {}", b64(SERVER_FIRST_256)),
            &format!("334 {}", b64(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")),
            "501 5.5.2 cancelled",
        ],
    );
    assert_eq!(run.sent.last().map(String::as_str), Some("*"));
    assert_eq!(sasl_error(&run), &SaslError::BadServerSignature);
    assert_eq!(
        run.result.unwrap_err().to_string(),
        "authentication failed: incorrect server signature: 501 5.5.2 cancelled"
    );
}

#[test]
fn scram_success_without_server_final_fails() {
    // A 235 instead of the server-final 334 would skip the server's proof.
    let run = run(
        scram256(),
        &[&format!("334 {}", b64(SERVER_FIRST_256)), "235 2.7.0 ok"],
    );
    assert_eq!(sasl_error(&run), &SaslError::EarlySuccess);
}

#[test]
fn scram_server_error() {
    let run = run(
        scram256(),
        &[
            &format!("334 {}", b64(SERVER_FIRST_256)),
            &format!("334 {}", b64(b"e=invalid-proof")),
            "501 5.7.0 cancelled",
        ],
    );
    assert_eq!(
        sasl_error(&run),
        &SaslError::ServerError("invalid-proof".into())
    );
}

/// Makes a fresh mechanism for each run of a case.
type MechanismFactory = Box<dyn Fn() -> Box<dyn Mechanism>>;

/// Every mechanism, each way it can reach the server's verdict: straight away, after its
/// challenges, or after an error challenge (SCRAM "e=", the OAuth JSON) and the client's
/// answer to it ("*" or the dummy response). The verdict's class is the reply's (RFC 5321
/// §4.2.1): 5yz permanent, 4yz transient.
#[test]
fn the_verdict_is_permanent_for_5xx_and_temporary_for_4xx_in_every_mechanism() {
    let scram_plus = || -> Box<dyn Mechanism> {
        Box::new(
            Scram::with_printable_nonce(
                ScramHash::Sha256,
                &Credentials::password("user", "pencil"),
                "rOprNGfwEbeRWgbNEkqO",
                crate::sasl::CbindFlag::P(ChannelBinding::TlsExporter(vec![7; 32])),
            )
            .unwrap(),
        )
    };
    let token = Credentials::token("user@example.com", "tok");
    let server_first = format!("334 {}", b64(SERVER_FIRST_256));
    let oauth_error = format!("334 {}", b64(br#"{"status":"invalid_token"}"#));
    let cases: Vec<(&str, MechanismFactory, Vec<String>)> = vec![
        (
            "plain",
            Box::new(|| Box::new(Plain::new(&password()).unwrap())),
            vec![],
        ),
        (
            "login",
            Box::new(|| Box::new(Login::new(&password()).unwrap())),
            vec!["334 VXNlcm5hbWU6".into(), "334 UGFzc3dvcmQ6".into()],
        ),
        (
            "cram-md5",
            Box::new(|| Box::new(CramMd5::new(&password()).unwrap())),
            vec!["334 PDEyMy4xMjM0QGhvc3Q+".into()],
        ),
        (
            "scram refused at the proof",
            Box::new(scram256),
            vec![server_first.clone()],
        ),
        (
            "scram e=invalid-proof",
            Box::new(scram256),
            vec![
                server_first.clone(),
                format!("334 {}", b64(b"e=invalid-proof")),
            ],
        ),
        (
            "scram-plus e=channel-bindings-dont-match",
            Box::new(scram_plus),
            vec![
                server_first.clone(),
                format!("334 {}", b64(b"e=channel-bindings-dont-match")),
            ],
        ),
        (
            "xoauth2 error payload",
            Box::new(|| Box::new(XOAuth2::new(&Credentials::token("u", "tok")).unwrap())),
            vec![oauth_error.clone()],
        ),
        (
            "oauthbearer error payload",
            Box::new(move || Box::new(OAuthBearer::new(&token, None, None).unwrap())),
            vec![oauth_error.clone()],
        ),
        (
            "external",
            Box::new(|| Box::new(External::new(&Credentials::external("")))),
            vec![],
        ),
    ];
    for (name, mechanism, challenges) in &cases {
        for (verdict, permanent) in [
            ("535 5.7.8 authentication credentials invalid", true),
            ("534 5.7.9 mechanism too weak", true),
            ("501 5.7.0 authentication cancelled", true),
            ("454 4.7.0 temporary authentication failure", false),
            ("421 4.3.2 shutting down", false),
        ] {
            let mut server: Vec<&str> = challenges.iter().map(String::as_str).collect();
            server.push(verdict);
            let error = run(mechanism(), &server).result.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Auth, "{name}: {verdict}");
            assert_eq!(
                error.is_permanent(),
                permanent,
                "{name}: {verdict}: {error}"
            );
            assert_eq!(
                error.reply().map(|r| r.code.0),
                verdict[..3].parse().ok(),
                "{name}"
            );
        }
    }
}

#[test]
fn scram_plus_built_from_choice() {
    let offered = ["SCRAM-SHA-256-PLUS".to_string(), "PLAIN".to_string()];
    let name = crate::sasl::choose(
        &offered,
        &[],
        crate::sasl::CredentialKind::Password,
        true,
        true,
        false,
    )
    .unwrap();
    assert_eq!(name, MechanismName::ScramSha256Plus);
    let inputs = MechanismInputs {
        client_nonce: vec![9; 18],
        channel_binding: Some(ChannelBinding::TlsExporter(vec![0; 32])),
        server_offers_plus: crate::sasl::offers_plus(&offered),
        ..MechanismInputs::default()
    };
    let mechanism = name
        .build(&Credentials::password("user", "pencil"), &inputs)
        .unwrap();
    let (exchange, first) = AuthExchange::start(mechanism).unwrap();
    assert_eq!(exchange.mechanism(), "SCRAM-SHA-256-PLUS");
    assert!(!exchange.is_cleartext());
    assert!(first.secret);
    let sent = line(&first);
    let b64_first = sent.strip_prefix("AUTH SCRAM-SHA-256-PLUS ").unwrap();
    let client_first = STANDARD.decode(b64_first).unwrap();
    assert!(client_first.starts_with(b"p=tls-exporter,,n=user,r="));
}

#[test]
fn xoauth2_failure_with_json_challenge() {
    let creds = Credentials::token("user@example.com", "tok");
    let run = run(
        Box::new(XOAuth2::new(&creds).unwrap()),
        &[
            "334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=",
            "535 5.7.8 Username and Password not accepted",
        ],
    );
    assert_eq!(
        run.sent,
        [
            format!(
                "AUTH XOAUTH2 {}",
                b64(b"user=user@example.com\x01auth=Bearer tok\x01\x01")
            ),
            String::new(),
        ]
    );
    assert_eq!(sasl_error(&run), &SaslError::Rejected);
    assert!(run.result.unwrap_err().is_permanent());
}

#[test]
fn oauthbearer_success_and_failure() {
    let creds = Credentials::token("", "tok");
    let ok = run(
        Box::new(OAuthBearer::new(&creds, None, None).unwrap()),
        &["235 2.7.0 ok"],
    );
    assert_eq!(ok.result, Ok(()));
    assert_eq!(ok.shown, ["AUTH OAUTHBEARER <redacted>"]);
    let failed = run(
        Box::new(OAuthBearer::new(&creds, None, None).unwrap()),
        &[
            &format!("334 {}", b64(br#"{"status":"invalid_token"}"#)),
            "535 5.7.8 invalid token",
        ],
    );
    // RFC 7628 §3.2.3: the error challenge is answered with %x01.
    assert_eq!(failed.sent[1], "AQ==");
    assert_eq!(sasl_error(&failed), &SaslError::Rejected);
}

#[test]
fn external_empty_authzid() {
    let run = run(
        Box::new(External::new(&Credentials::external(""))),
        &["235 2.7.0 ok"],
    );
    assert_eq!(run.sent, ["AUTH EXTERNAL ="]);
    assert_eq!(run.shown, ["AUTH EXTERNAL ="]);
    assert_eq!(run.result, Ok(()));
}

#[test]
fn malformed_base64_cancels() {
    for challenge in [
        "334 not base64!",
        "334 PDEyMy4xMjM0QGhvc3Q",
        "334 PDEy MyA=",
    ] {
        let run = run(
            Box::new(CramMd5::new(&password()).unwrap()),
            &[challenge, "501 cancelled"],
        );
        assert_eq!(run.sent, ["AUTH CRAM-MD5", "*"], "{challenge}");
        assert_eq!(sasl_error(&run), &SaslError::MalformedBase64);
        assert!(!run.botched);
    }
}

#[test]
fn multiline_continuation_cancels() {
    let run = run(
        Box::new(CramMd5::new(&password()).unwrap()),
        &[
            "334-PDEyMy4xMjM0QGhvc3Q+\r\n334 PDEyMy4xMjM0QGhvc3Q+",
            "501 cancelled",
        ],
    );
    assert_eq!(sasl_error(&run), &SaslError::MultilineChallenge);
}

#[test]
fn continuation_after_last_message_cancels() {
    // mox left this 334 unanswered; we cancel with "*".
    let run = run(
        Box::new(Plain::new(&password()).unwrap()),
        &["334 ", "501 5.7.0 cancelled"],
    );
    assert_eq!(run.sent, ["AUTH PLAIN AHRlc3QAdGVzdA==", "*"]);
    assert_eq!(sasl_error(&run), &SaslError::UnexpectedChallenge("PLAIN"));
}

/// A mechanism that answers every challenge: only a round-trip cap stops it.
struct Chatty;

impl Mechanism for Chatty {
    fn name(&self) -> &'static str {
        "X-CHATTY"
    }

    fn cleartext(&self) -> bool {
        false
    }

    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, SaslError> {
        Ok(match challenge {
            None => Step::NoInitialResponse,
            Some(b"empty") => Step::NoInitialResponse,
            Some(_) => Step::Respond(b"more".to_vec()),
        })
    }
}

#[test]
fn endless_continuations_fail() {
    let mut server = vec!["334 "; MAX_ROUND_TRIPS as usize + 1];
    server.push("535 5.7.0 what");
    let run = run(Box::new(Chatty), &server);
    assert_eq!(run.sent.len(), 1 + MAX_ROUND_TRIPS as usize + 1);
    assert_eq!(run.sent.last().map(String::as_str), Some("*"));
    assert_eq!(
        sasl_error(&run),
        &SaslError::TooManyRoundTrips {
            max: MAX_ROUND_TRIPS
        }
    );
    // The server did not answer "*" with 501: the connection is out of sync.
    assert!(run.botched);
}

#[test]
fn no_initial_response_to_a_challenge_is_an_empty_line() {
    let run = run(
        Box::new(Chatty),
        &[&format!("334 {}", b64(b"empty")), "535 no"],
    );
    assert_eq!(run.sent, ["AUTH X-CHATTY", ""]);
    assert_eq!(run.shown, ["AUTH X-CHATTY", ""]);
}

#[test]
fn unexpected_replies() {
    let run = run(Box::new(Plain::new(&password()).unwrap()), &["250 ok"]);
    assert_eq!(sasl_error(&run), &SaslError::UnexpectedReply);
    // After the end, more replies are a driver bug.
    let (mut exchange, _) =
        AuthExchange::start(Box::new(Plain::new(&password()).unwrap())).unwrap();
    assert_eq!(exchange.handle_reply(&reply("235 ok")), AuthStep::Done);
    assert!(matches!(
        exchange.handle_reply(&reply("235 ok")),
        AuthStep::Failed(Error::Internal(_))
    ));
    assert!(format!("{exchange:?}").contains("PLAIN"));
}

#[test]
fn start_failure_sends_nothing() {
    /// A mechanism that fails before its first message.
    struct Broken;
    impl Mechanism for Broken {
        fn name(&self) -> &'static str {
            "X-BROKEN"
        }
        fn cleartext(&self) -> bool {
            false
        }
        fn step(&mut self, _: Option<&[u8]>) -> Result<Step, SaslError> {
            Err(SaslError::ChannelBindingUnavailable)
        }
    }
    let error = AuthExchange::start(Box::new(Broken)).unwrap_err();
    assert_eq!(
        error,
        Error::Auth {
            error: SaslError::ChannelBindingUnavailable,
            reply: None
        }
    );
    assert!(error.is_permanent());
    assert_eq!(error.reply(), None);
    assert_eq!(
        Error::from(SaslError::NoMechanism {
            offered: vec![],
            allowed: vec!["PLAIN".into()]
        })
        .to_string(),
        "authentication failed: no mechanism in common: server offers none, we allow PLAIN"
    );
}

#[test]
fn initial_response_too_long_for_the_auth_line_follows_an_empty_334() {
    // RFC 4954 §4: the AUTH line, CRLF included, is at most 12288 octets. "\0test\0" and a
    // 9198-byte password are 9204 bytes, 12272 in base64: a line of 12285 octets.
    let fits = Credentials::password("test", "p".repeat(9198));
    let run_fits = run(
        Box::new(Plain::new(&fits).unwrap()),
        &["235 2.7.0 Authentication successful"],
    );
    assert_eq!(run_fits.sent.len(), 1);
    assert_eq!(run_fits.sent[0].len() + 2, 12285);
    assert_eq!(run_fits.result, Ok(()));

    // One byte more: 12276 base64 characters, a line of 12289 octets.
    let long = Credentials::password("test", "p".repeat(9199));
    let expected = b64(format!("\0test\0{}", "p".repeat(9199)).as_bytes());
    let run_long = run(
        Box::new(Plain::new(&long).unwrap()),
        &["334 ", "235 2.7.0 Authentication successful"],
    );
    assert_eq!(run_long.sent, ["AUTH PLAIN".to_string(), expected]);
    assert_eq!(run_long.shown, ["AUTH PLAIN", "<redacted>"]);
    assert_eq!(run_long.result, Ok(()));

    // A 235 before the deferred response was sent is not success.
    let early = run(
        Box::new(Plain::new(&long).unwrap()),
        &["235 2.7.0 Authentication successful"],
    );
    assert_eq!(sasl_error(&early), &SaslError::EarlySuccess);
}
