//! The fetch against an in-memory rustls server: the request, PKIX for the policy host,
//! the response in TLS records, timeouts and transport failures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection};

use super::*;
use crate::tls::testing::{self, Alg, Ca, Cert};

const HOST: &str = "mta-sts.example.com";
const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n";

fn server(cert: &Cert) -> ServerConnection {
    let config = ServerConfig::builder_with_provider(Arc::new(rustls_rustcrypto::provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der.clone()], cert.private_key())
        .unwrap();
    ServerConnection::new(Arc::new(config)).unwrap()
}

/// A fetch and a server, connected in memory.
struct Pair {
    fetch: Fetch,
    server: ServerConnection,
    now: Instant,
    /// Plaintext the server received.
    request: Vec<u8>,
}

impl Pair {
    fn new(ca: &Ca, cert_names: &[&str]) -> Self {
        let now = Instant::now();
        let fetch = Fetch::new(
            HOST,
            &[ca.cert.der.to_vec()],
            testing::now(),
            now,
            DEFAULT_TIMEOUT,
        )
        .unwrap();
        let cert = ca.leaf(cert_names, Alg::Ecdsa, false);
        Pair {
            fetch,
            server: server(&cert),
            now,
            request: Vec::new(),
        }
    }

    /// Moves bytes both ways until neither side has anything to send.
    fn pump(&mut self) {
        loop {
            let mut out = Vec::new();
            let sent = self.fetch.poll_transmit(&mut out);
            if sent > 0 {
                let mut rd = &out[..];
                while !rd.is_empty() {
                    self.server.read_tls(&mut rd).unwrap();
                    if self.server.process_new_packets().is_err() {
                        // The server refused; its alert goes back below.
                        break;
                    }
                }
                let mut buf = [0u8; 4096];
                while let Ok(n) = std::io::Read::read(&mut self.server.reader(), &mut buf) {
                    if n == 0 {
                        break;
                    }
                    self.request.extend_from_slice(&buf[..n]);
                }
            }
            let mut back = Vec::new();
            while self.server.wants_write() {
                self.server.write_tls(&mut back).unwrap();
            }
            if !back.is_empty() {
                self.fetch.handle_input(self.now, &back);
            }
            if sent == 0 && back.is_empty() {
                return;
            }
        }
    }

    /// Sends `response` as one TLS record per piece.
    fn respond(&mut self, pieces: &[&[u8]]) {
        for piece in pieces {
            std::io::Write::write_all(&mut self.server.writer(), piece).unwrap();
            let mut back = Vec::new();
            while self.server.wants_write() {
                self.server.write_tls(&mut back).unwrap();
            }
            self.fetch.handle_input(self.now, &back);
        }
    }
}

fn response() -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{POLICY}",
        POLICY.len()
    )
}

#[test]
fn fetches_over_tls_with_the_request_rfc8461_asks_for() {
    let ca = Ca::new("test root");
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    let request = String::from_utf8(pair.request.clone()).unwrap();
    assert!(
        request
            .starts_with("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.example.com\r\n"),
        "{request}"
    );
    assert!(request.ends_with("\r\n\r\n"));
    assert!(pair.fetch.poll_result().is_none());
    assert!(pair.fetch.wants_read());
    let response = response();
    let (a, b) = response.as_bytes().split_at(30);
    pair.respond(&[a, b]);
    let fetched = pair.fetch.poll_result().unwrap().unwrap();
    assert_eq!(fetched.text, POLICY);
    assert_eq!(fetched.policy.mx, ["mx.example.com"]);
    assert!(!pair.fetch.wants_read());
    assert!(pair.fetch.poll_result().is_none());
    let mut out = Vec::new();
    assert_eq!(pair.fetch.poll_transmit(&mut out), 0);
}

#[test]
fn wrong_certificate_name_is_a_webpki_failure() {
    let ca = Ca::new("test root");
    let mut pair = Pair::new(&ca, &["other.example.com"]);
    pair.pump();
    let error = pair.fetch.poll_result().unwrap().unwrap_err();
    let FetchError::Tls { pkix, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        pkix.as_ref()
            .map(|e| crate::tlsrpt::Failure::pkix(e).result_type),
        Some(crate::tlsrpt::failure::CERTIFICATE_HOST_MISMATCH)
    );
    assert_eq!(
        crate::tlsrpt::sts::fetch_result_type(&error),
        "sts-webpki-invalid"
    );
}

#[test]
fn unknown_root_is_a_webpki_failure() {
    let ca = Ca::new("test root");
    let other = Ca::new("other root");
    let now = Instant::now();
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.fetch = Fetch::new(
        HOST,
        &[other.cert.der.to_vec()],
        testing::now(),
        now,
        DEFAULT_TIMEOUT,
    )
    .unwrap();
    pair.pump();
    let error = pair.fetch.poll_result().unwrap().unwrap_err();
    assert_eq!(
        crate::tlsrpt::sts::fetch_result_type(&error),
        "sts-webpki-invalid",
        "{error:?}"
    );
}

#[test]
fn invalid_policy_and_http_errors() {
    let ca = Ca::new("test root");
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    pair.respond(&[
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    ]);
    let error = pair.fetch.poll_result().unwrap().unwrap_err();
    assert!(matches!(error, FetchError::PolicyInvalid(_)), "{error:?}");
    assert_eq!(
        crate::tlsrpt::sts::fetch_result_type(&error),
        "sts-policy-invalid"
    );

    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    pair.respond(&[b"HTTP/1.1 302 Found\r\nLocation: https://x.example/\r\n\r\n"]);
    let error = pair.fetch.poll_result().unwrap().unwrap_err();
    assert!(
        matches!(error, FetchError::Redirect { code: 302, .. }),
        "{error:?}"
    );
    assert_eq!(
        crate::tlsrpt::sts::fetch_result_type(&error),
        "sts-policy-fetch-error"
    );
}

#[test]
fn until_close_and_early_close() {
    let ca = Ca::new("test root");
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    let response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{POLICY}");
    pair.respond(&[response.as_bytes()]);
    assert!(pair.fetch.poll_result().is_none());
    pair.fetch.handle_eof(pair.now);
    assert_eq!(pair.fetch.poll_result().unwrap().unwrap().text, POLICY);

    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    pair.fetch.handle_eof(pair.now);
    assert_eq!(pair.fetch.poll_result(), Some(Err(FetchError::Closed)));
}

#[test]
fn deadline_and_transport_errors() {
    let ca = Ca::new("test root");
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    let deadline = pair.fetch.poll_timeout();
    assert_eq!(deadline, pair.now + DEFAULT_TIMEOUT);
    pair.fetch
        .handle_timeout(deadline - Duration::from_millis(1));
    assert!(pair.fetch.poll_result().is_none());
    pair.fetch.handle_timeout(deadline);
    assert_eq!(pair.fetch.poll_result(), Some(Err(FetchError::Timeout)));

    // Input after the deadline is a timeout too.
    let mut pair = Pair::new(&ca, &[HOST]);
    pair.pump();
    let late = pair.fetch.poll_timeout();
    pair.fetch.handle_input(late, b"x");
    assert_eq!(pair.fetch.poll_result(), Some(Err(FetchError::Timeout)));

    let mut pair = Pair::new(&ca, &[HOST]);
    pair.fetch
        .handle_transport_error("connection reset by peer".into());
    assert_eq!(
        pair.fetch.poll_result(),
        Some(Err(FetchError::Io {
            detail: "connection reset by peer".into()
        }))
    );
    // Once finished, further input changes nothing.
    pair.fetch.handle_eof(pair.now);
    pair.fetch.handle_timeout(pair.now + DEFAULT_TIMEOUT);
    assert!(pair.fetch.poll_result().is_none());
}
