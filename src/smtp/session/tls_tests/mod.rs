//! The session over TLS against an in-memory rustls server (rustls/quinn `Pair` style): a
//! scripted SMTP server on a `ServerConnection`, TLS 1.2 and 1.3, ECDSA and RSA, PKIX, DANE,
//! client certificates, failures and the TLS-reporting results they record.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig, ServerConnection, SupportedProtocolVersion};
use sha2::{Digest, Sha256};

use super::*;
use crate::tls::testing::{self, Ca, Cert};
use crate::tls::{TlsConfig, Tlsa};
use crate::tlsrpt::ReportContext;

mod dane;
mod handshake;
mod observed;
mod over_tls;
mod starttls;
mod verification;

const TLS12: &SupportedProtocolVersion = &rustls::version::TLS12;
const TLS13: &SupportedProtocolVersion = &rustls::version::TLS13;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls_rustcrypto::provider())
}

/// Presents `chain` and signs with `key`, whether they belong together or not.
#[derive(Debug)]
struct AnyKey(Arc<CertifiedKey>);

impl ResolvesServerCert for AnyKey {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

fn server_config(
    version: &'static SupportedProtocolVersion,
    chain: &[&Cert],
    key: &Cert,
    client_ca: Option<&Cert>,
) -> Arc<ServerConfig> {
    let provider = provider();
    let signing = provider
        .key_provider
        .load_private_key(key.private_key())
        .unwrap();
    let certified = CertifiedKey::new(chain.iter().map(|c| c.der.clone()).collect(), signing);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca.der.clone()).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(builder.with_cert_resolver(Arc::new(AnyKey(Arc::new(certified)))))
}

fn tls_config(remote: &str) -> TlsConfig {
    TlsConfig {
        remote_hostname: remote.into(),
        wall_clock: testing::now(),
        ..TlsConfig::default()
    }
}

/// A session and a scripted server, with bytes pumped between them.
struct Pair {
    session: Session,
    now: Instant,
    server: Option<ServerConnection>,
    server_error: Option<rustls::Error>,
    /// Plaintext the server received, not yet read as lines.
    received: Vec<u8>,
    /// Feed the session one byte at a time.
    bytewise: bool,
}

impl Pair {
    fn new(mode: TlsMode, tls: TlsConfig) -> Self {
        let now = Instant::now();
        let config = SessionConfig {
            ehlo_hostname: "client.example".into(),
            tls_mode: mode,
            timeouts: Timeouts::default(),
            tls_results: crate::tlsrpt::TlsResults::no_policy(&tls.remote_hostname),
            report: ReportContext {
                sending_mta_ip: "192.0.2.1".into(),
                receiving_ip: "192.0.2.2".into(),
                ..ReportContext::default()
            },
            tls,
            auth: None,
        };
        Pair {
            session: Session::new(config, now),
            now,
            server: None,
            server_error: None,
            received: Vec::new(),
            bytewise: false,
        }
    }

    fn feed_session(&mut self, bytes: &[u8]) {
        if self.bytewise {
            for b in bytes {
                self.session.handle_input(self.now, std::slice::from_ref(b));
            }
        } else {
            self.session.handle_input(self.now, bytes);
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn pump(&mut self) {
        loop {
            let mut out = Vec::new();
            let mut progressed = self.session.poll_transmit(&mut out) > 0;
            let to_client = self.server_receive(&out);
            if !to_client.is_empty() {
                progressed = true;
                self.feed_session(&to_client);
            }
            if !progressed {
                return;
            }
        }
    }

    /// The server takes `bytes` from the client; returns what it sends back.
    fn server_receive(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut to_client = Vec::new();
        let Some(tls) = &mut self.server else {
            self.received.extend_from_slice(bytes);
            return to_client;
        };
        let mut rd = bytes;
        while !rd.is_empty() && self.server_error.is_none() {
            tls.read_tls(&mut rd).unwrap();
            match tls.process_new_packets() {
                Ok(_) => {
                    let _ = tls.reader().read_to_end(&mut self.received);
                }
                Err(e) => self.server_error = Some(e),
            }
        }
        while tls.wants_write() {
            tls.write_tls(&mut to_client).unwrap();
        }
        to_client
    }

    /// The server sends `lines`.
    fn send(&mut self, lines: &[&str]) {
        let bytes: Vec<u8> = lines
            .iter()
            .flat_map(|l| format!("{l}\r\n").into_bytes())
            .collect();
        match &mut self.server {
            None => self.feed_session(&bytes),
            Some(tls) => tls.writer().write_all(&bytes).unwrap(),
        }
        self.pump();
    }

    /// The server expects the client's next line to be `want`.
    fn expect(&mut self, want: &str) {
        self.pump();
        let end = self
            .received
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or_else(|| panic!("no line from the client, want {want:?}"));
        let line: Vec<u8> = self.received.drain(..end + 2).collect();
        assert_eq!(String::from_utf8_lossy(&line[..end]), want);
    }

    /// The server starts TLS; what the client sent since (its ClientHello) goes to TLS.
    fn start_tls(&mut self, config: Arc<ServerConfig>) {
        self.pump();
        let hello = std::mem::take(&mut self.received);
        assert!(!hello.is_empty(), "no client hello");
        self.server = Some(ServerConnection::new(config).unwrap());
        let to_client = self.server_receive(&hello);
        self.feed_session(&to_client);
        self.pump();
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.session.poll_event()).collect()
    }

    fn open_error(&mut self) -> Error {
        match self.events().into_iter().next() {
            Some(Event::OpenFailed(error)) => error,
            other => panic!("expected open-failed, got {other:?}"),
        }
    }

    /// Greeting, EHLO announcing STARTTLS, STARTTLS, 220, handshake with `config`, EHLO.
    fn starttls(&mut self, config: Arc<ServerConfig>) {
        self.send(&["220 mx.example ESMTP"]);
        self.expect("EHLO client.example");
        self.send(&["250-mx.example", "250-PIPELINING", "250 STARTTLS"]);
        self.expect("STARTTLS");
        self.send(&["220 2.0.0 go ahead"]);
        self.start_tls(config);
    }

    /// The EHLO after TLS, answered; the session is then ready.
    fn ehlo_after_tls(&mut self) {
        self.expect("EHLO client.example");
        self.send(&["250-mx.example", "250 SIZE 1000"]);
        assert_eq!(self.events(), [Event::Ready]);
    }
}

fn counts(result: &crate::tlsrpt::PolicyResult) -> (u64, u64) {
    (
        result.summary.total_successful_session_count,
        result.summary.total_failure_session_count,
    )
}

fn reasons(result: &crate::tlsrpt::PolicyResult) -> Vec<(String, Option<String>)> {
    result
        .failure_details
        .iter()
        .map(|d| (d.result_type.clone(), d.failure_reason_code.clone()))
        .collect()
}

fn detail(result_type: &str, reason: Option<&str>) -> (String, Option<String>) {
    (result_type.into(), reason.map(str::to_string))
}

/// The recipient domain's and the host's results both count `sessions` (successful, failed)
/// and hold the one failure detail `result_type` / `reason`.
fn assert_recorded(
    results: &crate::tlsrpt::TlsResults,
    sessions: (u64, u64),
    result_type: &str,
    reason: Option<&str>,
) {
    for result in [&results.recipient_domain, &results.host] {
        assert_eq!(counts(result), sessions);
        assert_eq!(reasons(result), [detail(result_type, reason)]);
    }
}

fn pkix_tls(ca: &Ca) -> TlsConfig {
    TlsConfig {
        verify_pkix: true,
        extra_roots: vec![ca.cert.der.to_vec()],
        ..tls_config("mx.example")
    }
}

fn ee_record(cert: &Cert) -> Tlsa {
    Tlsa {
        usage: 3,
        selector: 1,
        matching_type: 1,
        data: Sha256::digest(cert.spki()).to_vec(),
    }
}
