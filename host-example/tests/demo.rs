//! README's run command, `host-example demo`, works offline: an MX delivery with STARTTLS and
//! DANE-EE through the component to the demo's own server, reported and stored intact.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn demo_delivers_offline_over_dane_verified_starttls() {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .arg("demo")
        .output()
        .expect("host-example runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["recipients"][0]["address"], "bob@example.net");
    assert_eq!(report["recipients"][0]["status"], "delivered");
    assert_eq!(report["server"]["host"], "mx.example.net");
    assert_eq!(report["server"]["ip"], "127.0.0.1");
    let attempts = report["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{report}");
    assert_eq!(attempts[0]["error"], serde_json::Value::Null);

    // The record the certificate was verified by is the one the zone published.
    let tls = &report["tls"];
    assert_eq!(tls["version"], "TLSv1.3", "{report}");
    let record = tls["dane_verified_record"].as_str().expect("DANE verified");
    assert!(record.starts_with("3 1 1 "), "{record}");
    assert!(
        stderr.contains(&format!("_25._tcp.mx IN TLSA {record}")),
        "the zone's TLSA record: {stderr}"
    );
    assert!(
        stderr.contains("dns: MX example.net. -> 10 mx.example.net. (authentic)"),
        "MX lookup missing: {stderr}"
    );
    let tlsa_policy = report["tlsrpt"]
        .as_array()
        .expect("tlsrpt")
        .iter()
        .find(|r| r["policy"]["policy-type"] == "tlsa")
        .expect("a TLSA policy result");
    assert_eq!(tlsa_policy["policy"]["policy-string"][0], record);
    assert_eq!(tlsa_policy["summary"]["total-successful-session-count"], 1);

    // STARTTLS, then EHLO again inside TLS, then the transaction.
    let starttls = stderr.find("C: STARTTLS").expect("STARTTLS sent");
    let ready = stderr.find("S: 220 2.0.0 ready to start TLS").expect("220");
    let mail = stderr
        .find("C: MAIL FROM:<alice@example.org>")
        .expect("MAIL");
    assert!(starttls < ready && ready < mail, "{stderr}");
    assert_eq!(stderr.matches("C: EHLO demo.example.org").count(), 2);
    assert!(
        stderr.contains("received inside TLS, identical to what was sent"),
        "{stderr}"
    );
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}
