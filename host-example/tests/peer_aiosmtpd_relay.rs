//! `deliver --relay` through the real binary against aiosmtpd as a smarthost: STARTTLS with
//! the relay's certificate verified (`--ca`), AUTH with the password from a file, the same
//! report as MX delivery (attempts, events), and a wrong password refused for good. Runs only
//! with the aiosmtpd peer enabled (scripts/test.sh).

mod support;

use serde_json::Value;
use std::process::{Command, Output};
use support::{Aiosmtpd, Certs, TempDir, peers_enabled};

const USER: &str = "relay@example.test";
const PASSWORD: &str = "secret";

/// `host-example deliver --relay` to the peer's STARTTLS port with the password in `password`.
fn deliver(peer: &Aiosmtpd, certs: &Certs, dir: &TempDir, password: &str) -> (Output, Value) {
    let relay = format!("127.0.0.1:{}", peer.port());
    let password_file = dir.path().join(format!("password-{password}"));
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let message = dir.path().join("message.eml");
    std::fs::write(
        &message,
        b"Subject: relayed\r\n\r\nthrough the smarthost\r\n",
    )
    .unwrap();
    let cert = certs.cert();
    let output = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args([
            "deliver",
            "--relay",
            &relay,
            "--tls",
            "starttls",
            "--ca",
            cert.to_str().unwrap(),
            "--user",
            USER,
            "--password-file",
            password_file.to_str().unwrap(),
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--to",
            "c@example.com",
            "--message",
            message.to_str().unwrap(),
            "--timeout",
            "30",
            "--json",
        ])
        .env_remove("SMTP_PASSWORD")
        .output()
        .expect("host-example runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output, json)
}

#[test]
fn relay_with_auth_against_aiosmtpd() {
    if !peers_enabled("aiosmtpd") {
        return;
    }
    let certs = Certs::generate();
    let auth = format!("{USER}:{PASSWORD}");
    let peer = Aiosmtpd::start(&[
        "--cert",
        certs.cert().to_str().unwrap(),
        "--key",
        certs.key().to_str().unwrap(),
        "--auth",
        &auth,
        "--auth-required",
    ]);
    let dir = TempDir::new("relay");

    // Two recipient domains, one delivery attempt each, both through the relay.
    let (output, json) = deliver(&peer, &certs, &dir, PASSWORD);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["status"], "delivered", "{json}");
    let stored = peer.wait_messages(2);
    assert!(
        stored.iter().all(|m| m.meta["auth"] == USER),
        "{:?}",
        stored.iter().map(|m| &m.meta).collect::<Vec<_>>()
    );
    for attempt in json["attempts"].as_array().unwrap() {
        assert_eq!(attempt["ip"], "127.0.0.1", "{json}");
        assert!(attempt["error"].is_null(), "{json}");
    }
    let commands: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["command"]["command"].as_str())
        .collect();
    assert!(commands.contains(&"starttls"), "{json}");
    assert!(commands.contains(&"auth"), "{json}");

    // A wrong password: 535 from the relay is permanent for every recipient.
    let (output, json) = deliver(&peer, &certs, &dir, "wrong");
    assert_eq!(output.status.code(), Some(69), "{json}");
    assert_eq!(json["error"]["kind"], "auth", "{json}");
    assert_eq!(json["error"]["code"], 535, "{json}");
    assert_eq!(json["error"]["permanent"], true, "{json}");
    assert_eq!(peer.messages_now().len(), 2);
}
