//! `host-example deliver` end to end through the real binary: MX lookup, DANE, MTA-STS and
//! recipient grouping by domain, with the JSON report and the exit codes asserted.
//!
//! Always run: a zone file (`--zone`) whose MX hosts are our own sink on 127.0.0.1 (`--port`),
//! with STARTTLS and a TLSA record for its certificate; a null MX; bad input (exit 66, 64).
//! With the real peers (`SMTPCLIENT_PEERS=1`): `--dns` at the test's validating Unbound and a
//! Postfix whose certificate the signed zone pins (the zone names of `tests/deliver.rs`), and
//! in the network namespace an MTA-STS policy server on 127.0.0.1:443 for `--sts-cache`.

mod support;

use host_example::sink::Sink;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use support::{TempDir, json_report, mail_peers, peers_enabled, sts_peer};

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: deliver\r\n\r\nhello\r\n.dot\r\n";

fn host_example(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(args)
        .output()
        .expect("host-example runs")
}

/// Runs the binary off the tokio workers, so that a sink in this process can answer.
async fn host_example_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        host_example(&args)
    })
    .await
    .expect("the binary ran")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtpclient-cli-deliver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `deliver` arguments: a message file, an empty MTA-STS cache directory of the test's own,
/// `--json`, and `rest`.
fn deliver_args(message: &Path, sts_cache: &Path, rest: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "deliver",
        "--from",
        "sender@client.example.test",
        "--message",
        message.to_str().unwrap(),
        "--sts-cache",
        sts_cache.to_str().unwrap(),
        "--ehlo",
        "client.example.test",
        "--timeout",
        "10",
        "--json",
        // The MX hosts of the tests are on loopback.
        "--allow-private-addresses",
    ]
    .map(String::from)
    .to_vec();
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

/// A zone for `example.net` and `example.org`, both with MX `mx.example.net` on 127.0.0.1,
/// its TLSA record `tlsa`, and a null MX at `nullmx.example.net`.
fn zone(tlsa: &str) -> String {
    format!(
        "$ORIGIN example.net.\n\
         @ IN MX 10 mx\n\
         mx IN A 127.0.0.1\n\
         _25._tcp.mx IN TLSA {tlsa}\n\
         nullmx IN MX 0 .\n\
         example.org. IN MX 10 mx.example.net.\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn zone_file_two_domains_to_our_sink_over_dane() {
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let zone = temp_file(
        "two-domains.zone",
        zone(&sink.tlsa_3_1_1().unwrap()).as_bytes(),
    );
    let message = temp_file("two-domains.eml", MESSAGE);
    let cache = TempDir::new("sts-cache");
    let port = sink.addr.port().to_string();
    let output = host_example_async(deliver_args(
        &message,
        cache.path(),
        &[
            "--zone",
            zone.to_str().unwrap(),
            "--port",
            &port,
            "--to",
            "b@example.net",
            "--to",
            "d@example.org",
            "--to",
            "c@example.net",
        ],
    ))
    .await;
    let report = json_report(&output, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["error"], Value::Null);
    let recipients = report["recipients"].as_array().unwrap();
    let addresses: Vec<&str> = recipients
        .iter()
        .map(|r| r["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        ["b@example.net", "d@example.org", "c@example.net"]
    );
    for recipient in recipients {
        assert_eq!(recipient["status"], "delivered");
        assert_eq!(recipient["code"], 250);
    }
    // One delivery per domain, each to the MX over DANE-verified STARTTLS.
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{report}");
    for attempt in attempts {
        assert_eq!(attempt["host"], "mx.example.net");
        assert_eq!(attempt["port"], sink.addr.port());
        assert_eq!(attempt["error"], Value::Null);
    }
    assert_eq!(
        report["tls"]["dane_verified_record"],
        sink.tlsa_3_1_1().unwrap().as_str()
    );
    assert!(!report["tlsrpt"].as_array().unwrap().is_empty());
    let mut received = sink.received();
    received.sort_by(|a, b| a.recipients.cmp(&b.recipients));
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].recipients, ["b@example.net", "c@example.net"]);
    assert_eq!(received[1].recipients, ["d@example.org"]);
    for message in &received {
        assert_eq!(message.data, MESSAGE);
        assert!(message.tls);
        assert_eq!(message.mail_from, "sender@client.example.test");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn zone_file_null_mx_exits_69_with_no_mail() {
    let zone = temp_file("nullmx.zone", zone("3 1 1 00").as_bytes());
    let message = temp_file("nullmx.eml", MESSAGE);
    let cache = TempDir::new("sts-cache");
    let output = host_example_async(deliver_args(
        &message,
        cache.path(),
        &[
            "--zone",
            zone.to_str().unwrap(),
            "--to",
            "a@nullmx.example.net",
        ],
    ))
    .await;
    let report = json_report(&output, 69);
    assert_eq!(report["status"], "permanent");
    assert_eq!(report["recipients"][0]["status"], "permanent");
    assert_eq!(report["error"]["kind"], "no-mail");
    assert_eq!(report["attempts"], Value::Array(Vec::new()));
}

/// Issue 18 item 11: an MX on loopback is refused by default (a domain must not point us at
/// our own MTA): the component does not dial it (a `refused` dial event), every recipient
/// fails for good with a `policy` error, exit 69; with `--allow-private-addresses` (the MX
/// route's `allow-private-addresses`) it is delivered.
#[tokio::test(flavor = "multi_thread")]
async fn mx_on_loopback_needs_allow_private_addresses() {
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let zone = temp_file(
        "loopback.zone",
        zone(&sink.tlsa_3_1_1().unwrap()).as_bytes(),
    );
    let message = temp_file("loopback.eml", MESSAGE);
    let cache = TempDir::new("sts-cache");
    let port = sink.addr.port().to_string();
    let args = deliver_args(
        &message,
        cache.path(),
        &[
            "--zone",
            zone.to_str().unwrap(),
            "--port",
            &port,
            "--to",
            "b@example.net",
        ],
    );
    let without_flag: Vec<String> = args
        .iter()
        .filter(|arg| *arg != "--allow-private-addresses")
        .cloned()
        .collect();
    let output = host_example_async(without_flag).await;
    let refused = json_report(&output, 69);
    assert_eq!(refused["status"], "permanent");
    assert_eq!(refused["recipients"][0]["status"], "permanent");
    let error = &refused["error"];
    assert_eq!(error["kind"], "policy", "{refused}");
    let reason = refused["attempts"][0]["error"]["message"].as_str().unwrap();
    assert!(reason.contains("127.0.0.1 is loopback"), "{reason}");
    let dial = &refused["events"][0]["dial"];
    assert_eq!(dial["address"], "127.0.0.1", "{refused}");
    assert_eq!(dial["outcome"], "refused", "{refused}");
    assert_eq!(dial["reason"], "loopback", "{refused}");
    assert!(sink.received().is_empty());

    let output = host_example_async(args).await;
    let allowed = json_report(&output, 0);
    assert_eq!(allowed["status"], "delivered");
    assert_eq!(sink.received().len(), 1);
}

/// Addresses no SMTP server can have are never dialed, not even with
/// `--allow-private-addresses`: 0.0.0.0 (which Linux connects to this machine), multicast,
/// broadcast.
#[tokio::test(flavor = "multi_thread")]
async fn mx_at_unspecified_multicast_or_broadcast_is_never_dialed() {
    let zone = temp_file(
        "never.zone",
        b"$ORIGIN example.net.\n\
          @ IN MX 10 zero\n\
          @ IN MX 20 multicast\n\
          @ IN MX 30 broadcast\n\
          zero IN A 0.0.0.0\n\
          multicast IN A 224.0.0.1\n\
          broadcast IN A 255.255.255.255\n",
    );
    let message = temp_file("never.eml", MESSAGE);
    let cache = TempDir::new("sts-cache");
    let output = host_example_async(deliver_args(
        &message,
        cache.path(),
        &["--zone", zone.to_str().unwrap(), "--to", "b@example.net"],
    ))
    .await;
    let report = json_report(&output, 69);
    assert_eq!(report["error"]["kind"], "policy", "{report}");
    assert_eq!(report["recipients"][0]["status"], "permanent", "{report}");
    let refused: Vec<(&str, &str)> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            let dial = &event["dial"];
            assert_eq!(dial["outcome"], "refused", "{report}");
            (
                dial["address"].as_str().unwrap(),
                dial["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "broadcast")
        ],
        "{report}"
    );
}

#[test]
fn missing_message_file_exits_66() {
    let args = deliver_args(
        Path::new("/nonexistent/message.eml"),
        &temp_dir(),
        &["--to", "a@example.net"],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = host_example(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(66), "stderr: {stderr}");
    assert!(stderr.contains("/nonexistent/message.eml"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn unknown_flag_exits_64() {
    let output = host_example(&["deliver", "--to", "a@example.net", "--bogus-flag"]);
    assert_eq!(output.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--bogus-flag"));
}

/// `deliver` against the peers: `--dns` at Unbound, `--port` Postfix's.
fn deliver_to_peers(token: &str, cache: &Path, rest: &[&str]) -> Output {
    let peers = mail_peers();
    let message = temp_file(
        &format!("{token}.eml"),
        format!("Subject: {token}\r\n\r\nbody {token}\r\n").as_bytes(),
    );
    let dns = peers.dns.resolver().to_string();
    let port = peers.postfix.smtp_port().to_string();
    let mut args = deliver_args(&message, cache, &["--dns", &dns, "--port", &port]);
    args.extend(rest.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    host_example(&args)
}

/// Postfix stored `n` copies of the message with `token`.
fn assert_stored(token: &str, n: usize) {
    let found = support::wait_for(Duration::from_secs(10), || {
        let count = mail_peers()
            .postfix
            .messages_now()
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains(token))
            .count();
        (count >= n).then_some(count)
    });
    assert_eq!(found, Some(n), "postfix should have stored {n} of {token}");
}

#[test]
fn dane_delivery_to_postfix_exits_0() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) {
        return;
    }
    let cache = TempDir::new("sts-cache");
    let token = "cli-dane-6a1f";
    let output = deliver_to_peers(token, cache.path(), &["--to", "a@example.test"]);
    let report = json_report(&output, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["recipients"][0]["code"], 250);
    assert_eq!(report["server"]["host"], "mx.example.test");
    let record = report["tls"]["dane_verified_record"]
        .as_str()
        .expect("DANE");
    assert_eq!(record, format!("3 1 1 {}", mail_peers().certs.tlsa311()));
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["error"], Value::Null);
    let tlsrpt = report["tlsrpt"].as_array().unwrap();
    assert!(
        tlsrpt.iter().any(|r| r["policy"]["policy-type"] == "tlsa"
            && r["summary"]["total-successful-session-count"] == 1),
        "{report}"
    );
    assert_stored(token, 1);
}

#[test]
fn dane_mismatch_exits_75() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) {
        return;
    }
    let cache = TempDir::new("sts-cache");
    let output = deliver_to_peers(
        "cli-badtlsa",
        cache.path(),
        &["--to", "a@badtlsa.example.test"],
    );
    let report = json_report(&output, 75);
    assert_eq!(report["status"], "temporary");
    assert_eq!(report["recipients"][0]["status"], "temporary");
    assert_eq!(report["error"]["kind"], "dane");
    assert_eq!(report["error"]["permanent"], false);
    let attempts = report["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "no plaintext retry: {report}");
    assert_eq!(attempts[0]["error"]["kind"], "dane");
    let tlsrpt = report["tlsrpt"].as_array().unwrap();
    assert!(
        tlsrpt
            .iter()
            .any(|r| r["summary"]["total-failure-session-count"] == 1),
        "{report}"
    );
}

#[test]
fn null_mx_exits_69_with_no_mail() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) {
        return;
    }
    let cache = TempDir::new("sts-cache");
    let output = deliver_to_peers(
        "cli-nullmx",
        cache.path(),
        &["--to", "a@nullmx.example.test"],
    );
    let report = json_report(&output, 69);
    assert_eq!(report["status"], "permanent");
    assert_eq!(report["recipients"][0]["status"], "permanent");
    assert_eq!(report["error"]["kind"], "no-mail");
    assert_eq!(report["error"]["permanent"], true);
    assert_eq!(report["attempts"], Value::Array(Vec::new()));
}

#[test]
fn two_domains_are_two_deliveries() {
    if !(peers_enabled("dns") && peers_enabled("postfix")) {
        return;
    }
    let cache = TempDir::new("sts-cache");
    let token = "cli-two-domains-c2d8";
    let output = deliver_to_peers(
        token,
        cache.path(),
        &["--to", "a@example.test", "--to", "b@insecure.test"],
    );
    let report = json_report(&output, 0);
    assert_eq!(report["status"], "delivered");
    let statuses: Vec<&Value> = report["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, ["delivered", "delivered"]);
    let hosts: Vec<&str> = report["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["mx.example.test", "mx.insecure.test"], "{report}");
    // Two transactions, one message stored for each.
    assert_stored(token, 2);
}

#[test]
fn mta_sts_policy_is_written_to_the_cache_directory() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && peers_enabled("netns")) {
        return;
    }
    let root = sts_peer().root_pem();
    let postfix_cert = mail_peers().certs.cert();
    let cache = TempDir::new("sts-cache");
    let token = "cli-sts-8e0b";
    let output = deliver_to_peers(
        token,
        cache.path(),
        &[
            "--to",
            "a@sts.insecure.test",
            "--ca",
            root.to_str().unwrap(),
            "--ca",
            postfix_cert.to_str().unwrap(),
        ],
    );
    let report = json_report(&output, 0);
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["tls"]["pkix_valid"], true, "{report}");
    let cached = std::fs::read_to_string(cache.path().join("sts.insecure.test.json"))
        .expect("the policy is cached");
    assert!(cached.contains("mode: enforce"), "{cached}");
    assert_stored(token, 1);
}
