//! The session over TLS against an in-memory rustls server (rustls/quinn `Pair` style): a
//! scripted SMTP server on a `ServerConnection`, TLS 1.2 and 1.3, ECDSA and RSA, PKIX, DANE,
//! client certificates, failures and the TLS-reporting results they record.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, RootCertStore, ServerConfig, ServerConnection, SupportedProtocolVersion,
};
use sha2::{Digest, Sha256};

use super::*;
use crate::error::ErrorKind;
use crate::tls::testing::{self, Alg, Ca, Cert};
use crate::tls::{ClientCertificate, TlsConfig, Tlsa};
use crate::tlsrpt::ReportContext;

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

#[test]
fn starttls_with_pkix_for_each_version_and_key_type() {
    let ca = Ca::new("Test CA");
    for (version, alg, name, cipher) in [
        (TLS13, Alg::Ecdsa, "TLSv1.3", "TLS13_AES_128_GCM_SHA256"),
        (TLS13, Alg::Rsa, "TLSv1.3", "TLS13_AES_128_GCM_SHA256"),
        (
            TLS12,
            Alg::Ecdsa,
            "TLSv1.2",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            TLS12,
            Alg::Rsa,
            "TLSv1.2",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
    ] {
        let leaf = ca.leaf(&["mx.example"], alg, false);
        let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
        pair.starttls(server_config(version, &[&leaf, &ca.cert], &leaf, None));
        assert!(pair.server_error.is_none(), "{:?}", pair.server_error);
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().expect("tls state");
        assert_eq!(state.version, name);
        assert_eq!(state.cipher_suite, cipher, "{name} {alg:?}");
        assert!(state.pkix_valid);
        assert_eq!(state.dane_verified_record, None);
        assert_eq!(state.peer_certificates.len(), 2);
        assert_eq!(state.peer_certificates[0], leaf.der.to_vec());
        // RFC 3207 §4.2: the extensions are those of the EHLO over TLS only.
        let extensions = pair.session.extensions().unwrap();
        assert!(!extensions.starttls && !extensions.pipelining);
        assert_eq!(extensions.size, Some(1000));
        let results = pair.session.tls_results();
        assert_eq!(counts(&results.recipient_domain), (1, 0));
        assert_eq!(counts(&results.host), (1, 0));
        assert!(results.recipient_domain.failure_details.is_empty());
        // Transactions and QUIT run over TLS.
        pair.session.quit(pair.now);
        pair.expect("QUIT");
        pair.send(&["221 bye"]);
        assert_eq!(pair.events(), [Event::Closed]);
    }
}

#[test]
fn handshake_fed_one_byte_at_a_time() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
    pair.bytewise = true;
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
}

#[test]
fn implicit_tls_handshake_before_the_greeting() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Immediate, pkix_tls(&ca));
    assert_eq!(
        pair.session.poll_timeout(),
        Some(pair.now + Duration::from_secs(60))
    );
    pair.start_tls(server_config(TLS13, &[&leaf], &leaf, None));
    assert!(pair.session.tls_state().is_some());
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    assert_eq!(pair.events(), [Event::Ready]);
    assert_eq!(counts(&pair.session.tls_results().host), (1, 0));
}

#[test]
fn pkix_name_mismatch_fails_the_handshake_and_is_reported() {
    // The reference client's test case C6 (mox's TestClient).
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mox.example"], Alg::Ecdsa, false);
    let mut tls = pkix_tls(&ca);
    tls.remote_hostname = "mismatch.example".into();
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    let error = pair.open_error();
    assert_eq!(error.kind(), ErrorKind::Tls);
    assert!(!error.is_permanent());
    assert_eq!(error.command(), Some(CommandKind::StartTls));
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.recipient_domain), (0, 1));
    assert_eq!(counts(&results.host), (0, 1));
    // The verifier's rejection is reported by its PKIX details only, as in mox.
    assert_eq!(
        reasons(&results.recipient_domain),
        [detail("certificate-host-mismatch", None)]
    );
    assert!(results.host.failure_details.is_empty());
    let details = &results.recipient_domain.failure_details[0];
    assert_eq!(details.sending_mta_ip, "192.0.2.1");
    assert_eq!(details.receiving_ip, "192.0.2.2");
    assert_eq!(details.receiving_mx_hostname, "mismatch.example");
    assert_eq!(details.receiving_mx_helo.as_deref(), Some("mx.example"));
}

#[test]
fn opportunistic_accepts_an_expired_untrusted_certificate_and_records_it() {
    // The reference client's test cases C22, C23: RFC 7435 §4, any certificate will do.
    let leaf = testing::self_signed(&["mox.example"], Alg::Ecdsa, true);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mox.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert!(!pair.session.tls_state().unwrap().pkix_valid);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.recipient_domain), (1, 0));
    assert_eq!(
        reasons(&results.recipient_domain),
        [detail("certificate-expired", None)]
    );
    assert!(results.host.failure_details.is_empty());
}

#[test]
fn dane_ee_verifies_without_pkix() {
    let leaf = testing::self_signed(&["elsewhere.example"], Alg::Rsa, true);
    let record = ee_record(&leaf);
    let tls = TlsConfig {
        dane_records: Some(vec![record.clone()]),
        ..tls_config("mx.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS12, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    let state = pair.session.tls_state().unwrap();
    assert_eq!(state.dane_verified_record, Some(record));
    assert!(!state.pkix_valid);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.host), (1, 0));
    assert!(results.host.failure_details.is_empty());
}

#[test]
fn dane_mismatch_fails_unless_verify_errors_are_ignored() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for ignore in [false, true] {
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&other)]),
            ignore_verify_errors: ignore,
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        if ignore {
            pair.ehlo_after_tls();
        } else {
            let error = pair.open_error();
            assert_eq!(error.kind(), ErrorKind::Dane, "{error}");
        }
        let results = pair.session.tls_results();
        let expected = if ignore { (1, 0) } else { (0, 1) };
        assert_eq!(counts(&results.host), expected);
        assert_eq!(
            reasons(&results.host),
            [detail("validation-failure", Some("dane-no-match"))]
        );
        // PKIX is evaluated for the report even though it is not required.
        assert_eq!(
            reasons(&results.recipient_domain),
            [detail("certificate-not-trusted", None)]
        );
    }
}

/// RFC 7435 §1: opportunistic TLS is unauthenticated encryption (Postfix "may"): whatever
/// the certificate and whatever verification was asked for, the session goes on over TLS;
/// the failures are recorded (the TLS state, TLS-RPT failure details), never fatal.
#[test]
fn opportunistic_never_fails_on_verification_even_when_pkix_or_dane_is_asked_for() {
    let trusted = Ca::new("Test CA");
    let self_signed = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    // What `openssl req -x509` makes: a self-signed CA certificate as the server's.
    let ca_as_server = Ca::with_names("mx.example", &["mx.example"]).cert;
    let wrong_name = trusted.leaf(&["other.example"], Alg::Ecdsa, false);
    let expired = trusted.leaf(&["mx.example"], Alg::Rsa, true);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let cases = [
        (
            "self-signed",
            &self_signed,
            "certificate-not-trusted",
            false,
        ),
        (
            "a ca certificate as the server's",
            &ca_as_server,
            "certificate-not-trusted",
            false,
        ),
        (
            "wrong name",
            &wrong_name,
            "certificate-host-mismatch",
            false,
        ),
        ("expired", &expired, "certificate-expired", false),
        (
            "dane mismatch",
            &self_signed,
            "certificate-not-trusted",
            true,
        ),
    ];
    for (name, cert, result_type, dane) in cases {
        for version in [TLS13, TLS12] {
            let tls = TlsConfig {
                dane_records: dane.then(|| vec![ee_record(&other)]),
                ..pkix_tls(&trusted)
            };
            let mut pair = Pair::new(TlsMode::Opportunistic, tls);
            pair.starttls(server_config(version, &[cert], cert, None));
            assert_eq!(pair.server_error, None, "{name}");
            pair.ehlo_after_tls();
            let state = pair.session.tls_state().expect("tls");
            assert!(!state.pkix_valid, "{name}");
            assert_eq!(state.dane_verified_record, None, "{name}");
            let results = pair.session.tls_results();
            assert_eq!(counts(&results.recipient_domain), (1, 0), "{name}");
            assert_eq!(
                reasons(&results.recipient_domain),
                [detail(result_type, None)],
                "{name}"
            );
            let host = if dane {
                vec![detail("validation-failure", Some("dane-no-match"))]
            } else {
                Vec::new()
            };
            assert_eq!(reasons(&results.host), host, "{name}");
            pair.session.quit(pair.now);
            pair.expect("QUIT");
        }
    }
    // Required STARTTLS with PKIX still refuses the same certificate.
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&trusted));
    pair.starttls(server_config(TLS13, &[&self_signed], &self_signed, None));
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
}

/// RFC 7672 §3.1.1, §3.1.2: a DANE-EE or DANE-TA match authenticates the server, PKIX is not
/// needed as well even when asked for (as `openssl s_client -dane_tlsa_rrdata` and the
/// reference client do); PKIX is still evaluated for the TLS state and the report. RFC 7672
/// §3.1.3: PKIX-TA(0) and PKIX-EE(1) records are unusable in SMTP: one matching the server's
/// certificate neither authenticates it nor stands in for PKIX.
#[test]
fn only_dane_ee_and_dane_ta_records_replace_pkix() {
    let untrusted_ca = Ca::new("Private CA");
    let leaf = untrusted_ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let self_signed = testing::self_signed(&["elsewhere.example"], Alg::Rsa, true);
    let ta_record = Tlsa {
        usage: 2,
        selector: 1,
        matching_type: 1,
        data: Sha256::digest(untrusted_ca.cert.spki()).to_vec(),
    };
    let cases = [
        (
            "dane-ee",
            ee_record(&self_signed),
            vec![&self_signed],
            &self_signed,
        ),
        ("dane-ta", ta_record, vec![&leaf, &untrusted_ca.cert], &leaf),
    ];
    let unrelated = Ca::new("Unrelated CA");
    for (name, record, chain, key) in cases {
        let tls = TlsConfig {
            dane_records: Some(vec![record.clone()]),
            ..pkix_tls(&unrelated)
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &chain, key, None));
        assert_eq!(pair.server_error, None, "{name}");
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().expect("tls");
        assert_eq!(state.dane_verified_record, Some(record), "{name}");
        assert!(!state.pkix_valid, "{name}");
        let results = pair.session.tls_results();
        assert_eq!(counts(&results.host), (1, 0), "{name}");
        assert!(results.host.failure_details.is_empty(), "{name}");
        assert_eq!(
            reasons(&results.recipient_domain).len(),
            1,
            "{name}: the pkix failure is reported"
        );
    }
    for usage in [0, 1] {
        let cert = if usage == 0 {
            &untrusted_ca.cert
        } else {
            &leaf
        };
        let record = Tlsa {
            usage,
            ..ee_record(cert)
        };
        let tls = TlsConfig {
            dane_records: Some(vec![record]),
            ..pkix_tls(&unrelated)
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(
            TLS13,
            &[&leaf, &untrusted_ca.cert],
            &leaf,
            None,
        ));
        let error = pair.open_error();
        assert!(
            matches!(error.kind(), ErrorKind::Dane | ErrorKind::Tls),
            "usage {usage}: {error}"
        );
        assert!(!error.is_permanent());
    }
}

#[test]
fn replayed_certificate_without_its_key_fails() {
    // DANE-EE matches the certificate, but the server cannot sign with its key.
    for version in [TLS13, TLS12] {
        let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
        let thief = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&leaf)]),
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(version, &[&leaf], &thief, None));
        let error = pair.open_error();
        assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
        assert_eq!(counts(&pair.session.tls_results().host), (0, 1));
        assert!(pair.session.tls_state().is_none());
    }
}

#[test]
fn x509_v1_leaf_works_with_dane_ee() {
    for (version, alg) in [
        (TLS13, Alg::Ecdsa),
        (TLS12, Alg::Ecdsa),
        (TLS13, Alg::Rsa),
        (TLS12, Alg::Rsa),
    ] {
        let leaf = testing::v1_self_signed(alg);
        assert!(webpki::EndEntityCert::try_from(&leaf.der).is_err());
        let record = ee_record(&leaf);
        let tls = TlsConfig {
            dane_records: Some(vec![record.clone()]),
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(version, &[&leaf], &leaf, None));
        pair.ehlo_after_tls();
        let state = pair.session.tls_state().unwrap();
        assert_eq!(state.dane_verified_record, Some(record));
        // Without its key it still fails.
        let thief = testing::self_signed(&["mx.example"], alg, false);
        if alg == Alg::Ecdsa {
            let tls = TlsConfig {
                dane_records: Some(vec![ee_record(&leaf)]),
                ..tls_config("mx.example")
            };
            let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
            pair.starttls(server_config(version, &[&leaf], &thief, None));
            assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
        }
    }
}

#[test]
fn opportunistic_without_starttls_records_starttls_not_supported() {
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    assert_eq!(pair.events(), [Event::Ready]);
    let results = pair.session.tls_results();
    for result in [&results.recipient_domain, &results.host] {
        assert_eq!(counts(result), (0, 0));
        assert_eq!(reasons(result), [detail("starttls-not-supported", None)]);
    }
}

#[test]
fn starttls_refused_records_the_reply_code() {
    // Not announced (required TLS sends it anyway): temporary, as a failed certificate.
    for (mode, announce, permanent) in [
        (TlsMode::RequiredStartTls, "250 mx.example", false),
        (TlsMode::RequiredStartTls, "250 STARTTLS", true),
        (TlsMode::Opportunistic, "250 STARTTLS", true),
    ] {
        let mut pair = Pair::new(mode, tls_config("mx.example"));
        pair.send(&["220 mx.example ESMTP"]);
        pair.expect("EHLO client.example");
        pair.send(&["250-mx.example", announce]);
        pair.expect("STARTTLS");
        pair.send(&["502 5.5.1 not implemented"]);
        let error = pair.open_error();
        assert_eq!(error.kind(), ErrorKind::Tls);
        assert_eq!(error.is_permanent(), permanent, "{mode:?} {announce}");
        let results = pair.session.tls_results();
        for result in [&results.recipient_domain, &results.host] {
            assert_eq!(counts(result), (0, 1));
            assert_eq!(
                reasons(result),
                [detail(
                    "starttls-not-supported",
                    Some("smtp-starttls-reply-code-502")
                )]
            );
        }
    }
}

#[test]
fn injected_bytes_after_220_are_reported() {
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls_config("mx.example"));
    pair.send(&["220 mx.example ESMTP"]);
    pair.expect("EHLO client.example");
    pair.send(&["250 mx.example"]);
    pair.expect("STARTTLS");
    pair.send(&["220 go ahead", "250 injected"]);
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
    assert!(pair.session.is_botched());
    assert!(pair.received.is_empty(), "no client hello after injection");
    assert_eq!(
        reasons(&pair.session.tls_results().host),
        [detail(
            "validation-failure",
            Some("tls-record-header-error")
        )]
    );
}

#[test]
fn client_certificate_is_presented() {
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let client = ca.leaf(&["client.example"], Alg::Ecdsa, false);
    let tls = TlsConfig {
        client_certificate: Some(ClientCertificate {
            chain: vec![client.der.to_vec()],
            key: client.key.serialize_der(),
        }),
        ..pkix_tls(&ca)
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, Some(&ca.cert)));
    pair.ehlo_after_tls();
    let presented = pair.server.as_ref().unwrap().peer_certificates().unwrap();
    assert_eq!(presented, [CertificateDer::from(client.der.to_vec())]);
}

#[test]
fn alert_on_the_first_read_after_the_handshake_turns_success_into_failure() {
    // TLS 1.3: the server checks the client certificate after the client's Finished.
    let ca = Ca::new("Test CA");
    let leaf = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::RequiredStartTls, pkix_tls(&ca));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, Some(&ca.cert)));
    let error = pair.open_error();
    assert_eq!(error.kind(), ErrorKind::Tls, "{error}");
    let results = pair.session.tls_results();
    for result in [&results.recipient_domain, &results.host] {
        assert_eq!(counts(result), (0, 1));
        assert_eq!(
            reasons(result),
            [detail(
                "validation-failure",
                Some("tls-remote-alert-116-certificate-required")
            )]
        );
    }
}

#[test]
fn rejected_server_receives_the_fatal_alert() {
    // RFC 8446 §6.2: the client sends the alert rustls makes of the verifier's error, then
    // gives the connection up.
    let ca = Ca::new("Test CA");
    let other_ca = Ca::new("Other CA");
    let good = ca.leaf(&["mx.example"], Alg::Ecdsa, false);
    let wrong_name = ca.leaf(&["other.example"], Alg::Rsa, false);
    let expired = ca.leaf(&["mx.example"], Alg::Ecdsa, true);
    let thief = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    // What `openssl req -x509` makes: a self-signed CA certificate as the server's.
    let self_signed_ca = Ca::with_names("mx.example", &["mx.example"]);
    let dane = |record: Tlsa| TlsConfig {
        dane_records: Some(vec![record]),
        ..tls_config("mx.example")
    };
    let cases = [
        (
            "unknown issuer",
            pkix_tls(&other_ca),
            &good,
            &good,
            AlertDescription::UnknownCA,
        ),
        (
            "self-signed ca",
            pkix_tls(&ca),
            &self_signed_ca.cert,
            &self_signed_ca.cert,
            AlertDescription::UnknownCA,
        ),
        (
            "wrong name",
            pkix_tls(&ca),
            &wrong_name,
            &wrong_name,
            AlertDescription::BadCertificate,
        ),
        (
            "expired",
            pkix_tls(&ca),
            &expired,
            &expired,
            AlertDescription::CertificateExpired,
        ),
        (
            "dane mismatch",
            dane(ee_record(&thief)),
            &good,
            &good,
            AlertDescription::AccessDenied,
        ),
        (
            "replayed certificate",
            dane(ee_record(&good)),
            &good,
            &thief,
            AlertDescription::DecryptError,
        ),
    ];
    for (name, tls, chain, key, alert) in cases {
        for version in [TLS13, TLS12] {
            let mut pair = Pair::new(TlsMode::RequiredStartTls, tls.clone());
            pair.starttls(server_config(version, &[chain], key, None));
            let error = pair.open_error();
            assert!(
                matches!(error.kind(), ErrorKind::Tls | ErrorKind::Dane),
                "{name}: {error}"
            );
            assert!(pair.session.is_closed(), "{name}");
            assert_eq!(
                pair.server_error,
                Some(rustls::Error::AlertReceived(alert)),
                "{name}, {:?}",
                version.version
            );
        }
    }
}

#[test]
fn ehlo_refused_after_starttls_is_not_retried_with_helo() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.expect("EHLO client.example");
    pair.send(&["502 no ehlo here"]);
    let error = pair.open_error();
    assert!(matches!(error, Error::EhloAfterTls { .. }));
    assert!(error.is_permanent());
    pair.pump();
    assert!(pair.received.is_empty(), "no HELO");
}

#[test]
fn channel_binding_only_on_tls13() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for version in [TLS13, TLS12] {
        let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
        assert_eq!(pair.session.channel_binding(), None);
        pair.starttls(server_config(version, &[&leaf], &leaf, None));
        pair.ehlo_after_tls();
        let binding = pair.session.channel_binding();
        if version == TLS13 {
            let mut server = [0u8; 32];
            pair.server
                .as_ref()
                .unwrap()
                .export_keying_material(&mut server, b"EXPORTER-Channel-Binding", Some(&[]))
                .unwrap();
            assert_eq!(binding.as_deref(), Some(&server[..]));
        } else {
            assert_eq!(binding, None);
        }
    }
}

#[test]
fn handshake_timeout_and_eof_are_reported() {
    for eof in [false, true] {
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls_config("mx.example"));
        pair.send(&["220 mx.example ESMTP"]);
        pair.expect("EHLO client.example");
        pair.send(&["250 mx.example"]);
        pair.expect("STARTTLS");
        pair.send(&["220 go ahead"]);
        // The server never answers the ClientHello.
        let deadline = pair.session.poll_timeout().unwrap();
        assert_eq!(deadline, pair.now + Duration::from_secs(60));
        if eof {
            pair.session.handle_eof(pair.now);
        } else {
            pair.session.handle_timeout(deadline);
        }
        let error = pair.open_error();
        assert_eq!(error.command(), Some(CommandKind::StartTls));
        let reason = if eof {
            assert_eq!(error.kind(), ErrorKind::Io);
            "connection-closed-during-handshake"
        } else {
            assert_eq!(error.kind(), ErrorKind::Timeout);
            "io-timeout-during-handshake"
        };
        assert_eq!(
            reasons(&pair.session.tls_results().recipient_domain),
            [detail("validation-failure", Some(reason))]
        );
    }
}

#[test]
fn peer_speaking_plaintext_is_a_record_header_error() {
    let mut pair = Pair::new(TlsMode::Immediate, tls_config("mx.example"));
    pair.pump();
    pair.received.clear();
    pair.feed_session(b"220 mx.example ESMTP\r\n");
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
    let results = pair.session.tls_results();
    assert_eq!(counts(&results.host), (0, 1));
    assert_eq!(
        reasons(&results.host),
        [detail(
            "validation-failure",
            Some("tls-record-header-error")
        )]
    );
}

#[test]
fn bad_extra_root_fails_before_connecting() {
    let tls = TlsConfig {
        extra_roots: vec![b"not a certificate".to_vec()],
        ..tls_config("mx.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    assert_eq!(pair.open_error().kind(), ErrorKind::Tls);
}

#[test]
fn queue_of_events_is_drained() {
    // The pair leaves nothing behind in a successful open.
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert_eq!(VecDeque::from(pair.events()), VecDeque::new());
}

#[test]
fn mox_c2_required_starttls_pkix_and_requiretls_transaction() {
    // The reference client's test case C2: the self-signed mox.example certificate is its own
    // root (as Go accepts); the EHLO over TLS announces REQUIRETLS; MAIL, RCPT and DATA are
    // pipelined.
    let leaf = testing::self_signed(&["mox.example"], Alg::Ecdsa, false);
    let tls = TlsConfig {
        verify_pkix: true,
        extra_roots: vec![leaf.der.to_vec()],
        ..tls_config("mox.example")
    };
    let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
    pair.send(&["220 mox.example ESMTP test"]);
    pair.expect("EHLO client.example");
    pair.send(&["250-mox.example", "250-PIPELINING", "250 STARTTLS"]);
    pair.expect("STARTTLS");
    pair.send(&["220 go"]);
    pair.start_tls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.expect("EHLO client.example");
    pair.send(&[
        "250-mox.example",
        "250-PIPELINING",
        "250-SIZE 512",
        "250-ENHANCEDSTATUSCODES",
        "250-8BITMIME",
        "250-SMTPUTF8",
        "250-REQUIRETLS",
        "250 LIMITS MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1",
    ]);
    assert_eq!(pair.events(), [Event::Ready]);
    let message =
        b"From: <postmaster@mox.example>\r\nTo: <mjl@mox.example>\r\nSubject: test\r\n\r\ntest\r\n";
    let tx = Transaction {
        mail_from: "postmaster@mox.example".into(),
        recipients: vec!["mjl@mox.example".into()],
        size: Some(78),
        require_8bitmime: true,
        require_smtputf8: true,
        require_tls: true,
        ..Transaction::default()
    };
    pair.session.start_transaction(pair.now, tx).unwrap();
    pair.expect("MAIL FROM:<postmaster@mox.example> SIZE=78 BODY=8BITMIME SMTPUTF8 REQUIRETLS");
    pair.expect("RCPT TO:<mjl@mox.example>");
    pair.expect("DATA");
    pair.send(&["250 2.1.0 ok", "250 2.1.5 ok", "354 continue"]);
    // Part copied, part handed over as a buffer (which goes to rustls as it is).
    let (head, rest) = message.split_at(20);
    pair.session.push_message_data(pair.now, head).unwrap();
    pair.session
        .push_message_buffer(pair.now, rest.to_vec())
        .unwrap();
    pair.session.finish_message(pair.now).unwrap();
    pair.pump();
    let data: Vec<u8> = pair.received.drain(..).collect();
    assert_eq!(data, [&message[..], b".\r\n"].concat());
    pair.send(&["250 2.0.0 ok"]);
    match &pair.events()[..] {
        [Event::TransactionDone(Ok(outcome))] => {
            assert_eq!(outcome.reply.code, ReplyCode::OK);
            assert!(outcome.recipients[0].accepted);
        }
        other => panic!("{other:?}"),
    }
}

/// The client's next line, whatever it is.
fn client_line(pair: &mut Pair) -> String {
    pair.pump();
    let end = pair
        .received
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("a line from the client");
    let line: Vec<u8> = pair.received.drain(..end + 2).collect();
    String::from_utf8(line[..end].to_vec()).expect("ascii")
}

/// The server's side of SCRAM (RFC 5802 §3): the client proof it expects and its own
/// signature, for `password`, `salt`, `iterations` and the AuthMessage.
fn scram_server_keys(
    sha256: bool,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    auth_message: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    use hmac::{Hmac, Mac};
    macro_rules! keys {
        ($d:ty) => {{
            let mut salted = vec![0u8; <$d as Digest>::output_size()];
            pbkdf2::pbkdf2_hmac::<$d>(password, salt, iterations, &mut salted);
            let mac = |key: &[u8], message: &[u8]| {
                let mut mac = <Hmac<$d> as Mac>::new_from_slice(key).unwrap();
                Mac::update(&mut mac, message);
                mac.finalize().into_bytes().to_vec()
            };
            let client_key = mac(&salted, b"Client Key");
            let stored_key = <$d as Digest>::digest(&client_key);
            let client_signature = mac(&stored_key, auth_message);
            let proof = client_key
                .iter()
                .zip(&client_signature)
                .map(|(k, s)| k ^ s)
                .collect();
            (proof, mac(&mac(&salted, b"Server Key"), auth_message))
        }};
    }
    if sha256 {
        keys!(Sha256)
    } else {
        keys!(sha1::Sha1)
    }
}

#[test]
fn scram_plus_with_tls_exporter_after_starttls() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    // The reference client's test cases C18 and C20: SCRAM-SHA-1-PLUS (8192 iterations) and
    // SCRAM-SHA-256-PLUS (4096) after STARTTLS, channel binding tls-exporter on TLS 1.3
    // (RFC 9266, RFC 5802 §6).
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    for (mechanism, sha256, iterations) in [
        ("SCRAM-SHA-1-PLUS", false, 8192),
        ("SCRAM-SHA-256-PLUS", true, 4096),
    ] {
        let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
        pair.session.config.auth = Some(AuthConfig {
            credentials: crate::sasl::Credentials::password("test", "test"),
            mechanisms: Vec::new(),
            allow_cleartext_without_tls: false,
            client_nonce: b"0123456789abcdef".to_vec(),
        });
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        pair.expect("EHLO client.example");
        pair.send(&["250-mx.example", &format!("250 AUTH {mechanism}")]);
        let line = client_line(&mut pair);
        let first = line
            .strip_prefix(&format!("AUTH {mechanism} "))
            .expect("initial response");
        let first = String::from_utf8(STANDARD.decode(first).unwrap()).unwrap();
        let (gs2, bare) = first.split_at(first.find(",,").unwrap() + 2);
        assert_eq!(gs2, "p=tls-exporter,,");
        let client_nonce = bare.split(',').find_map(|p| p.strip_prefix("r=")).unwrap();
        let nonce = format!("{client_nonce}server-nonce-part");
        let salt = b"salt-of-the-test";
        let server_first = format!("r={nonce},s={},i={iterations}", STANDARD.encode(salt));
        pair.send(&[&format!("334 {}", STANDARD.encode(&server_first))]);
        let last = String::from_utf8(STANDARD.decode(client_line(&mut pair)).unwrap()).unwrap();
        let (without_proof, proof) = last.rsplit_once(",p=").unwrap();
        let mut exporter = [0u8; 32];
        pair.server
            .as_ref()
            .unwrap()
            .export_keying_material(&mut exporter, b"EXPORTER-Channel-Binding", Some(&[]))
            .unwrap();
        let mut binding = gs2.as_bytes().to_vec();
        binding.extend_from_slice(&exporter);
        assert_eq!(
            without_proof,
            format!("c={},r={nonce}", STANDARD.encode(&binding))
        );
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let (want_proof, signature) =
            scram_server_keys(sha256, b"test", salt, iterations, auth_message.as_bytes());
        assert_eq!(STANDARD.decode(proof).unwrap(), want_proof, "{mechanism}");
        let server_final = format!("v={}", STANDARD.encode(&signature));
        pair.send(&[&format!("334 {}", STANDARD.encode(server_final))]);
        pair.expect("");
        pair.send(&["235 2.7.0 auth ok"]);
        assert_eq!(pair.events(), [Event::Ready], "{mechanism}");
        assert_eq!(pair.session.authenticated(), Some(mechanism));
    }
}

#[test]
fn ignored_verification_failures_are_observed() {
    // DANE and PKIX both required and both failing: fatal, or two events when ignored
    // ("TLS-Required: No"); with PKIX not asked for (plain opportunistic), no event at all.
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let other = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let ignored = |session: &mut Session| -> Vec<String> {
        session
            .take_observed_events()
            .into_iter()
            .filter_map(|event| match event {
                crate::event::Event::VerificationIgnored { host, reason } => {
                    assert_eq!(host, "mx.example");
                    Some(reason)
                }
                _ => None,
            })
            .collect()
    };
    for ignore in [false, true] {
        let tls = TlsConfig {
            dane_records: Some(vec![ee_record(&other)]),
            verify_pkix: true,
            ignore_verify_errors: ignore,
            ..tls_config("mx.example")
        };
        let mut pair = Pair::new(TlsMode::RequiredStartTls, tls);
        pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
        if ignore {
            pair.ehlo_after_tls();
            let reasons = ignored(&mut pair.session);
            assert_eq!(reasons.len(), 2, "{reasons:?}");
            assert_eq!(reasons[0], "dane: no tlsa record matched");
            assert!(reasons[1].starts_with("pkix: "), "{reasons:?}");
        } else {
            assert_eq!(pair.open_error().kind(), ErrorKind::Dane);
            assert!(ignored(&mut pair.session).is_empty());
        }
    }
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    assert!(ignored(&mut pair.session).is_empty());
}

#[test]
fn commands_around_tls_are_observed_without_the_handshake() {
    let leaf = testing::self_signed(&["mx.example"], Alg::Ecdsa, false);
    let mut pair = Pair::new(TlsMode::Opportunistic, tls_config("mx.example"));
    pair.starttls(server_config(TLS13, &[&leaf], &leaf, None));
    pair.ehlo_after_tls();
    let commands: Vec<(CommandKind, Option<u16>)> = pair
        .session
        .take_observed_events()
        .into_iter()
        .map(|event| match event {
            crate::event::Event::Command { command, code, .. } => (command, code),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        commands,
        [
            (CommandKind::Greeting, Some(220)),
            (CommandKind::Ehlo, Some(250)),
            (CommandKind::StartTls, Some(220)),
            (CommandKind::Ehlo, Some(250)),
        ]
    );
}
