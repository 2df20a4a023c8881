//! The vertical slice through the real binary: `host-example send` → component in wasmtime →
//! host sockets → an SMTP server; JSON, exit codes and the stored bytes are checked.
//! Also the bad-input cases of the command line: each one clear line and its exit code.

mod support;

use host_example::sink::Sink;
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: test\r\n\r\nhello\r\n.dot\r\n..two\r\n";

fn host_example(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(args)
        .output()
        .expect("host-example runs")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtpclient-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
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

/// One line on stderr, no panic trace.
fn assert_one_line_error(output: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic on stderr: {stderr}");
    assert!(
        stderr.contains(needle),
        "stderr does not mention {needle:?}: {stderr}"
    );
}

fn send_args<'a>(server: &'a str, message: &'a str) -> Vec<&'a str> {
    vec![
        "send",
        "--server",
        server,
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--message",
        message,
        "--json",
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn send_to_our_sink_stores_the_exact_bytes() {
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("exact.eml", MESSAGE);
    let message = message.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let mut args = send_args(&server, &message);
        args.extend(["--to", "c@example.net"]);
        host_example(&args)
    })
    .await
    .unwrap();
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "report: {report}");
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["error"], Value::Null);
    let recipients = report["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2);
    assert_eq!(recipients[0]["address"], "b@example.net");
    assert_eq!(recipients[0]["status"], "delivered");
    assert_eq!(recipients[0]["code"], 250);
    assert_eq!(recipients[0]["enhanced"], "2.1.5");
    assert_eq!(report["server"]["port"], sink.addr.port());
    assert_eq!(report["server"]["ip"], "127.0.0.1");
    assert!(
        report["server"]["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "PIPELINING")
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, MESSAGE);
    assert_eq!(received[0].mail_from, "a@example.org");
    assert_eq!(received[0].recipients, ["b@example.net", "c@example.net"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bare_lf_is_refused_with_exit_65_and_nothing_is_stored() {
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("bare-lf.eml", b"Subject: x\n\nbare line feeds\n");
    let message = message.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || host_example(&send_args(&server, &message)))
        .await
        .unwrap();
    let report = json(&output);
    assert_eq!(output.status.code(), Some(65), "report: {report}");
    assert_eq!(report["error"]["kind"], "message");
    assert!(sink.received().is_empty(), "a partial message was stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn normalize_turns_bare_lf_into_crlf() {
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("normalize.eml", b"Subject: x\n\nbare line feeds\n");
    let message = message.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let mut args = send_args(&server, &message);
        args.push("--normalize");
        host_example(&args)
    })
    .await
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(
        sink.received()[0].data,
        b"Subject: x\r\n\r\nbare line feeds\r\n"
    );
}

#[test]
fn unreachable_server_is_a_temporary_io_failure() {
    // Bind and drop a listener: its port is closed right after.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("127.0.0.1:{port}");
    let message = temp_file("unreachable.eml", MESSAGE);
    let output = host_example(&send_args(&server, message.to_str().unwrap()));
    let report = json(&output);
    assert_eq!(output.status.code(), Some(75), "report: {report}");
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["error"]["kind"], "io");
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}

#[test]
fn missing_message_file_exits_66() {
    let output = host_example(&send_args("127.0.0.1:25", "/nonexistent/message.eml"));
    assert_one_line_error(&output, 66, "/nonexistent/message.eml");
}

#[test]
fn unknown_flag_exits_64() {
    let output = host_example(&["send", "--bogus-flag"]);
    assert_eq!(output.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bogus-flag"));
}

#[test]
fn malformed_component_exits_70_with_one_line() {
    let wasm = temp_file("garbage.wasm", b"\0asm this is not a component");
    let message = temp_file("m1.eml", MESSAGE);
    let mut args = vec!["--component", wasm.to_str().unwrap()];
    args.extend(send_args("127.0.0.1:25", message.to_str().unwrap()));
    let output = host_example(&args);
    assert_one_line_error(&output, 70, "invalid component");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr)
            .trim()
            .lines()
            .count(),
        1
    );
}

#[test]
fn component_of_another_world_exits_70_with_one_line() {
    // A valid component (text format) that exports nothing: not the smtp-client world.
    let wasm = temp_file("empty-world.wat", b"(component)");
    let message = temp_file("m2.eml", MESSAGE);
    let mut args = vec!["--component", wasm.to_str().unwrap()];
    args.extend(send_args("127.0.0.1:25", message.to_str().unwrap()));
    let output = host_example(&args);
    assert_one_line_error(&output, 70, "does not match the smtp-client world");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr)
            .trim()
            .lines()
            .count(),
        1
    );
}

#[test]
fn missing_component_file_exits_66() {
    let output = host_example(&["--component", "/nonexistent/x.wasm", "demo"]);
    assert_one_line_error(&output, 66, "/nonexistent/x.wasm");
}

/// The acceptance test: a real SMTP server (aiosmtpd from PyPI) stores what the
/// component sent, byte for byte.
#[test]
fn send_to_aiosmtpd_stores_the_exact_bytes() {
    if !support::peers_enabled("aiosmtpd") {
        return;
    }
    let peer = support::aiosmtpd::Aiosmtpd::start(&["--ehlo-add", "PIPELINING"]);
    let server = format!("127.0.0.1:{}", peer.port());
    let message = temp_file("aiosmtpd.eml", MESSAGE);
    let mut args = send_args(&server, message.to_str().unwrap());
    args.extend(["--to", "c@example.net", "-v"]);
    let output = host_example(&args);
    let report = json(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "report: {report}\n{}",
        peer.stderr()
    );
    assert_eq!(report["status"], "delivered");
    let stored = peer.wait_messages(1);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].eml, MESSAGE);
    assert_eq!(stored[0].meta["mail_from"], "a@example.org");
    assert_eq!(
        stored[0].meta["rcpt_tos"],
        serde_json::json!(["b@example.net", "c@example.net"])
    );
    // -v shows the transcript on stderr.
    let transcript = String::from_utf8_lossy(&output.stderr);
    assert!(
        transcript.contains("C: MAIL FROM:<a@example.org>"),
        "{transcript}"
    );
    assert!(transcript.contains("S: 250"), "{transcript}");
}

/// Refused recipients at a real server: per-recipient results and exit codes.
#[test]
fn aiosmtpd_refusing_one_recipient_gives_partial() {
    if !support::peers_enabled("aiosmtpd") {
        return;
    }
    let peer = support::aiosmtpd::Aiosmtpd::start(&[]);
    let server = format!("127.0.0.1:{}", peer.port());
    let message = temp_file("partial.eml", MESSAGE);
    let mut args = send_args(&server, message.to_str().unwrap());
    args.extend([
        "--to",
        "reject550@example.net",
        "--to",
        "defer451@example.net",
    ]);
    let output = host_example(&args);
    let report = json(&output);
    // Any temporary failure makes the exit code 75 (DESIGN.md).
    assert_eq!(output.status.code(), Some(75), "report: {report}");
    assert_eq!(report["status"], "partial");
    let r = report["recipients"].as_array().unwrap();
    assert_eq!(r[0]["status"], "delivered");
    assert_eq!(r[1]["status"], "permanent");
    assert_eq!(r[1]["code"], 550);
    assert_eq!(r[2]["status"], "temporary");
    assert_eq!(r[2]["code"], 451);
    assert_eq!(
        peer.wait_messages(1)[0].meta["rcpt_tos"],
        serde_json::json!(["b@example.net"])
    );
}

/// Issue 18 item 9: without `--ehlo` the client announces the machine's name (fully
/// qualified when the machine has such a name), never `localhost`.
#[tokio::test(flavor = "multi_thread")]
async fn ehlo_defaults_to_the_machine_name() {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let hostname = hostname.trim().to_ascii_lowercase();
    assert!(
        !hostname.is_empty() && hostname != "localhost",
        "{hostname}"
    );
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("ehlo.eml", MESSAGE);
    let message = message.to_str().unwrap().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let mut args = send_args(&server, &message);
        args.push("-v");
        host_example(&args)
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let name = stderr
        .lines()
        .find_map(|line| line.strip_prefix("C: EHLO "))
        .unwrap_or_else(|| panic!("no EHLO in {stderr}"));
    assert_ne!(name, "localhost");
    assert!(
        name == hostname || (name.contains('.') && !name.starts_with("localhost.")),
        "EHLO {name} on a machine named {hostname}"
    );
}
