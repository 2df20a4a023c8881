//! What a queue is told about a refused transaction (issue 18 item 1): `host-example send`
//! (the component in wasmtime, through the real binary) against scripted servers on 127.0.0.1
//! that refuse MAIL, RCPT, DATA or BDAT, with and without PIPELINING. A 5xx is permanent for
//! every recipient it settles (exit 69), a 4xx temporary (exit 75), whichever path the
//! transaction took; the JSON report says so in `status`, each recipient's `status` and
//! `error.permanent`. A real aiosmtpd refusing MAIL with 530 (authentication required) checks
//! the same against a server we did not write.

#[path = "support/scripted.rs"]
mod scripted;
mod support;

use scripted::{Scripted, Step, parse_step};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use support::{Aiosmtpd, peers_enabled};

const RECIPIENTS: [&str; 2] = ["b@example.net", "c@example.net"];

fn message_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("outcomes-transaction-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("message.eml");
    std::fs::write(
        &path,
        b"From: a@example.org\r\nTo: b@example.net\r\nSubject: outcome\r\n\r\nbody\r\n",
    )
    .unwrap();
    path
}

/// `host-example send --tls none --json` to `127.0.0.1:port` for both recipients.
fn send(port: u16) -> (Output, Value) {
    let server = format!("127.0.0.1:{port}");
    let message = message_file();
    let mut args = vec![
        "send",
        "--server",
        &server,
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--message",
        message.to_str().unwrap(),
        "--timeout",
        "10",
        "--json",
    ];
    for to in RECIPIENTS {
        args.extend(["--to", to]);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(&args)
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

/// Runs `script` (the steps of `support/scripted.rs`, one a line) against one `send`.
async fn send_to_script(script: &str) -> (Output, Value) {
    let steps: Vec<Step> = script
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty())
        .flat_map(|line| parse_step(line).unwrap_or_else(|| panic!("bad step {line:?}")))
        .collect();
    let server = Scripted::bind().await;
    let port = server.port();
    let serving = tokio::spawn(server.serve(steps, Arc::new(OnceLock::new())));
    let sent = tokio::task::spawn_blocking(move || send(port))
        .await
        .unwrap();
    serving
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("script: {e}"));
    sent
}

/// What the report must say.
struct Expected {
    permanent: bool,
    /// `error.kind`.
    kind: &'static str,
    /// `error.command`, `error.code` and `error.enhanced`, and the error's class is the
    /// report's; `None` when no single reply is the error (every recipient refused: the
    /// "no-recipients" error is no verdict of its own, each recipient carries its class).
    reply: Option<(&'static str, u16, &'static str)>,
}

/// What differs from `want` in the report: its class, each recipient's, the error's reply.
fn mismatches(output: &Output, json: &Value, want: &Expected) -> Vec<String> {
    let (status, exit) = if want.permanent {
        ("permanent", 69)
    } else {
        ("temporary", 75)
    };
    let error = &json["error"];
    let mut checks: Vec<(String, Value, Value)> = vec![
        ("exit".into(), output.status.code().into(), exit.into()),
        ("status".into(), json["status"].clone(), status.into()),
        ("error.kind".into(), error["kind"].clone(), want.kind.into()),
    ];
    if let Some((command, code, enhanced)) = want.reply {
        checks.extend([
            (
                "error.permanent".into(),
                error["permanent"].clone(),
                want.permanent.into(),
            ),
            (
                "error.command".into(),
                error["command"].clone(),
                command.into(),
            ),
            ("error.code".into(), error["code"].clone(), code.into()),
            (
                "error.enhanced".into(),
                error["enhanced"].clone(),
                enhanced.into(),
            ),
        ]);
    }
    let recipients = json["recipients"].as_array().cloned().unwrap_or_default();
    let addresses: Vec<Value> = recipients.iter().map(|r| r["address"].clone()).collect();
    checks.push((
        "recipients".into(),
        addresses.into(),
        RECIPIENTS.to_vec().into(),
    ));
    for recipient in &recipients {
        let name = format!("{}.status", recipient["address"]);
        checks.push((name, recipient["status"].clone(), status.into()));
    }
    checks
        .into_iter()
        .filter(|(_, got, want)| got != want)
        .map(|(name, got, want)| format!("{name} = {got}, want {want}"))
        .collect()
}

const EHLO: &str = "S: 220 mx.example.net ESMTP\nC: EHLO";
const EHLO_REPLY: &str = "S: 250-mx.example.net\\r\\n250 ENHANCEDSTATUSCODES";
const EHLO_PIPELINING: &str =
    "S: 250-mx.example.net\\r\\n250-ENHANCEDSTATUSCODES\\r\\n250 PIPELINING";
/// The client's QUIT after the failed transaction, answered.
const QUIT: &str = "C: QUIT\nS: 221 2.0.0 bye";
/// The five lines of the message, in the BDAT chunk after the BDAT command.
const BDAT_DATA: &str = "C: \nC: \nC: \nC: \nC: ";
const EHLO_CHUNKING: &str =
    "S: 250-mx.example.net\\r\\n250-ENHANCEDSTATUSCODES\\r\\n250-PIPELINING\\r\\n250 CHUNKING";

#[tokio::test(flavor = "multi_thread")]
async fn a_5xx_is_permanent_and_a_4xx_temporary_at_every_command_with_or_without_pipelining() {
    let refused = |permanent, command, code, enhanced| Expected {
        permanent,
        kind: "status",
        reply: Some((command, code, enhanced)),
    };
    let cases: Vec<(&str, String, Expected)> = vec![
        (
            "5xx to MAIL, one command at a time: the recipients are never asked for",
            format!("{EHLO_REPLY}\nC: MAIL FROM:\nS: 550 5.7.1 sender refused\n{QUIT}"),
            refused(true, "mailfrom", 550, "5.7.1"),
        ),
        (
            "5xx to MAIL, pipelined",
            format!(
                "{EHLO_PIPELINING}\nC: MAIL FROM:\nC: RCPT TO:\nC: RCPT TO:\nC: DATA\n\
                 S: 550 5.7.1 sender refused\\r\\n503 5.5.1 need MAIL\\r\\n\
                 503 5.5.1 need MAIL\\r\\n503 5.5.1 need MAIL\n{QUIT}"
            ),
            refused(true, "mailfrom", 550, "5.7.1"),
        ),
        (
            "4xx to MAIL, one command at a time",
            format!("{EHLO_REPLY}\nC: MAIL FROM:\nS: 451 4.3.0 try later\n{QUIT}"),
            refused(false, "mailfrom", 451, "4.3.0"),
        ),
        (
            "4xx to MAIL, pipelined: the 503s to RCPT say nothing of the recipients",
            format!(
                "{EHLO_PIPELINING}\nC: MAIL FROM:\nC: RCPT TO:\nC: RCPT TO:\nC: DATA\n\
                 S: 451 4.3.0 try later\\r\\n503 5.5.1 need MAIL\\r\\n\
                 503 5.5.1 need MAIL\\r\\n503 5.5.1 need MAIL\n{QUIT}"
            ),
            refused(false, "mailfrom", 451, "4.3.0"),
        ),
        (
            "5xx to every RCPT, one command at a time",
            format!(
                "{EHLO_REPLY}\nC: MAIL FROM:\nS: 250 2.1.0 ok\nC: RCPT TO:\n\
                 S: 550 5.1.1 no such user\nC: RCPT TO:\nS: 550 5.1.1 no such user\n{QUIT}"
            ),
            Expected {
                permanent: true,
                kind: "no-recipients",
                reply: None,
            },
        ),
        (
            "5xx to DATA, one command at a time",
            format!(
                "{EHLO_REPLY}\nC: MAIL FROM:\nS: 250 2.1.0 ok\nC: RCPT TO:\nS: 250 2.1.5 ok\n\
                 C: RCPT TO:\nS: 250 2.1.5 ok\nC: DATA\nS: 554 5.7.1 no thanks\n{QUIT}"
            ),
            refused(true, "data", 554, "5.7.1"),
        ),
        (
            "5xx to the final dot, pipelined",
            format!(
                "{EHLO_PIPELINING}\nC: MAIL FROM:\nC: RCPT TO:\nC: RCPT TO:\nC: DATA\n\
                 S: 250 2.1.0 ok\\r\\n250 2.1.5 ok\\r\\n250 2.1.5 ok\\r\\n354 go\nC: .\n\
                 S: 554 5.6.0 content refused\n{QUIT}"
            ),
            refused(true, "data", 554, "5.6.0"),
        ),
        (
            "5xx to BDAT, pipelined",
            format!(
                "{EHLO_CHUNKING}\nC: MAIL FROM:\nC: RCPT TO:\nC: RCPT TO:\nC: BDAT\n\
                 S: 250 2.1.0 ok\\r\\n250 2.1.5 ok\\r\\n250 2.1.5 ok\\r\\n\
                 554 5.6.0 content refused\n{BDAT_DATA}\n{QUIT}"
            ),
            refused(true, "bdat", 554, "5.6.0"),
        ),
        (
            "4xx to BDAT, pipelined",
            format!(
                "{EHLO_CHUNKING}\nC: MAIL FROM:\nC: RCPT TO:\nC: RCPT TO:\nC: BDAT\n\
                 S: 250 2.1.0 ok\\r\\n250 2.1.5 ok\\r\\n250 2.1.5 ok\\r\\n\
                 452 4.3.1 out of space\n{BDAT_DATA}\n{QUIT}"
            ),
            refused(false, "bdat", 452, "4.3.1"),
        ),
    ];
    let mut wrong = Vec::new();
    for (case, script, want) in &cases {
        let (output, json) = send_to_script(&format!("{EHLO}\n{script}")).await;
        let problems = mismatches(&output, &json, want);
        if !problems.is_empty() {
            wrong.push(format!("{case}: {}\n  {json}", problems.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// aiosmtpd with `--auth-required` answers MAIL with 530 5.7.0 before AUTH (RFC 4954 §6);
/// without PIPELINING the recipients are never asked for, with it they get 530 too.
#[tokio::test(flavor = "multi_thread")]
async fn aiosmtpd_refusing_mail_with_530_is_permanent_with_or_without_pipelining() {
    if !peers_enabled("aiosmtpd") {
        return;
    }
    for pipelining in [false, true] {
        let mut args = vec!["--auth", "user@example.test:secret", "--auth-required"];
        if pipelining {
            args.extend(["--ehlo-add", "PIPELINING"]);
        }
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let peer = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            Aiosmtpd::start(&args)
        })
        .await
        .unwrap();
        let port = peer.port();
        let (output, json) = tokio::task::spawn_blocking(move || send(port))
            .await
            .unwrap();
        let case = if pipelining {
            "aiosmtpd, pipelined"
        } else {
            "aiosmtpd"
        };
        let want = Expected {
            permanent: true,
            kind: "status",
            reply: Some(("mailfrom", 530, "5.7.0")),
        };
        let problems = mismatches(&output, &json, &want);
        assert!(
            problems.is_empty(),
            "{case}: {}\n{json}",
            problems.join("; ")
        );
        drop(peer);
    }
}
