//! The composed file `target/wasi-run/smtpclient-cli.wasm` under the stock `wasmtime` command
//! (`wasmtime run`), as a subprocess with `--json`, the JSON report and the exit code
//! asserted: the client component composed with the WASI adapter and the command, reaching
//! the network only through WASI sockets. Against our sink, a real Postfix (submission with
//! STARTTLS and AUTH; MX), NSD behind a validating Unbound (signed and insecure zones, DANE),
//! an MTA-STS policy server on 127.0.0.1:443 (`--sts-cache` in a preopened directory), and
//! the hostile scripted servers of `tests/hostile/*.scn`.
//!
//! The `wasmtime` CLI (the same 48.x as the host) comes from `scripts/install-peers.sh`
//! (`cargo install --locked`, when missing); `SMTPCLIENT_WASMTIME` may name another. Without it
//! and without the real peers, these tests print a loud SKIPPED line.

mod support;

#[path = "support/scripted.rs"]
mod scripted;

#[path = "support/hostile_scenarios.rs"]
mod hostile_scenarios;

use host_example::EMBEDDED_COMPONENT;
use host_example::sink::Sink;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use support::sts_peer::STS_ID;
use support::{
    Postfix, TempDir, end_to_end, json_report, mail_peers, peers_enabled, sts_peer, token_message,
};

/// The composed file the build made.
const COMPOSED: &str = env!("SMTPCLIENT_CLI_WASM");

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: wasi\r\n\r\nhello\r\n.dot\r\n..two\r\n";

/// The `wasmtime` program.
fn wasmtime_program() -> PathBuf {
    std::env::var_os("SMTPCLIENT_WASMTIME").map_or_else(|| "wasmtime".into(), PathBuf::from)
}

/// Whether the `wasmtime` CLI runs; without it a loud SKIPPED line, except with the real
/// peers on (`./scripts/test.sh` as root, whose install step provides it), where it fails.
fn wasmtime_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    let ready = *READY.get_or_init(|| {
        Command::new(wasmtime_program())
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    });
    if !ready {
        assert!(
            std::env::var("SMTPCLIENT_PEERS").as_deref() != Ok("1"),
            "no wasmtime CLI: scripts/install-peers.sh installs it with cargo install"
        );
        let test = std::thread::current().name().unwrap_or("?").to_string();
        let line = format!(
            "!!! SKIPPED wasmtime run ({test}): no wasmtime CLI, run ./scripts/test.sh as root !!!\n"
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
    ready
}

/// `wasmtime run` of the composed file with the network (`-S inherit-network`), exit codes
/// (`-S cli-exit-with-code`) and the tests' state directory preopened at the same path
/// (messages, certificates), ready for the command's arguments.
fn wasmtime_run() -> Command {
    let mut command = wasmtime_run_without_network();
    command.args(["-S", "inherit-network"]);
    command
}

/// As [`wasmtime_run`] without `-S inherit-network`.
fn wasmtime_run_without_network() -> Command {
    let state = support::state_dir();
    std::fs::create_dir_all(&state).expect("the state directory");
    let state = state.to_string_lossy().into_owned();
    let mut command = Command::new(wasmtime_program());
    command
        .args(["run", "-S", "cli-exit-with-code"])
        .args(["--dir", &format!("{state}::{state}")])
        .env_remove("SMTP_PASSWORD");
    command
}

/// Runs `command` with the composed file and `args`.
fn run(mut command: Command, args: &[&str]) -> Output {
    command
        .arg(COMPOSED)
        .args(args)
        .output()
        .expect("wasmtime runs")
}

fn temp_dir() -> &'static TempDir {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| TempDir::new("wasmtime-run"))
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir().path().join(name);
    std::fs::write(&path, bytes).expect("writing a temporary file");
    path
}

#[test]
fn the_composed_file_holds_the_byte_identical_client() {
    let composed = std::fs::read(COMPOSED).expect("the composed file");
    assert!(
        composed
            .windows(EMBEDDED_COMPONENT.len())
            .any(|window| window == EMBEDDED_COMPONENT),
        "{COMPOSED} does not contain the client component host-example embeds"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn send_to_our_sink_stores_the_exact_bytes() {
    if !wasmtime_ready() {
        return;
    }
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
            "--ehlo",
            "client.example.test",
            "--json",
        ];
        run(wasmtime_run(), &args)
    })
    .await
    .unwrap();
    let report = json_report(&output, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["error"], Value::Null);
    assert_eq!(report["recipients"][1]["address"], "c@example.net");
    assert_eq!(
        report["recipients"][1]["lines"][0], "250 2.1.5 ok",
        "{report}"
    );
    assert_eq!(report["server"]["ip"], "127.0.0.1");
    assert_eq!(report["tls"], Value::Null);
    assert!(
        report["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["command"]["command"] == "data" && e["command"]["code"] == 354),
        "{report}"
    );
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, MESSAGE);
    assert_eq!(received[0].recipients, ["b@example.net", "c@example.net"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_inherit_network_it_reaches_nothing() {
    if !wasmtime_ready() {
        return;
    }
    let sink = Sink::start().await.unwrap();
    let server = sink.addr.to_string();
    let message = temp_file("no-network.eml", MESSAGE);
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
            "--message",
            message.to_str().unwrap(),
            "--json",
        ];
        run(wasmtime_run_without_network(), &args)
    })
    .await
    .unwrap();
    let report = json_report(&output, 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["error"]["kind"], "io");
    assert_eq!(report["error"]["permanent"], false);
    let reason = report["events"][0]["dial"]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("denied"), "{report}");
    assert!(sink.received().is_empty(), "nothing reached the sink");
}

#[test]
fn bad_input_gives_one_line_and_its_exit_code() {
    if !wasmtime_ready() {
        return;
    }
    // A missing message file: 66, naming it.
    let output = run(
        wasmtime_run(),
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
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(66), "{stderr}");
    assert!(stderr.contains("/nonexistent/message.eml"), "{stderr}");
    assert_eq!(output.stdout, b"");
    // An unknown flag: 64.
    let output = run(wasmtime_run(), &["deliver", "--to", "a@x.test", "--bogus"]);
    assert_eq!(output.status.code(), Some(64), "{output:?}");
    // An unreachable server: a temporary io error in the report, 75.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = format!("127.0.0.1:{port}");
    let message = temp_file("unreachable.eml", MESSAGE);
    let started = Instant::now();
    let output = run(
        wasmtime_run(),
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
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once"
    );
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["error"]["kind"], "io");
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
}

#[test]
fn submission_with_starttls_and_auth_to_postfix() {
    if !(peers_enabled("postfix") && wasmtime_ready()) {
        return;
    }
    end_to_end::submission_with_starttls_and_auth(
        &composed,
        temp_dir().path(),
        "wasi-submission-71a3",
    );
}

#[test]
fn mx_delivery_with_dane_stores_the_exact_bytes() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && wasmtime_ready()) {
        return;
    }
    end_to_end::mx_delivery_with_dane(&composed, temp_dir().path(), "wasi-dane-0b7e", &[]);
}

#[test]
fn wrong_tlsa_record_is_refused_with_nothing_stored() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && wasmtime_ready()) {
        return;
    }
    end_to_end::wrong_tlsa_record_refused(&composed, temp_dir().path(), "wasi-badtlsa-c5d2", &[]);
}

#[test]
fn insecure_zone_is_delivered_without_dane() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && wasmtime_ready()) {
        return;
    }
    end_to_end::insecure_zone_without_dane(&composed, temp_dir().path(), "wasi-insecure-94f0", &[]);
}

/// `wasmtime run` of the composed file with `args`, and `password` in `SMTP_PASSWORD` when
/// given (passed to the guest with `--env`).
fn composed(args: &[&str], password: Option<&str>) -> Output {
    let mut command = wasmtime_run();
    if let Some(password) = password {
        command.args(["--env", &format!("SMTP_PASSWORD={password}")]);
    }
    run(command, args)
}

/// Whether the MTA-STS tests can run: the mail peers, the policy server on port 443 and the
/// `wasmtime` CLI.
fn sts_ready() -> bool {
    peers_enabled("dns") && peers_enabled("postfix") && peers_enabled("netns") && wasmtime_ready()
}

/// `deliver` to `a@sts.insecure.test` (MTA-STS enforce, its MX listed) through the test's
/// Unbound to Postfix, with `wasmtime` flags before the file and the command's `args` after
/// the common ones; the report, after exit code 0.
fn deliver_under_sts(token: &str, wasmtime: &[&str], args: &[&str]) -> Value {
    let peers = mail_peers();
    let (sent, _) = token_message(token);
    let message = temp_file(&format!("{token}.eml"), &sent);
    let dns = peers.dns.resolver().to_string();
    let port = peers.postfix.smtp_port().to_string();
    let mut command = wasmtime_run();
    command.args(wasmtime);
    let mut all = vec![
        "deliver",
        "--from",
        "sender@client.example.test",
        "--to",
        "a@sts.insecure.test",
        "--message",
        message.to_str().unwrap(),
        "--dns",
        &dns,
        "--port",
        &port,
        "--allow-private-addresses",
        "--ehlo",
        "client.example.test",
        "--timeout",
        "10",
        "--json",
    ];
    all.extend_from_slice(args);
    json_report(&run(command, &all), 0)
}

/// The domain's enforce policy applied: delivered over PKIX-verified TLS, and the TLS-RPT
/// result of `sts.insecure.test` is for that policy (RFC 8460 §4.4 "policy-string").
fn assert_sts_enforced(report: &Value) {
    assert_eq!(report["status"], "delivered", "{report}");
    assert_eq!(report["tls"]["pkix_valid"], true, "{report}");
    let applied = report["tlsrpt"].as_array().unwrap().iter().any(|result| {
        let policy = &result["policy"];
        policy["policy-type"] == "sts"
            && policy["policy-domain"] == "sts.insecure.test"
            && policy["policy-string"]
                .as_array()
                .is_some_and(|lines| lines.iter().any(|line| line == "mode: enforce"))
            && result["summary"]["total-successful-session-count"] == 1
    });
    assert!(applied, "{report}");
}

/// A directory outside the preopened state directory, so that only `--dir` reaches it; and
/// the `wasmtime` flags that preopen it at the same path.
fn cache_dir(prefix: &str) -> (TempDir, [String; 2]) {
    let dir = TempDir::new_in(&std::env::temp_dir(), prefix);
    let path = dir.path().to_string_lossy().into_owned();
    let preopen = ["--dir".to_string(), format!("{path}::{path}")];
    (dir, preopen)
}

/// `--sts-cache DIR`, preopened with `--dir DIR::DIR`, keeps the policy between runs (RFC 8461
/// §5.1, §10): the first run fetches it and writes `DIR/sts.insecure.test.json`; the second
/// cannot fetch it (the policy server's root is no longer trusted, as if an attacker blocked
/// the fetch), asks the server nothing (the TXT id is unchanged), and still delivers under
/// the cached enforce policy.
#[test]
fn mta_sts_policy_is_cached_between_runs() {
    if !sts_ready() {
        return;
    }
    let peer = sts_peer();
    let _counting = peer.counting();
    let (cache, preopen) = cache_dir("wasi-sts-cache");
    let preopen: Vec<&str> = preopen.iter().map(String::as_str).collect();
    let dir = cache.path().to_str().unwrap();
    let postfix = mail_peers().certs.cert();
    let postfix = postfix.to_str().unwrap();
    let fetched = peer.fetches("sts.insecure.test");

    let policy_root = peer.root_pem().to_str().unwrap();
    let first = deliver_under_sts(
        "wasi-sts-first-2c6a",
        &preopen,
        &["--sts-cache", dir, "--ca", policy_root, "--ca", postfix],
    );
    assert_sts_enforced(&first);
    assert_eq!(peer.fetches("sts.insecure.test"), fetched + 1);
    let file = cache.path().join("sts.insecure.test.json");
    let text = std::fs::read_to_string(&file).expect("the policy is cached");
    let cached: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(cached["id"], STS_ID, "{cached}");
    assert!(
        cached["text"].as_str().unwrap().contains("mode: enforce"),
        "{cached}"
    );

    let second = deliver_under_sts(
        "wasi-sts-second-9d14",
        &preopen,
        &["--sts-cache", dir, "--ca", postfix],
    );
    assert_sts_enforced(&second);
    assert_eq!(
        peer.fetches("sts.insecure.test"),
        fetched + 1,
        "the second run asked the policy server"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// Without `--sts-cache` the policy is fetched, applied and forgotten: nothing is written, not
/// even in a preopened directory.
#[test]
fn without_sts_cache_nothing_is_written() {
    if !sts_ready() {
        return;
    }
    let peer = sts_peer();
    let _counting = peer.counting();
    let (dir, preopen) = cache_dir("wasi-no-sts-cache");
    let preopen: Vec<&str> = preopen.iter().map(String::as_str).collect();
    let postfix = mail_peers().certs.cert();
    let fetched = peer.fetches("sts.insecure.test");
    let report = deliver_under_sts(
        "wasi-no-sts-cache-7e3b",
        &preopen,
        &[
            "--ca",
            peer.root_pem().to_str().unwrap(),
            "--ca",
            postfix.to_str().unwrap(),
        ],
    );
    assert_sts_enforced(&report);
    assert_eq!(peer.fetches("sts.insecure.test"), fetched + 1);
    let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
}

/// `--sts-cache DIR` without `--dir` preopening it: the cache can be neither read nor
/// written, which is skipped silently, as host-example skips a cache it cannot write. The
/// delivery goes on under the policy fetched now.
#[test]
fn sts_cache_not_preopened_is_skipped() {
    if !sts_ready() {
        return;
    }
    let peer = sts_peer();
    let _counting = peer.counting();
    let (dir, _) = cache_dir("wasi-sts-cache-closed");
    let postfix = mail_peers().certs.cert();
    let report = deliver_under_sts(
        "wasi-sts-closed-41f8",
        &[],
        &[
            "--sts-cache",
            dir.path().to_str().unwrap(),
            "--ca",
            peer.root_pem().to_str().unwrap(),
            "--ca",
            postfix.to_str().unwrap(),
        ],
    );
    assert_sts_enforced(&report);
    let written: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_give_typed_errors_without_hangs() {
    if !wasmtime_ready() {
        return;
    }
    let scenarios = hostile_scenarios::scenarios();
    assert!(scenarios.len() >= 60, "{} scenarios", scenarios.len());
    // The scenarios set SMTP_PASSWORD for the client: the guest inherits the environment.
    // Their messages are in the system's temporary directory.
    let temp = std::env::temp_dir().to_string_lossy().into_owned();
    let client: hostile_scenarios::Client = Arc::new(move || {
        let mut command = wasmtime_run();
        command
            .args(["-S", "inherit-env", "--dir", &format!("{temp}::{temp}")])
            .arg(COMPOSED);
        command
    });
    let failures = hostile_scenarios::run_all(client, scenarios, 4).await;
    assert!(failures.is_empty(), "failed: {failures:?}");
}

/// The same submission (STARTTLS, AUTH) and MX delivery (DANE) through `wasmtime run` of the
/// composed file and through host-example, each run 3 times after a warm-up, the medians
/// printed (for the record; nothing is asserted on them, only that every run delivered).
#[test]
fn timings_beside_host_example() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && wasmtime_ready()) {
        return;
    }
    let peers = mail_peers();
    let (sent, _) = token_message("wasi-timing-5e1b");
    let message = temp_file("timing.eml", &sent);
    let message = message.to_str().unwrap();
    let ca = peers.certs.cert();
    let submission = format!("127.0.0.1:{}", peers.postfix.submission_port());
    let dns = peers.dns.resolver().to_string();
    let port = peers.postfix.smtp_port().to_string();
    let send: Vec<&str> = vec![
        "send",
        "--server",
        &submission,
        "--tls",
        "starttls",
        "--ca",
        ca.to_str().unwrap(),
        "--user",
        Postfix::USER,
        "--from",
        Postfix::USER,
        "--to",
        "b@example.test",
        "--message",
        message,
        "--ehlo",
        "client.example.test",
        "--json",
    ];
    let deliver: Vec<&str> = vec![
        "deliver",
        "--from",
        "sender@client.example.test",
        "--to",
        "a@example.test",
        "--message",
        message,
        "--dns",
        &dns,
        "--port",
        &port,
        "--allow-private-addresses",
        "--ehlo",
        "client.example.test",
        "--json",
    ];
    let wasmtime = || {
        let mut command = wasmtime_run();
        command
            .args(["--env", &format!("SMTP_PASSWORD={}", Postfix::PASSWORD)])
            .arg(COMPOSED);
        command
    };
    let host_example = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
        command.env("SMTP_PASSWORD", Postfix::PASSWORD);
        command
    };
    let median = |make: &dyn Fn() -> Command, args: &[&str]| {
        let mut times: Vec<Duration> = (0..4)
            .map(|_| {
                let started = Instant::now();
                let output = make().args(args).output().expect("runs");
                json_report(&output, 0);
                started.elapsed()
            })
            .skip(1)
            .collect();
        times.sort();
        times[1]
    };
    for (what, args) in [("submission", &send), ("MX delivery with DANE", &deliver)] {
        let composed = median(&wasmtime, args);
        let native = median(&host_example, args);
        eprintln!(
            "timing: {what}: wasmtime run {:.1} ms, host-example {:.1} ms (medians of 3)",
            composed.as_secs_f64() * 1e3,
            native.as_secs_f64() * 1e3
        );
    }
}
