//! `host-example probe` end to end: a real Postfix with STARTTLS (certificate generated for
//! the test) as the MX of a zone-file domain with a matching DANE-EE TLSA record (at port 25,
//! where SMTP publishes them whatever port is dialed); an MX that refuses connections; a null
//! MX. JSON fields and exit codes asserted.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use support::{Certs, Postfix, PostfixConfig, TempDir, peers_enabled};

struct Peer {
    certs: Certs,
    postfix: Postfix,
    zone: PathBuf,
    _dir: TempDir,
}

fn peer() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let certs = Certs::generate();
        let postfix = Postfix::start_with(Some(&certs), &PostfixConfig::default());
        let dir = TempDir::new("probe-zone");
        let zone = dir.path().join("example.test.zone");
        let text = format!(
            "$ORIGIN example.test.\n\
             @ MX 10 mx\n\
             mx A 127.0.0.1\n\
             _25._tcp.mx TLSA {}\n\
             _25._tcp.mx TLSA 1 1 1 00\n\
             down MX 10 mx-down\n\
             mx-down A 127.0.0.2\n\
             null MX 0 .\n",
            certs.tlsa_record()
        );
        std::fs::write(&zone, text).unwrap();
        Peer {
            certs,
            postfix,
            zone,
            _dir: dir,
        }
    })
}

fn probe(domain: &str, json: bool) -> Output {
    let peer = peer();
    let port = peer.postfix.smtp_port().to_string();
    let mut args = vec![
        "probe",
        domain,
        "--zone",
        peer.zone.to_str().unwrap(),
        "--port",
        &port,
        "--timeout",
        "10",
    ];
    if json {
        args.push("--json");
    }
    Command::new(env!("CARGO_BIN_EXE_host-example"))
        .args(&args)
        .output()
        .expect("host-example runs")
}

fn probe_json(domain: &str) -> (Option<i32>, Value) {
    let output = probe(domain, true);
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), json)
}

#[test]
fn postfix_with_dane() {
    if !peers_enabled("postfix") {
        return;
    }
    let (code, json) = probe_json("example.test");
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["domain"], "example.test");
    assert_eq!(json["dnssec"], true);
    let mx = &json["mx"][0];
    assert_eq!(mx["host"], "mx.example.test.");
    assert_eq!(mx["preference"], 10);
    assert_eq!(mx["addresses"], serde_json::json!(["127.0.0.1"]));
    assert_eq!(mx["tlsa_dnssec"], true);
    let tlsa = mx["tlsa"].as_array().unwrap();
    assert_eq!(tlsa.len(), 2);
    let record = peer().certs.tlsa_record();
    for entry in tlsa {
        let usable = entry["record"] == record.as_str();
        assert_eq!(entry["usable"], usable, "{entry}");
    }
    let connection = &mx["connection"];
    assert_eq!(connection["error"], Value::Null, "{connection:#}");
    assert_eq!(connection["ip"], "127.0.0.1");
    assert_eq!(connection["starttls"], true);
    let extensions: Vec<&str> = connection["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(extensions.contains(&"PIPELINING"), "{extensions:?}");
    let tls = &connection["tls"];
    assert!(
        tls["version"].as_str().unwrap().starts_with("TLSv1."),
        "{tls}"
    );
    assert!(!tls["cipher"].as_str().unwrap().is_empty());
    // The test certificate chains to no root the probe trusts.
    assert_eq!(tls["pkix_valid"], false);
    assert_eq!(tls["dane"], "valid");
    assert_eq!(tls["dane_verified_record"], record.as_str());
    assert_eq!(json["mta_sts"]["mode"], Value::Null);
}

#[test]
fn human_readable() {
    if !peers_enabled("postfix") {
        return;
    }
    let output = probe("example.test", false);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("MX 10 mx.example.test."), "{text}");
    assert!(text.contains("PKIX invalid, DANE valid"), "{text}");
    assert!(text.contains("MTA-STS: no policy"), "{text}");
}

#[test]
fn unreachable_mx_and_null_mx() {
    if !peers_enabled("postfix") {
        return;
    }
    let (code, json) = probe_json("down.example.test");
    assert_eq!(code, Some(75), "{json:#}");
    let connection = &json["mx"][0]["connection"];
    assert_eq!(connection["ip"], "127.0.0.2");
    assert!(
        connection["error"]
            .as_str()
            .unwrap()
            .contains("connecting to 127.0.0.2"),
        "{connection}"
    );
    assert_eq!(connection["tls"], Value::Null);

    let (code, json) = probe_json("null.example.test");
    assert_eq!(code, Some(69), "{json:#}");
    assert_eq!(json["mx"], serde_json::json!([]));
}
