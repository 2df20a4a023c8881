//! SMTP over the TLS session: the mox C2 pipelined transaction and SCRAM-PLUS with tls-exporter.

use super::*;
use crate::tls::testing::Alg;

#[test]
fn mox_c2_required_starttls_pkix_and_requiretls_transaction() {
    // The reference client's test case C2: the self-signed mox.example certificate is its own
    // root (as Go accepts); the EHLO over TLS announces REQUIRETLS; MAIL, RCPT and DATA are
    // pipelined.
    let leaf = testing::self_signed(&["mox.example"], Alg::Ecdsa, false);
    let tls = TlsConfig {
        verify_pkix: true,
        extra_roots: vec![leaf.der.to_vec()],
        ..tls_config("mox.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.send(&["220 mox.example ESMTP test"]);
    pair.expect("EHLO client.example");
    pair.send(&["250-mox.example", "250-PIPELINING", "250 STARTTLS"]);
    pair.expect("STARTTLS");
    pair.send(&["220 go"]);
    pair.start_tls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.expect("EHLO client.example");
    pair.send(&[
        "250-mox.example",
        "250-PIPELINING",
        "250-SIZE 512",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250-REQUIRETLS",
        "250 LIMITS MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1",
    ]);
    assert_eq!(pair.events(), [Event::Ready]);
    let message =
        b"From: <postmaster@mox.example>\r\nTo: <mjl@mox.example>\r\nSubject: test\r\n\r\ntest\r\n";
    let tx = Transaction {
        mail_from: "postmaster@mox.example".into(),
        recipients: vec!["mjl@mox.example".into()],
        size: Some(78),
        require_8bitmime: true,
        require_smtputf8: true,
        require_tls: true,
        ..Transaction::default()
    };
    pair.session.start_transaction(pair.now, tx).unwrap();
    pair.expect("MAIL FROM:<postmaster@mox.example> SIZE=78 BODY=8BITMIME SMTPUTF8 REQUIRETLS");
    pair.expect("RCPT TO:<mjl@mox.example>");
    pair.expect("DATA");
    pair.send(&["250 2.1.0 ok", "250 2.1.5 ok", "354 continue"]);
    // Part copied, part handed over as a buffer (which goes to rustls as it is).
    let (head, rest) = message.split_at(20);
    pair.session.push_message_data(pair.now, head).unwrap();
    pair.session
        .push_message_buffer(pair.now, rest.to_vec())
        .unwrap();
    pair.session.finish_message(pair.now).unwrap();
    pair.pump();
    let data: Vec<u8> = pair.received.drain(..).collect();
    assert_eq!(data, [&message[..], b".\r\n"].concat());
    pair.send(&["250 2.0.0 ok"]);
    match &pair.events()[..] {
        [Event::TransactionDone(Ok(outcome))] => {
            assert_eq!(outcome.reply.code, ReplyCode::OK);
            assert!(outcome.recipients[0].accepted);
        }
        other => panic!("{other:?}"),
    }
}

/// The client's next line, whatever it is.
fn client_line(pair: &mut Pair) -> String {
    pair.pump();
    let end = pair
        .received
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("a line from the client");
    let line: Vec<u8> = pair.received.drain(..end + 2).collect();
    String::from_utf8(line[..end].to_vec()).expect("ascii")
}

/// The server's side of SCRAM (RFC 5802 §3): the client proof it expects and its own
/// signature, for `password`, `salt`, `iterations` and the AuthMessage.
fn scram_server_keys(
    sha256: bool,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    use hmac::{Hmac, Mac};
    macro_rules! keys {
        ($d:ty) => {{
            let mut salted = vec![0u8; <$d as Digest>::output_size()];
            pbkdf2::pbkdf2_hmac::<$d>(password, salt, iterations, &mut salted);
            let mac = |key: &[u8], message: &[u8]| {
                let mut mac = <Hmac<$d> as Mac>::new_from_slice(key).unwrap();
                Mac::update(&mut mac, message);
                mac.finalize().into_bytes().to_vec()
            };
            let client_key = mac(&salted, b"Client Key");
            let stored_key = <$d as Digest>::digest(&client_key);
            let client_signature = mac(&stored_key, auth_message);
            let proof = client_key
                .iter()
                .zip(&client_signature)
                .map(|(k, s)| k ^ s)
                .collect();
            (proof, mac(&mac(&salted, b"Server Key"), auth_message))
        }};
    }
    if sha256 {
        keys!(Sha256)
    } else {
        keys!(sha1::Sha1)
    }
}

#[test]
fn scram_plus_with_tls_exporter_after_starttls() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    // The reference client's test cases C18 and C20: SCRAM-SHA-1-PLUS (8192 iterations) and
    // SCRAM-SHA-256-PLUS (4096) after STARTTLS, channel binding tls-exporter on TLS 1.3
    // (RFC 9266, RFC 5802 §6).
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for (mechanism, sha256, iterations) in [
        ("SCRAM-SHA-1-PLUS", false, 8192),
        ("SCRAM-SHA-256-PLUS", true, 4096),
    ] {
        let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
        pair.session.config.auth = Some(AuthConfig {
            credentials: crate::sasl::Credentials::password("test", "test"),
            mechanisms: Vec::new(),
            allow_cleartext_without_tls: false,
            client_nonce: b"0123456789abcdef".to_vec(),
        });
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        pair.expect("EHLO client.example");
        pair.send(&["250-mx.example", &format!("250 AUTH {mechanism}")]);
        let line = client_line(&mut pair);
        let first = line
            .strip_prefix(&format!("AUTH {mechanism} "))
            .expect("initial response");
        let first = String::from_utf8(STANDARD.decode(first).unwrap()).unwrap();
        let (gs2, bare) = first.split_at(first.find(",,").unwrap() + 2);
        assert_eq!(gs2, "p=tls-exporter,,");
        let client_nonce = bare.split(',').find_map(|p| p.strip_prefix("r=")).unwrap();
        let nonce = format!("{client_nonce}server-nonce-part");
        let salt = b"salt-of-the-test";
        let server_first = format!("r={nonce},s={},i={iterations}", STANDARD.encode(salt));
        pair.send(&[&format!("334 {}", STANDARD.encode(&server_first))]);
        let last = String::from_utf8(STANDARD.decode(client_line(&mut pair)).unwrap()).unwrap();
        let (without_proof, proof) = last.rsplit_once(",p=").unwrap();
        let mut exporter = [0u8; 32];
        pair.server
            .as_ref()
            .unwrap()
            .export_keying_material(&mut exporter, b"EXPORTER-Channel-Binding", Some(&[]))
            .unwrap();
        let mut binding = gs2.as_bytes().to_vec();
        binding.extend_from_slice(&exporter);
        assert_eq!(
            without_proof,
            format!("c={},r={nonce}", STANDARD.encode(&binding))
        );
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let (want_proof, signature) =
            scram_server_keys(sha256, b"test", salt, iterations, auth_message.as_bytes());
        assert_eq!(STANDARD.decode(proof).unwrap(), want_proof, "{mechanism}");
        let server_final = format!("v={}", STANDARD.encode(&signature));
        pair.send(&[&format!("334 {}", STANDARD.encode(server_final))]);
        pair.expect("");
        pair.send(&["235 2.7.0 auth ok"]);
        assert_eq!(pair.events(), [Event::Ready], "{mechanism}");
        assert_eq!(pair.session.authenticated(), Some(mechanism));
    }
}
