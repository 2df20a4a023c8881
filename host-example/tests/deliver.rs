//! Whole delivery attempts (`delivery.deliver`) through the component in wasmtime against real
//! servers: a DNSSEC-signed zone behind a validating Unbound (`tests/peers/dns-peer.sh`) and a
//! Postfix with STARTTLS whose certificate the zone's TLSA records pin. Every MX name leads to
//! 127.0.0.1; Postfix listens on port 25 and Unbound on 53, the system resolver of the test's
//! network namespace (`scripts/test.sh`), so the host uses them as it would on a real machine.
//!
//! Cases: DANE success; DANE mismatch (temporary, no plaintext retry); TLSA present but
//! unusable (TLS without verification); an insecure zone (no DANE, opportunistic TLS); the
//! first MX down and the second used; a recipient-limit split into a second transaction; a
//! null MX; a failed opportunistic handshake retried without TLS (and not under DANE), against
//! a scripted server of the test's own; MTA-STS enforce with a policy served over HTTPS on
//! 127.0.0.1:443 (a test root signs its certificate): PKIX-verified delivery, and an MX the
//! policy does not list refused before dialing.

mod support;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use host_example::bindings::client::{Envelope, LineEndings, Recipient};
use host_example::bindings::delivery::{
    DeliveryReport, DeliveryRequest, MxRoute, RecipientStatus, Route, TlsLevel,
};
use host_example::bindings::exports::smtp::client::tls_report::ResultType;
use host_example::bindings::resolver::IpFamily;
use host_example::bindings::types::{Domain, ErrorKind, IpDomain};
use host_example::convert::ip_domain_text;
use host_example::deliver::deliver_domain;
use host_example::dns::{DnsResolver, Resolver};
use host_example::log_impl::Silent;
use host_example::spool_impl::SpoolMessage;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use support::{Certs, Dns, DnsConfig, Postfix, PostfixConfig, peers_enabled, sts_peer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Postfix, the DNS peers sharing its certificate, and a host resolving through them.
struct Peers {
    postfix: Postfix,
    _dns: Dns,
    certs: Certs,
    host: Host,
}

/// Postfix's MX port is the real one, 25, and Unbound answers on 53 as the namespace's system
/// resolver (its /etc/resolv.conf names 127.0.0.1): the host finds it as any host would.
fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let certs = Certs::generate();
        let free = support::free_ports(2);
        let config = PostfixConfig {
            ports: Some((25, free[0], free[1])),
            recipient_limit: Some(2),
            ..PostfixConfig::default()
        };
        let postfix = Postfix::start_with(Some(&certs), &config);
        let dns_config = DnsConfig {
            resolver_port: Some(53),
            ..DnsConfig::default()
        };
        let dns = Dns::start_with(Some(&certs), &dns_config);
        let resolver = DnsResolver::from_system().expect("the namespace's resolv.conf");
        let host = Host::new(
            EMBEDDED_COMPONENT,
            HostConfig::command_line(Arc::new(Resolver::Dns(resolver)), Arc::new(Silent)),
        )
        .expect("component loads");
        Peers {
            postfix,
            _dns: dns,
            certs,
            host,
        }
    })
}

fn domain(ascii: &str) -> Domain {
    Domain {
        ascii: ascii.into(),
        unicode: None,
    }
}

fn request(next_hop: &str, port: u16) -> DeliveryRequest {
    DeliveryRequest {
        next_hop: IpDomain::Domain(domain(next_hop)),
        route: Route::Mx(MxRoute {
            port,
            tls_level: TlsLevel::Dane,
            cached_sts_policy: None,
            ip_family: IpFamily::Any,
            // Every MX of the test zone leads to 127.0.0.1.
            allow_private_addresses: true,
            address_limit: None,
            session_limit: None,
        }),
        ehlo_hostname: domain("client.example.test"),
        tls_required_no: false,
        extra_root_cas: Vec::new(),
        client_certificate: None,
        timeouts: Some(host_example::convert::uniform_timeouts(
            Duration::from_secs(10),
        )),
        connect_timeout_ms: Some(5_000),
        deadline_ms: None,
        attempt_number: 0,
        dialed_ips: Vec::new(),
        local_addresses: Vec::new(),
    }
}

fn envelope(to: &[String]) -> Envelope {
    Envelope {
        mail_from: "sender@client.example.test".into(),
        recipients: to
            .iter()
            .map(|address| Recipient {
                address: address.clone(),
                notify: None,
                original_recipient: None,
            })
            .collect(),
        // The message's size() stands in.
        size: None,
        require_eightbitmime: false,
        require_smtputf8: false,
        require_tls: false,
        dsn: None,
        line_endings: LineEndings::Strict,
    }
}

fn message(token: &str) -> SpoolMessage {
    let text = format!(
        "From: sender@client.example.test\r\nTo: someone\r\nSubject: {token}\r\n\r\nbody {token}\r\n.leading dot\r\n"
    );
    SpoolMessage::bytes(text.into_bytes())
}

async fn run(host: &Host, request: DeliveryRequest, to: &[&str], token: &str) -> DeliveryReport {
    let to: Vec<String> = to.iter().map(|s| s.to_string()).collect();
    let mut instance = host.instantiate().await.expect("instantiate");
    deliver_domain(
        &mut instance,
        &request,
        vec![(envelope(&to), message(token))],
    )
    .await
    .expect("no trap")
}

/// The peers, when the test may use them (peer groups `dns` and `postfix`).
fn enabled_peers() -> Option<&'static Peers> {
    (peers_enabled("dns") && peers_enabled("postfix")).then(peers)
}

/// One attempt to `next_hop` with Postfix as every MX.
async fn to_postfix(next_hop: &str, to: &[&str], token: &str) -> DeliveryReport {
    let peers = peers();
    let request = request(next_hop, peers.postfix.smtp_port());
    run(&peers.host, request, to, token).await
}

fn statuses(report: &DeliveryReport) -> Vec<RecipientStatus> {
    report.messages[0]
        .recipients
        .iter()
        .map(|r| r.status)
        .collect()
}

/// Postfix stored a message with `token` for every one of `n` recipients.
fn assert_stored(token: &str, n: usize) {
    let found = support::wait_for(Duration::from_secs(10), || {
        let count = peers()
            .postfix
            .messages_now()
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains(token))
            .count();
        (count >= n).then_some(count)
    });
    assert_eq!(
        found,
        Some(n),
        "postfix should have stored {n} copies of {token}"
    );
}

#[tokio::test]
async fn dane_verified_delivery() {
    if enabled_peers().is_none() {
        return;
    }
    let token = "dane-ok-7f3a";
    let report = to_postfix("example.test", &["a@example.test"], token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    assert!(report.error.is_none());
    let last = report.attempts.last().expect("an attempt");
    assert_eq!(last.tls_level, Some(TlsLevel::Dane));
    let tls = last.tls.as_ref().expect("tls");
    assert!(tls.dane_verified_record.is_some(), "{tls:?}");
    let host_result = &report.tls_results.last().unwrap().host;
    assert_eq!(host_result.policy.policy_domain, "mx.example.test");
    assert_eq!(host_result.total_successful_session_count, 1);
    assert_stored(token, 1);
}

#[tokio::test]
async fn dane_mismatch_is_temporary_and_never_retried_in_plaintext() {
    if enabled_peers().is_none() {
        return;
    }
    let report = to_postfix(
        "badtlsa.example.test",
        &["a@badtlsa.example.test"],
        "dane-bad",
    )
    .await;
    assert_eq!(statuses(&report), [RecipientStatus::Temporary]);
    assert_eq!(
        report.attempts.len(),
        1,
        "no plaintext retry: {:?}",
        report.attempts
    );
    let error = report.attempts[0].error.as_ref().expect("an error");
    assert_eq!(error.kind, ErrorKind::Dane, "{error:?}");
    assert!(!error.permanent);
    assert_eq!(report.error.as_ref().map(|e| e.kind), Some(ErrorKind::Dane));
    let host_result = &report.tls_results[0].host;
    assert_eq!(host_result.total_failure_session_count, 1);
}

#[tokio::test]
async fn unusable_tlsa_records_mean_tls_without_verification() {
    if enabled_peers().is_none() {
        return;
    }
    let token = "unusable-5b2e";
    let report = to_postfix("unusable.example.test", &["a@unusable.example.test"], token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    let attempt = &report.attempts[0];
    assert_eq!(attempt.tls_level, Some(TlsLevel::Encrypt));
    let tls = attempt.tls.as_ref().expect("tls is required");
    assert!(tls.dane_verified_record.is_none());
    let details = &report.tls_results[0].host.failure_details;
    assert!(
        details
            .iter()
            .any(|d| d.result_type == ResultType::TlsaInvalid),
        "{details:?}"
    );
    assert_stored(token, 1);
}

#[tokio::test]
async fn insecure_zone_gets_opportunistic_tls_without_dane() {
    if enabled_peers().is_none() {
        return;
    }
    let token = "insecure-91cc";
    let report = to_postfix("insecure.test", &["a@insecure.test"], token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    let attempt = report.attempts.last().unwrap();
    assert_eq!(attempt.tls_level, Some(TlsLevel::May));
    let tls = attempt.tls.as_ref().expect("opportunistic STARTTLS");
    assert!(tls.dane_verified_record.is_none());
    assert_stored(token, 1);
}

#[tokio::test]
async fn first_mx_down_second_used() {
    if enabled_peers().is_none() {
        return;
    }
    let token = "twomx-44d0";
    let report = to_postfix("twomx.example.test", &["a@twomx.example.test"], token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    let hosts: Vec<String> = report
        .attempts
        .iter()
        .map(|a| match &a.host {
            IpDomain::Domain(d) => d.ascii.clone(),
            IpDomain::Ip(_) => "ip".into(),
        })
        .collect();
    assert_eq!(hosts, ["mxdown.example.test", "mx.example.test"]);
    assert_eq!(
        report.attempts[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Io)
    );
    assert!(report.attempts[1].error.is_none());
    assert_eq!(report.attempts[1].tls_level, Some(TlsLevel::Dane));
    // The dialed-IPs memory keeps the address that answered, for the next attempt.
    let dialed: Vec<String> = report
        .dialed_ips
        .iter()
        .map(|d| ip_domain_text(&d.host))
        .collect();
    assert_eq!(dialed, ["mx.example.test"]);
    assert_stored(token, 1);
}

#[tokio::test]
async fn recipients_beyond_the_limit_go_into_a_second_transaction() {
    if enabled_peers().is_none() {
        return;
    }
    let token = "limit-0e61";
    let to = ["r1@example.test", "r2@example.test", "r3@example.test"];
    let report = to_postfix("example.test", &to, token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered; 3],
        "{report:?}"
    );
    // Postfix allows 2 recipients per transaction: the third is refused with 452 and sent
    // again in a second transaction on the same connection, which Postfix queues apart.
    let queued = |i: usize| {
        report.messages[0].recipients[i]
            .reply
            .clone()
            .unwrap()
            .lines
    };
    assert_eq!(queued(0), queued(1));
    assert_ne!(queued(0), queued(2));
    assert_eq!(report.attempts.len(), 1);
    assert_stored(token, 3);
}

#[tokio::test]
async fn null_mx_fails_permanently() {
    if enabled_peers().is_none() {
        return;
    }
    let report = to_postfix("nullmx.example.test", &["a@nullmx.example.test"], "nullmx").await;
    assert_eq!(statuses(&report), [RecipientStatus::Permanent]);
    let error = report.error.as_ref().expect("error");
    assert_eq!(error.kind, ErrorKind::NoMail);
    assert!(report.attempts.is_empty());
}

/// A server that offers STARTTLS, answers it with 220 and then sends garbage instead of a
/// handshake; without STARTTLS it takes any message. Returns its port and a counter of
/// messages accepted.
async fn broken_tls_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 broken.example ESMTP\r\n").await.ok();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if in_data {
                        if line == "." {
                            in_data = false;
                            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            b"250 2.0.0 accepted\r\n"
                        } else {
                            continue;
                        }
                    } else if upper.starts_with("EHLO") {
                        b"250-broken.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
                    } else if upper.starts_with("STARTTLS") {
                        write.write_all(b"220 go ahead\r\n").await.ok();
                        write
                            .write_all(b"this is not a tls handshake\r\n")
                            .await
                            .ok();
                        return;
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.ok();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn failed_opportunistic_handshake_is_retried_without_tls() {
    let Some(peers) = enabled_peers() else {
        return;
    };
    let (port, accepted) = broken_tls_server().await;
    let report = run(
        &peers.host,
        request("insecure.test", port),
        &["a@insecure.test"],
        "retry",
    )
    .await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    assert_eq!(report.attempts.len(), 2, "{:?}", report.attempts);
    assert_eq!(
        report.attempts[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Tls)
    );
    assert!(report.attempts[1].error.is_none());
    assert!(report.attempts[1].tls.is_none(), "the retry is plaintext");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn failed_handshake_under_dane_is_not_retried() {
    let Some(peers) = enabled_peers() else {
        return;
    };
    let (port, accepted) = broken_tls_server().await;
    let report = run(
        &peers.host,
        request("example.test", port),
        &["a@example.test"],
        "no-retry",
    )
    .await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Temporary],
        "{report:?}"
    );
    assert_eq!(report.attempts.len(), 1, "{:?}", report.attempts);
    assert_eq!(report.attempts[0].tls_level, Some(TlsLevel::Dane));
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// The roots to trust for MTA-STS: the policy server's test root ([`sts_peer`], which serves
/// `sts.insecure.test` and `stsbad.insecure.test`) and the Postfix certificate (self-signed, so
/// its own root).
fn sts_roots() -> Vec<Vec<u8>> {
    use rustls_pki_types::pem::PemObject;
    let postfix_root =
        rustls_pki_types::CertificateDer::from_pem_slice(peers().certs.cert_pem().as_bytes())
            .expect("postfix certificate")
            .to_vec();
    vec![sts_peer().root_der().to_vec(), postfix_root]
}

#[tokio::test]
async fn mta_sts_enforce_delivers_over_pkix_verified_tls() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && peers_enabled("netns")) {
        return;
    }
    let peers = peers();
    let mut request = request("sts.insecure.test", peers.postfix.smtp_port());
    request.extra_root_cas = sts_roots();
    let token = "sts-enforce-3d9c";
    let report = run(&peers.host, request, &["a@sts.insecure.test"], token).await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Delivered],
        "{report:?}"
    );
    let attempt = &report.attempts[0];
    assert_eq!(attempt.tls_level, Some(TlsLevel::Verify));
    assert!(attempt.tls.as_ref().expect("tls").pkix_valid);
    let cached = report.sts_policy.as_ref().expect("a policy to cache");
    assert_eq!(cached.id, "20261128");
    assert!(cached.text.contains("mode: enforce"));
    let domain_result = &report.tls_results[0].recipient_domain;
    assert_eq!(domain_result.policy.policy_domain, "sts.insecure.test");
    assert_eq!(domain_result.total_successful_session_count, 1);
    assert_stored(token, 1);
}

#[tokio::test]
async fn mta_sts_enforce_refuses_an_mx_not_in_the_policy() {
    if !(peers_enabled("dns") && peers_enabled("postfix") && peers_enabled("netns")) {
        return;
    }
    let peers = peers();
    let mut request = request("stsbad.insecure.test", peers.postfix.smtp_port());
    request.extra_root_cas = sts_roots();
    let report = run(&peers.host, request, &["a@stsbad.insecure.test"], "sts-bad").await;
    assert_eq!(
        statuses(&report),
        [RecipientStatus::Temporary],
        "{report:?}"
    );
    assert_eq!(report.attempts.len(), 1);
    let attempt = &report.attempts[0];
    assert!(attempt.address.is_none(), "the host is not dialed");
    let error = attempt.error.as_ref().expect("error");
    assert_eq!(error.kind, ErrorKind::Policy, "{error:?}");
    assert!(
        error.message.contains("mx.example.test"),
        "{}",
        error.message
    );
    // No session, but the mismatch is in the domain's TLS-reporting result.
    let domain_result = &report.tls_results[0].recipient_domain;
    assert!(
        domain_result
            .failure_details
            .iter()
            .any(|d| d.failure_reason_code.as_deref() == Some("mtasts-policy-mx-mismatch")),
        "{domain_result:?}"
    );
}

#[tokio::test]
async fn two_messages_share_one_connection() {
    let Some(peers) = enabled_peers() else {
        return;
    };
    let (first, second) = ("shared-conn-a1", "shared-conn-b2");
    let mut instance = peers.host.instantiate().await.expect("instantiate");
    let to = |a: &str| vec![a.to_string()];
    let report = deliver_domain(
        &mut instance,
        &request("example.test", peers.postfix.smtp_port()),
        vec![
            (envelope(&to("one@example.test")), message(first)),
            (envelope(&to("two@example.test")), message(second)),
        ],
    )
    .await
    .expect("no trap");
    let delivered: Vec<_> = report
        .messages
        .iter()
        .map(|m| m.recipients[0].status)
        .collect();
    assert_eq!(delivered, [RecipientStatus::Delivered; 2], "{report:?}");
    assert_eq!(report.attempts.len(), 1, "one connection for both");
    assert_stored(first, 1);
    assert_stored(second, 1);
}
