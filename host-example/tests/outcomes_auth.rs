//! What a queue is told about a refused AUTH (issue 18 item 2): `host-example send` (the
//! component in wasmtime, through the real binary) against a scripted SCRAM server that
//! answers the client's final message with a server error ("e=invalid-proof", RFC 5802 §7),
//! then the client's cancel ("*") with 535 5.7.8, as a server refusing a wrong password does.
//! The 5xx is the server's verdict: permanent (exit 69), so a queue bounces instead of
//! retrying a wrong password until the account is locked.

#[path = "support/scripted.rs"]
mod scripted;

use scripted::{Scripted, Step, parse_step};
use serde_json::Value;
use std::process::Command;
use std::sync::{Arc, OnceLock};

const SCRIPT: &str = "\
S: 220 mx.example.net ESMTP
C: EHLO
S: 250-mx.example.net\\r\\n250-ENHANCEDSTATUSCODES\\r\\n250 AUTH SCRAM-SHA-256
scram: server-error
drain";

#[tokio::test(flavor = "multi_thread")]
async fn scram_server_error_then_535_is_permanent() {
    let steps: Vec<Step> = SCRIPT
        .lines()
        .flat_map(|line| parse_step(line).unwrap_or_else(|| panic!("bad step {line:?}")))
        .collect();
    let server = Scripted::bind().await;
    let address = format!("127.0.0.1:{}", server.port());
    let serving = tokio::spawn(server.serve(steps, Arc::new(OnceLock::new())));
    let message = std::env::temp_dir().join(format!("outcomes-auth-{}.eml", std::process::id()));
    std::fs::write(&message, b"Subject: auth\r\n\r\nbody\r\n").unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_host-example"))
            .args([
                "send",
                "--server",
                &address,
                "--tls",
                "none",
                "--user",
                "user@example.net",
                "--auth",
                "SCRAM-SHA-256",
                "--from",
                "a@example.org",
                "--to",
                "b@example.net",
                "--message",
                message.to_str().unwrap(),
                "--timeout",
                "10",
                "--json",
            ])
            .env("SMTP_PASSWORD", "wrong-password")
            .output()
            .expect("host-example runs")
    })
    .await
    .unwrap();
    serving
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("script: {e}"));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(output.status.code(), Some(69), "{json}");
    assert_eq!(json["status"], "permanent", "{json}");
    let error = &json["error"];
    assert_eq!(error["kind"], "auth", "{json}");
    assert_eq!(error["command"], "auth", "{json}");
    assert_eq!(error["permanent"], true, "{json}");
    assert_eq!(error["code"], 535, "{json}");
    assert_eq!(error["enhanced"], "5.7.8", "{json}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("invalid-proof")),
        "the server error is kept: {json}"
    );
    let recipients = json["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1);
    assert_eq!(recipients[0]["status"], "permanent", "{json}");
    assert_eq!(recipients[0]["code"], 535, "{json}");
}
