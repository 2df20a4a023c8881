//! AUTH (RFC 4954) through the real binary against aiosmtpd: PLAIN and LOGIN after STARTTLS,
//! the password from `--password-file` and from `SMTP_PASSWORD`, a wrong password, and
//! cleartext refused without TLS. Runs only with the aiosmtpd peer enabled (scripts/test.sh).

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use support::{Aiosmtpd, Certs, TempDir, peers_enabled};

const USER: &str = "user@example.test";
const PASSWORD: &str = "secret";

/// `host-example send` to the peer's STARTTLS port with `extra` flags and environment.
fn send(
    peer: &Aiosmtpd,
    certs: &Certs,
    tls: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Output, Value) {
    let server = format!("127.0.0.1:{}", peer.port());
    let cert = certs.cert();
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        tls,
        "--ca",
        cert.to_str().unwrap(),
        "--from",
        "a@example.org",
        "--to",
        "b@example.test",
        "--timeout",
        "30",
        "--json",
        "-v",
    ];
    args.extend_from_slice(extra);
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
    command.args(&args).env_remove("SMTP_PASSWORD");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"Subject: auth\r\n\r\nbody\r\n")?;
            child.wait_with_output()
        })
        .expect("host-example runs");
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("c2VjcmV0"),
        "password in the transcript: {stderr}"
    );
    (output, json)
}

fn password_file(dir: &Path, password: &str) -> String {
    let path = dir.join("password");
    std::fs::write(&path, format!("{password}\n")).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn auth_against_aiosmtpd() {
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
    let dir = TempDir::new("auth");
    let good = password_file(dir.path(), PASSWORD);

    // PLAIN (the strongest the peer offers), password from a file.
    let (output, json) = send(
        &peer,
        &certs,
        "starttls",
        &["--user", USER, "--password-file", &good],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{json}");
    let stored = peer.wait_messages(1);
    assert_eq!(stored[0].meta["auth"], USER, "{}", stored[0].meta);

    // LOGIN by preference, password from the environment.
    let (output, json) = send(
        &peer,
        &certs,
        "starttls",
        &["--user", USER, "--auth", "LOGIN"],
        &[("SMTP_PASSWORD", PASSWORD)],
    );
    assert_eq!(output.status.code(), Some(0), "{json}");
    peer.wait_messages(2);

    // A wrong password: 535, permanent.
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "wrong\n").unwrap();
    let (output, json) = send(
        &peer,
        &certs,
        "starttls",
        &["--user", USER, "--password-file", bad.to_str().unwrap()],
        &[],
    );
    assert_eq!(output.status.code(), Some(69), "{json}");
    assert_eq!(json["error"]["kind"], "auth", "{json}");
    assert_eq!(json["error"]["code"], 535, "{json}");

    // No TLS: PLAIN and LOGIN are refused before anything is sent.
    let (output, json) = send(
        &peer,
        &certs,
        "none",
        &["--user", USER, "--password-file", &good],
        &[],
    );
    assert_eq!(output.status.code(), Some(69), "{json}");
    assert_eq!(json["error"]["kind"], "auth", "{json}");
    assert_eq!(peer.messages_now().len(), 2);
}
