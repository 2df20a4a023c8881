//! Contract 0.2 through the real binary against scripted servers on 127.0.0.1: replies print
//! exactly as the server sent them (JSON `lines` and the terminal output), the JSON carries
//! the events, `deliver --relay` goes through the named server, and `deliver --deadline`
//! bounds the whole attempt.

#[path = "support/scripted.rs"]
mod scripted;

use scripted::{Scripted, Step, parse_step};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn message_file() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("message.eml");
    std::fs::write(
        &path,
        b"From: a@example.org\r\nTo: b@example.net\r\nSubject: contract\r\n\r\nbody\r\n",
    )
    .unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(args)
        .output()
        .expect("host-example runs")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Runs `script` on one connection while `args` (with `{port}` replaced) run the binary;
/// the binary's output and how long it ran.
async fn timed_against_script(script: &str, args: &[&str]) -> (Output, Duration) {
    let steps: Vec<Step> = script
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty())
        .flat_map(|line| parse_step(line).unwrap_or_else(|| panic!("bad step {line:?}")))
        .collect();
    let server = Scripted::bind().await;
    let port = server.port().to_string();
    let serving = tokio::spawn(server.serve(steps, Arc::new(OnceLock::new())));
    let args: Vec<String> = args.iter().map(|a| a.replace("{port}", &port)).collect();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    })
    .await
    .unwrap();
    let took = started.elapsed();
    match tokio::time::timeout(Duration::from_secs(10), serving).await {
        Ok(served) => served.unwrap().unwrap_or_else(|e| panic!("script: {e}")),
        Err(_) => panic!("the script did not end"),
    }
    (output, took)
}

async fn against_script(script: &str, args: &[&str]) -> Output {
    timed_against_script(script, args).await.0
}

/// A server whose replies carry enhanced codes and a multi-line refusal.
const REPLIES: &str = "
    S: 220 mx.example.net ESMTP
    C: EHLO
    S: 250-mx.example.net
    S: 250 ENHANCEDSTATUSCODES
    C: MAIL FROM:
    S: 250 2.1.0 Sender OK
    C: RCPT TO:<b@
    S: 250 2.1.5 OK
    C: RCPT TO:<c@
    S: 550-5.1.1 no such user here
    S: 550 5.1.1 see https://example.net/bounce
    C: DATA
    S: 354 go ahead
    C: .
    S: 250 2.0.0 queued as 12345
    C: QUIT
    S: 221 2.0.0 bye
";

fn send_args(json: bool) -> Vec<String> {
    let message = message_file();
    let mut args: Vec<String> = [
        "send",
        "--server",
        "127.0.0.1:{port}",
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--to",
        "c@example.net",
        "--timeout",
        "10",
        "--message",
    ]
    .map(String::from)
    .to_vec();
    args.push(message.to_string_lossy().into_owned());
    if json {
        args.push("--json".into());
    }
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn json_lines_are_the_replies_as_sent() {
    let args = send_args(true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = against_script(REPLIES, &args).await;
    let json = json(&output);
    assert_eq!(output.status.code(), Some(69), "{json}");
    let recipients = &json["recipients"];
    assert_eq!(recipients[0]["lines"], serde_json::json!(["250 2.1.5 OK"]));
    assert_eq!(recipients[0]["code"], 250);
    assert_eq!(recipients[0]["enhanced"], "2.1.5");
    assert_eq!(
        recipients[1]["lines"],
        serde_json::json!([
            "550-5.1.1 no such user here",
            "550 5.1.1 see https://example.net/bounce"
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_output_prints_the_replies_as_sent() {
    let args = send_args(false);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = against_script(REPLIES, &args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(69), "{stdout}");
    assert!(
        stdout.contains("delivered to b@example.net: 250 2.1.5 OK\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "permanent failure for c@example.net: 550-5.1.1 no such user here\n  \
             550 5.1.1 see https://example.net/bounce\n"
        ),
        "{stdout}"
    );
}

/// The command events of a JSON report: (command, code).
fn commands(json: &Value) -> Vec<(String, Value)> {
    json["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|event| event.get("command"))
        .map(|c| {
            assert!(c["duration_us"].is_u64(), "{c}");
            (
                c["command"].as_str().unwrap().to_string(),
                c["code"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn send_reports_the_dial_and_every_command() {
    let args = send_args(true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = against_script(REPLIES, &args).await;
    let json = json(&output);
    let dial = &json["events"][0]["dial"];
    assert_eq!(dial["address"], "127.0.0.1", "{json}");
    assert_eq!(dial["outcome"], "connected", "{json}");
    let expected: Vec<(String, Value)> = [
        ("greeting", 220),
        ("ehlo", 250),
        ("mailfrom", 250),
        ("rcptto", 250),
        ("rcptto", 550),
        ("data", 354),
        ("data", 250),
        ("quit", 221),
    ]
    .iter()
    .map(|(c, code)| (c.to_string(), Value::from(*code)))
    .collect();
    assert_eq!(commands(&json), expected, "{json}");
}

/// Issue 18 item 6: `send` with a 452 beyond the server's limit sends the rest in a further
/// transaction on the same connection, as `deliver` does.
#[tokio::test(flavor = "multi_thread")]
async fn send_requeues_recipients_beyond_the_servers_limit() {
    let args = send_args(true);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = against_script(
        "
        S: 220 mx.example.net ESMTP
        C: EHLO
        S: 250-mx.example.net
        S: 250 ENHANCEDSTATUSCODES
        C: MAIL FROM:
        S: 250 2.1.0 ok
        C: RCPT TO:<b@
        S: 250 2.1.5 ok
        C: RCPT TO:<c@
        S: 452 4.5.3 too many recipients
        C: DATA
        S: 354 go ahead
        C: .
        S: 250 2.0.0 first
        C: MAIL FROM:
        S: 250 2.1.0 ok
        C: RCPT TO:<c@
        S: 250 2.1.5 ok
        C: DATA
        S: 354 go ahead
        C: .
        S: 250 2.0.0 second
        C: QUIT
        S: 221 2.0.0 bye
        ",
        &args,
    )
    .await;
    let json = json(&output);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["status"], "delivered", "{json}");
    for recipient in json["recipients"].as_array().unwrap() {
        assert_eq!(recipient["status"], "delivered", "{json}");
        assert_eq!(recipient["lines"], serde_json::json!(["250 2.1.5 ok"]));
    }
    let data: Vec<&Value> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["command"]["command"] == "data")
        .collect();
    assert_eq!(data.len(), 4, "two transactions: {json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deliver_through_a_relay() {
    let message = message_file();
    let output = against_script(
        "
        S: 220 relay.example ESMTP
        C: EHLO client.example
        S: 250-relay.example
        S: 250 PIPELINING
        C: MAIL FROM:<a@example.org>
        C: RCPT TO:<b@example.net>
        C: DATA
        S: 250 ok
        S: 250 ok
        S: 354 go ahead
        C: .
        S: 250 2.0.0 relayed
        C: QUIT
        S: 221 bye
        ",
        &[
            "deliver",
            "--relay",
            "127.0.0.1:{port}",
            "--tls",
            "none",
            // No DNS is asked: an unreachable resolver would fail the attempt.
            "--dns",
            "192.0.2.1",
            "--ehlo",
            "client.example",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            message.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    let json = json(&output);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(json["status"], "delivered", "{json}");
    assert_eq!(
        json["recipients"][0]["lines"],
        serde_json::json!(["250 2.0.0 relayed"])
    );
    assert_eq!(json["attempts"][0]["host"], "127.0.0.1", "{json}");
    assert_eq!(json["events"][0]["dial"]["outcome"], "connected", "{json}");
    assert_eq!(commands(&json).len(), 7, "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deliver_deadline_bounds_the_whole_attempt() {
    let message = message_file();
    let (output, took) = timed_against_script(
        "
        S: 220 relay.example ESMTP
        C: EHLO
        sleep: 5
        ",
        &[
            "deliver",
            "--relay",
            "127.0.0.1:{port}",
            "--tls",
            "none",
            "--dns",
            "192.0.2.1",
            "--deadline",
            "1",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            message.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    let json = json(&output);
    assert_eq!(output.status.code(), Some(75), "{json}");
    assert_eq!(json["error"]["kind"], "timeout", "{json}");
    assert_eq!(json["recipients"][0]["status"], "temporary", "{json}");
    assert!(took < Duration::from_secs(4), "{took:?} {json}");
}

#[test]
fn relay_flags_without_relay_are_bad_usage() {
    let output = run(&[
        "deliver",
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--message",
        message_file().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("apply to --relay"), "{stderr}");
    let output = run(&[
        "deliver",
        "--relay",
        "relay.example",
        "--port",
        "2525",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
    ]);
    assert_eq!(output.status.code(), Some(64));
}
