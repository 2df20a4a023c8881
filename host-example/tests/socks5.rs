//! Egress through a SOCKS5 proxy and from chosen source addresses (issue 20), through the
//! real binary: `--proxy socks5://[USER@]HOST:PORT` and `--source IP`.
//!
//! With the real peers (`SMTPCLIENT_PEERS=1`, group `socks`): microsocks with a username and
//! password, its outgoing connections from 127.0.0.2 so that our sink can tell they came
//! through it; Dante refusing one destination. Always run: a proxy that accepts and never
//! answers (the connect deadline holds), the egress policy judging the final destination,
//! `--source`, and bad flags.

mod support;

use host_example::sink::Sink;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::{SocksServer, TempDir, peers_enabled};

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: proxied\r\n\r\nhello\r\n.dot\r\n";

const USER: &str = "relay";
const PASSWORD: &str = "s3cret pass";
/// Where microsocks connects from.
const PROXY_OUTGOING: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Runs the binary off the tokio workers (so that a sink in this process can answer), with
/// `password` as the proxy password when given.
async fn host_example(args: Vec<String>, password: Option<&str>) -> Output {
    let password = password.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
        command.args(&args).env_remove("SMTP_PROXY_PASSWORD");
        if let Some(password) = password {
            command.env("SMTP_PROXY_PASSWORD", password);
        }
        command.output().expect("host-example runs")
    })
    .await
    .expect("the binary ran")
}

/// The JSON report, after checking the exit code.
fn report(output: &Output, code: i32) -> Value {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        output.status.code(),
        Some(code),
        "report: {report}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    report
}

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `send` to `server` without TLS, the message from `message`, and `rest`.
fn send_args(server: &str, message: &Path, rest: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "send",
        "--server",
        server,
        "--tls",
        "none",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--timeout",
        "5",
        "--json",
        "--message",
    ]
    .map(String::from)
    .to_vec();
    args.push(message.to_str().unwrap().to_string());
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

/// `deliver` to b@example.net on `port` with the zone `zone`, and `rest`.
fn deliver_args(dir: &TempDir, zone: &str, port: u16, rest: &[&str]) -> Vec<String> {
    let zone = write(dir, "example.net.zone", zone.as_bytes());
    let message = write(dir, "message.eml", MESSAGE);
    let mut args: Vec<String> = [
        "deliver",
        "--from",
        "a@example.org",
        "--to",
        "b@example.net",
        "--ehlo",
        "client.example.org",
        "--timeout",
        "5",
        "--json",
    ]
    .map(String::from)
    .to_vec();
    for (flag, value) in [
        ("--zone", zone.to_str().unwrap().to_string()),
        ("--message", message.to_str().unwrap().to_string()),
        ("--sts-cache", dir.path().to_str().unwrap().to_string()),
        ("--port", port.to_string()),
    ] {
        args.push(flag.to_string());
        args.push(value);
    }
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

/// example.net's MX on 127.0.0.1 with the TLSA record `tlsa` (at port 25, whatever port is
/// dialed).
fn zone(tlsa: &str) -> String {
    format!(
        "$ORIGIN example.net.\n\
         @ IN MX 10 mx\n\
         mx IN A 127.0.0.1\n\
         _25._tcp.mx IN TLSA {tlsa}\n"
    )
}

fn proxy_url(proxy: &SocksServer, user: Option<&str>) -> String {
    match user {
        Some(user) => format!("socks5://{user}@{}", proxy.addr),
        None => format!("socks5://{}", proxy.addr),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn submission_through_the_proxy() {
    if !peers_enabled("socks") {
        return;
    }
    let proxy = SocksServer::microsocks(USER, PASSWORD, &PROXY_OUTGOING.to_string());
    let sink = Sink::start().await.unwrap();
    let dir = TempDir::new("socks-submission");
    let message = write(&dir, "message.eml", MESSAGE);
    let url = proxy_url(&proxy, Some(USER));
    let output = host_example(
        send_args(&sink.addr.to_string(), &message, &["--proxy", &url]),
        Some(PASSWORD),
    )
    .await;
    let report = report(&output, 0);
    assert_eq!(report["status"], "delivered");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, MESSAGE);
    assert_eq!(
        received[0].client.ip(),
        PROXY_OUTGOING,
        "not through the proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mx_delivery_with_dane_through_the_proxy() {
    if !peers_enabled("socks") {
        return;
    }
    let proxy = SocksServer::microsocks(USER, PASSWORD, &PROXY_OUTGOING.to_string());
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let tlsa = sink.tlsa_3_1_1().unwrap();
    let dir = TempDir::new("socks-mx");
    let url = proxy_url(&proxy, Some(USER));
    let args = deliver_args(
        &dir,
        &zone(&tlsa),
        sink.addr.port(),
        &["--allow-private-addresses", "--proxy", &url],
    );
    let report = report(&host_example(args, Some(PASSWORD)).await, 0);
    assert_eq!(report["status"], "delivered");
    assert_eq!(report["tls"]["dane_verified_record"], tlsa.as_str());
    assert_eq!(report["attempts"][0]["ip"], "127.0.0.1");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].data, MESSAGE);
    assert!(received[0].tls);
    assert_eq!(
        received[0].client.ip(),
        PROXY_OUTGOING,
        "not through the proxy"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_proxy_credentials_are_a_temporary_failure() {
    if !peers_enabled("socks") {
        return;
    }
    let proxy = SocksServer::microsocks(USER, PASSWORD, &PROXY_OUTGOING.to_string());
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let dir = TempDir::new("socks-credentials");
    let message = write(&dir, "message.eml", MESSAGE);
    let url = proxy_url(&proxy, Some(USER));
    let output = host_example(
        send_args(&sink.addr.to_string(), &message, &["--proxy", &url]),
        Some("wrong"),
    )
    .await;
    let sent = report(&output, 75);
    assert_eq!(sent["error"]["permanent"], false);
    let text = sent["error"]["message"].as_str().unwrap();
    assert!(
        text.contains(&format!("socks5 proxy {}", proxy.addr))
            && text.contains("refused the username and password (RFC 1929 status"),
        "{text}"
    );
    // No user at all: the proxy accepts no method we offer.
    let no_user = proxy_url(&proxy, None);
    let args = deliver_args(
        &dir,
        &zone("3 1 1 00"),
        sink.addr.port(),
        &["--allow-private-addresses", "--proxy", &no_user],
    );
    let delivered = report(&host_example(args, None).await, 75);
    assert_eq!(delivered["recipients"][0]["status"], "temporary");
    let text = delivered["attempts"][0]["error"]["message"]
        .as_str()
        .unwrap();
    assert!(
        text.contains("accepts none of the offered authentication methods"),
        "{text}"
    );
    assert!(sink.received().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_refusing_the_destination() {
    if !peers_enabled("socks") {
        return;
    }
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let proxy = SocksServer::dante_blocking(sink.addr.port());
    let dir = TempDir::new("socks-refused");
    let url = proxy_url(&proxy, None);
    let args = deliver_args(
        &dir,
        &zone(&sink.tlsa_3_1_1().unwrap()),
        sink.addr.port(),
        &["--allow-private-addresses", "--proxy", &url],
    );
    let report = report(&host_example(args, None).await, 75);
    assert_eq!(report["recipients"][0]["status"], "temporary");
    let text = report["attempts"][0]["error"]["message"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "socks5 proxy {} for 127.0.0.1:{}: reply 2, connection not allowed by ruleset",
            proxy.addr,
            sink.addr.port()
        )),
        "{text}"
    );
    assert!(sink.received().is_empty());
}

/// A listener that accepts connections and never says anything.
fn silent_proxy() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// `--timeout 5` (the arguments' own) bounds the connect through a proxy that never answers.
#[tokio::test(flavor = "multi_thread")]
async fn proxy_that_never_answers_the_connect_deadline_holds() {
    let silent = silent_proxy();
    let url = format!("socks5://{}", silent.local_addr().unwrap());
    let dir = TempDir::new("socks-silent");
    let message = write(&dir, "message.eml", MESSAGE);
    let started = Instant::now();
    let output = host_example(
        send_args("127.0.0.1:25", &message, &["--proxy", &url]),
        None,
    )
    .await;
    let sent = report(&output, 75);
    let text = sent["error"]["message"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "through the socks5 proxy {} timed out",
            silent.local_addr().unwrap()
        )),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let args = deliver_args(
        &dir,
        &zone("3 1 1 00"),
        25,
        &["--allow-private-addresses", "--proxy", &url],
    );
    let delivered = report(&host_example(args, None).await, 75);
    assert_eq!(
        delivered["attempts"][0]["error"]["kind"], "timeout",
        "{delivered}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn egress_policy_judges_the_destination_not_the_proxy() {
    let silent = silent_proxy();
    silent.set_nonblocking(true).unwrap();
    let url = format!("socks5://{}", silent.local_addr().unwrap());
    let dir = TempDir::new("socks-policy");
    let args = deliver_args(&dir, &zone("3 1 1 00"), 25, &["--proxy", &url]);
    let report = report(&host_example(args, None).await, 69);
    assert_eq!(report["error"]["kind"], "policy");
    // Refused before the connector ran: the proxy never saw a connection.
    assert!(silent.accept().is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn source_address_for_send_and_deliver() {
    let source = "127.0.0.3";
    let sink = Sink::start_tls("mx.example.net").await.unwrap();
    let dir = TempDir::new("socks-source");
    let message = write(&dir, "message.eml", MESSAGE);
    let output = host_example(
        send_args(&sink.addr.to_string(), &message, &["--source", source]),
        None,
    )
    .await;
    report(&output, 0);
    let args = deliver_args(
        &dir,
        &zone(&sink.tlsa_3_1_1().unwrap()),
        sink.addr.port(),
        &["--allow-private-addresses", "--source", source],
    );
    report(&host_example(args, None).await, 0);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    for message in received {
        assert_eq!(message.client.ip().to_string(), source);
    }
}

#[tokio::test]
async fn bad_egress_flags_exit_64() {
    let dir = TempDir::new("socks-usage");
    let message = write(&dir, "message.eml", MESSAGE);
    for (rest, password, needle) in [
        (
            vec!["--proxy", "socks5://relay:pw@127.0.0.1:1080"],
            None,
            "never from a flag",
        ),
        (
            vec!["--proxy", "socks5://relay@127.0.0.1:1080"],
            None,
            "SMTP_PROXY_PASSWORD",
        ),
        (
            vec!["--proxy", "http://127.0.0.1:1080"],
            None,
            "only socks5",
        ),
        (vec!["--proxy", "socks5://127.0.0.1"], None, "HOST:PORT"),
        (
            vec!["--source", "127.0.0.3", "--source", "127.0.0.4"],
            None,
            "at most one IPv4",
        ),
        (
            vec![
                "--source",
                "127.0.0.3",
                "--proxy",
                "socks5://127.0.0.1:1080",
            ],
            Some(PASSWORD),
            "cannot be used with",
        ),
    ] {
        let output = host_example(send_args("127.0.0.1:25", &message, &rest), password).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(64), "{rest:?}: {stderr}");
        assert!(stderr.contains(needle), "{rest:?}: {stderr}");
    }
}
