//! The Node.js host (`hosts/node`) end to end: its command line (`node hosts/node/src/cli.mjs`,
//! what `npx smtpclient` runs) as a subprocess with `--json`, the JSON report and the exit code
//! asserted, against the peers of host-example's own tests: our sink, a real Postfix
//! (submission with STARTTLS and AUTH; MX), NSD behind a validating Unbound with signed zones
//! and DANE records, and the hostile scripted servers of `tests/hostile/*.scn`. The Node host
//! must load the byte-identical component: the SHA-256 of the file it transpiled is compared
//! with host-example's embedded one. Its own unit tests (`node --test`) run here too.
//!
//! `scripts/install-peers.sh` (run by `./scripts/test.sh` as root) installs the npm packages
//! (`npm ci`) and transpiles the freshly built component (`npm run build`). Without it and
//! without the real peers, these tests print a loud SKIPPED line.

mod support;

#[path = "support/scripted.rs"]
mod scripted;

#[path = "support/hostile_scenarios.rs"]
mod hostile_scenarios;

use host_example::EMBEDDED_COMPONENT;
use host_example::sink::Sink;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use support::{TempDir, end_to_end, json_report, peers_enabled};

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: node\r\n\r\nhello\r\n.dot\r\n..two\r\n";

fn node_dir() -> PathBuf {
    support::repo_dir().join("hosts/node")
}

/// `node <hosts/node/src/cli.mjs>`, or `None` after a loud SKIPPED line when the package is not
/// installed and built and the real peers are off. With the peers on (`./scripts/test.sh` as
/// root, whose install step builds it) a missing build fails the test.
fn node_cli() -> Option<Command> {
    let dir = node_dir();
    let built =
        dir.join("node_modules").is_dir() && dir.join("generated/sync/smtpclient.js").is_file();
    if !built {
        assert!(
            std::env::var("SMTPCLIENT_PEERS").as_deref() != Ok("1"),
            "hosts/node is not installed and built: scripts/install-peers.sh runs `npm ci` and \
             `npm run build` there"
        );
        let test = std::thread::current().name().unwrap_or("?").to_string();
        let line = format!(
            "!!! SKIPPED node ({test}): hosts/node not built, run ./scripts/test.sh as root !!!\n"
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
        return None;
    }
    let mut command = Command::new("node");
    command
        .arg(dir.join("src/cli.mjs"))
        .env_remove("SMTP_PASSWORD");
    Some(command)
}

fn run(mut command: Command, args: &[&str]) -> Output {
    command.args(args).output().expect("node runs")
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtpclient-node-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn transpiles_the_byte_identical_component() {
    let Some(node) = node_cli() else { return };
    let output = run(node, &["component"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let embedded: String = Sha256::digest(EMBEDDED_COMPONENT)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        printed["sha256"], embedded,
        "the Node host transpiled another component ({}); run `npm run build` in hosts/node",
        printed["file"]
    );
}

#[test]
fn node_unit_tests_pass() {
    if node_cli().is_none() {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(node_dir().join("test"))
        .expect("hosts/node/test")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "{files:?}");
    let output = Command::new("node")
        .arg("--test")
        .args(&files)
        .current_dir(node_dir())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node --test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn send_to_our_sink_stores_the_exact_bytes() {
    let Some(node) = node_cli() else { return };
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("exact.eml", MESSAGE);
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--to",
            "c@example.net",
            "--message",
            message.to_str().unwrap(),
            "--json",
        ];
        run(node, &args)
    })
    .await
    .unwrap();
    let report = json_report(&output, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["error"], Value::Null);
    assert_eq!(report["recipients"][1]["address"], "c@example.net");
    assert_eq!(report["recipients"][1]["code"], 250);
    assert_eq!(report["server"]["ip"], "127.0.0.1");
    assert_eq!(report["tls"], Value::Null);
    let events = report["events"].as_array().expect("events");
    assert!(
        events
            .iter()
            .any(|e| e["command"]["command"] == "data" && e["command"]["code"] == 354),
        "{report}"
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, MESSAGE);
    assert_eq!(received[0].recipients, ["b@example.net", "c@example.net"]);
}

#[test]
fn bad_input_gives_one_line_and_its_exit_code() {
    let Some(node) = node_cli() else { return };
    // A missing message file: 66, naming it.
    let output = run(
        node,
        &[
            "send",
            "--server",
            "127.0.0.1:9",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            "/nonexistent/message.eml",
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(66), "{stderr}");
    assert!(stderr.contains("/nonexistent/message.eml"), "{stderr}");
    assert_eq!(output.stdout, b"");
    // An unreachable server: a temporary io error in the report, 75.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = format!("127.0.0.1:{port}");
    let message = temp_file("unreachable.eml", MESSAGE);
    let output = run(
        node_cli().unwrap(),
        &[
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net",
            "--message",
            message.to_str().unwrap(),
            "--timeout",
            "5",
            "--json",
        ],
    );
    let report = json_report(&output, 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["error"]["kind"], "io");
    assert_eq!(report["error"]["permanent"], false);
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_address_is_a_typed_error_before_the_wire() {
    let Some(node) = node_cli() else { return };
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("address.eml", MESSAGE);
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "send",
            "--server",
            &server,
            "--tls",
            "none",
            "--from",
            "a@example.org",
            "--to",
            "b@example.net\r\nRCPT TO:<evil@example.net>",
            "--message",
            message.to_str().unwrap(),
            "--json",
        ];
        run(node, &args)
    })
    .await
    .unwrap();
    let report = json_report(&output, 69);
    assert_eq!(report["error"]["kind"], "address", "{report}");
    assert_eq!(report["error"]["permanent"], true);
    assert!(sink.received().is_empty());
}

#[test]
fn submission_with_starttls_and_auth_to_postfix() {
    if !peers_enabled("postfix") || node_cli().is_none() {
        return;
    }
    let dir = TempDir::new("node-submission");
    end_to_end::submission_with_starttls_and_auth(&node, dir.path(), "node-submission-5d2e");
}

#[test]
fn mx_delivery_with_dane_stores_the_exact_bytes() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) || node_cli().is_none() {
        return;
    }
    let dir = TempDir::new("node-dane");
    let cache = dir.path().to_string_lossy().into_owned();
    end_to_end::mx_delivery_with_dane(
        &node,
        dir.path(),
        "node-dane-8c41",
        &["--sts-cache", &cache],
    );
}

#[test]
fn wrong_tlsa_record_is_refused_with_nothing_stored() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) || node_cli().is_none() {
        return;
    }
    let dir = TempDir::new("node-badtlsa");
    let cache = dir.path().to_string_lossy().into_owned();
    end_to_end::wrong_tlsa_record_refused(
        &node,
        dir.path(),
        "node-badtlsa-3f90",
        &["--sts-cache", &cache],
    );
}

/// The Node.js command line with `args`, and `password` in `SMTP_PASSWORD` when given.
fn node(args: &[&str], password: Option<&str>) -> Output {
    let mut command = node_cli().expect("built");
    if let Some(password) = password {
        command.env("SMTP_PASSWORD", password);
    }
    run(command, args)
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_give_typed_errors_without_hangs() {
    if node_cli().is_none() {
        return;
    }
    let scenarios = hostile_scenarios::scenarios();
    assert!(scenarios.len() >= 60, "{} scenarios", scenarios.len());
    let client: hostile_scenarios::Client = Arc::new(|| node_cli().expect("built"));
    // Fewer at once than host-example's test: each Node.js process compiles the component and
    // tiers it up on background threads of its own.
    let failures = hostile_scenarios::run_all(client, scenarios, 3).await;
    assert!(failures.is_empty(), "failed: {failures:?}");
}
