//! MTA-STS through the component in wasmtime: `mta-sts.lookup-policy` with a zone file for
//! DNS and a real HTTPS policy server on 127.0.0.1:443 (rustls on a thread; certificates from
//! a test root made with rcgen, passed to the component as an extra root). The server picks
//! the certificate and the response by SNI, one domain per case, and counts the requests.
//!
//! Port 443 needs root, so the test belongs to the peer group `netns`: it runs inside the
//! private network namespace of `scripts/test.sh`.

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use host_example::bindings::exports::smtp::client::mta_sts::{Mode, StsOutcome, StsPolicy};
use host_example::bindings::exports::smtp::client::tls_report::{PolicyType, ResultType};
use host_example::bindings::types::{Domain, ErrorKind};
use host_example::dns::{Resolver, ZoneResolver};
use host_example::log_impl::Silent;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use support::policy_server::{self, Pki, PolicyHost, ok};

const ZONE: &str = r#"
$ORIGIN test.
_mta-sts.example    TXT "v=STSv1; " "id=20261128;"
mta-sts.example     A   127.0.0.1
_mta-sts.notfound   TXT "v=STSv1; id=1;"
mta-sts.notfound    A   127.0.0.1
_mta-sts.redirect   TXT "v=STSv1; id=1;"
mta-sts.redirect    A   127.0.0.1
_mta-sts.wrongcert  TXT "v=STSv1; id=1;"
mta-sts.wrongcert   A   127.0.0.1
_mta-sts.invalid    TXT "v=STSv1; id=1;"
mta-sts.invalid     A   127.0.0.1
_mta-sts.chunked    TXT "v=STSv1; id=1;"
mta-sts.chunked     A   127.0.0.1
nopolicy            A   127.0.0.1
; @servfail txt _mta-sts.flaky
"#;

const POLICY: &str = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmx: *.mx.example.test\r\nmax_age: 86400\r\n";

/// What the server answers for a policy host.
fn response(host: &str) -> String {
    match host {
        "mta-sts.example.test" | "mta-sts.wrongcert.test" => ok(POLICY),
        "mta-sts.redirect.test" => "HTTP/1.1 301 Moved Permanently\r\nLocation: https://mta-sts.example.test/.well-known/mta-sts.txt\r\nContent-Length: 0\r\n\r\n".into(),
        "mta-sts.invalid.test" => ok("version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n"),
        "mta-sts.chunked.test" => {
            let (a, b) = POLICY.split_at(17);
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                a.len(),
                b.len()
            )
        }
        _ => "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found".into(),
    }
}

/// The HTTPS server on 127.0.0.1:443; returns the request counts by SNI name.
fn serve(pki: &Pki) -> Arc<Mutex<HashMap<String, usize>>> {
    let mut hosts: Vec<PolicyHost> = ["example", "notfound", "redirect", "invalid", "chunked"]
        .iter()
        .map(|host| {
            let name = format!("mta-sts.{host}.test");
            PolicyHost {
                certificate_name: name.clone(),
                response: response(&name),
                name,
            }
        })
        .collect();
    // RFC 8461 §3.3: the certificate must be valid for the policy host; this one is not.
    hosts.push(PolicyHost {
        name: "mta-sts.wrongcert.test".into(),
        certificate_name: "www.wrongcert.test".into(),
        response: response("mta-sts.wrongcert.test"),
    });
    policy_server::serve(pki, hosts)
}

fn domain(ascii: &str) -> Domain {
    Domain {
        ascii: ascii.into(),
        unicode: None,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

struct Client {
    host: Host,
    root: Vec<u8>,
}

impl Client {
    async fn lookup(&self, name: &str, cached: Option<&StsPolicy>) -> StsOutcome {
        let mut instance = self.host.instantiate().await.expect("instantiate");
        instance
            .bindings
            .smtp_client_mta_sts()
            .call_lookup_policy(
                &mut instance.store,
                &domain(name),
                cached,
                std::slice::from_ref(&self.root),
            )
            .await
            .expect("no trap")
    }
}

fn failure(outcome: &StsOutcome) -> (ResultType, ErrorKind) {
    let error = outcome.error.as_ref().expect("an error");
    let details = &outcome.tls_result.failure_details;
    assert_eq!(details.len(), 1, "{}", error.message);
    (details[0].result_type, error.kind)
}

#[tokio::test]
async fn policies_over_https() {
    if !support::peers_enabled("netns") {
        return;
    }
    let pki = Pki::new();
    let counts = serve(&pki);
    let count = |host: &str| counts.lock().unwrap().get(host).copied().unwrap_or(0);
    let resolver = Resolver::Zone(ZoneResolver::parse(ZONE).expect("zone"));
    let client = Client {
        host: Host::new(
            EMBEDDED_COMPONENT,
            HostConfig::command_line(Arc::new(resolver), Arc::new(Silent)),
        )
        .expect("component loads"),
        root: pki.root_der(),
    };

    // A valid enforce policy, fetched and returned for caching.
    let before = now();
    let outcome = client.lookup("example.test", None).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    let policy = outcome.policy.expect("policy");
    assert_eq!(policy.mode, Mode::Enforce);
    assert_eq!(policy.mx, ["mx.example.test", "*.mx.example.test"]);
    assert_eq!(policy.max_age, 86400);
    let cache = outcome.cache.expect("policy to cache");
    assert_eq!(cache.id, "20261128");
    assert_eq!(cache.text, POLICY);
    assert!(cache.fetched_at >= before && cache.fetched_at <= now());
    let result = &outcome.tls_result;
    assert_eq!(result.policy.policy_type, PolicyType::Sts);
    assert_eq!(result.policy.policy_domain, "example.test");
    assert_eq!(
        result.policy.mx_host,
        ["mx.example.test", "*.mx.example.test"]
    );
    assert_eq!(result.policy.policy_string.len(), 5);
    assert!(result.failure_details.is_empty());
    assert_eq!(count("mta-sts.example.test"), 1);

    // The cached policy with the same id is used without a fetch.
    let outcome = client.lookup("example.test", Some(&cache)).await;
    assert!(outcome.error.is_none());
    assert_eq!(outcome.policy.map(|p| p.mx.len()), Some(2));
    assert!(outcome.cache.is_none());
    assert_eq!(count("mta-sts.example.test"), 1);

    // Another id: fetched again.
    let old = StsPolicy {
        id: "20250101".into(),
        ..cache.clone()
    };
    let outcome = client.lookup("example.test", Some(&old)).await;
    assert_eq!(outcome.cache.map(|c| c.id).as_deref(), Some("20261128"));
    assert_eq!(count("mta-sts.example.test"), 2);

    // Chunked transfer coding.
    let outcome = client.lookup("chunked.test", None).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(outcome.cache.map(|c| c.text).as_deref(), Some(POLICY));

    // 404: no policy, a fetch error.
    let outcome = client.lookup("notfound.test", None).await;
    assert!(outcome.policy.is_none() && outcome.cache.is_none());
    assert_eq!(
        failure(&outcome),
        (ResultType::StsPolicyFetchError, ErrorKind::Protocol)
    );
    assert!(outcome.error.unwrap().message.contains("http status 404"));
    assert_eq!(count("mta-sts.notfound.test"), 1);

    // A redirect is not followed (RFC 8461 §3.3): the target is not asked again.
    let outcome = client.lookup("redirect.test", None).await;
    assert!(outcome.policy.is_none());
    assert_eq!(
        failure(&outcome),
        (ResultType::StsPolicyFetchError, ErrorKind::Protocol)
    );
    assert!(outcome.error.unwrap().message.contains("redirect 301"));
    assert_eq!(count("mta-sts.example.test"), 2);

    // A certificate for another name: sts-webpki-invalid, nothing requested.
    let outcome = client.lookup("wrongcert.test", None).await;
    assert!(outcome.policy.is_none());
    assert_eq!(
        failure(&outcome),
        (ResultType::StsWebpkiInvalid, ErrorKind::Tls)
    );
    assert_eq!(
        outcome.tls_result.failure_details[0]
            .failure_reason_code
            .as_deref(),
        Some("certificate-host-mismatch")
    );
    assert_eq!(count("mta-sts.wrongcert.test"), 0);

    // A policy without mx in enforce mode: sts-policy-invalid.
    let outcome = client.lookup("invalid.test", None).await;
    assert!(outcome.policy.is_none());
    assert_eq!(
        failure(&outcome),
        (ResultType::StsPolicyInvalid, ErrorKind::Protocol)
    );

    // A failing fetch keeps a valid cached policy (RFC 8461 §5.1).
    let cached_elsewhere = StsPolicy {
        id: "0".into(),
        ..cache.clone()
    };
    let outcome = client
        .lookup("notfound.test", Some(&cached_elsewhere))
        .await;
    assert_eq!(outcome.policy.map(|p| p.mode), Some(Mode::Enforce));
    assert!(outcome.cache.is_none());

    // A failing TXT lookup keeps it too; without one there is no policy.
    let outcome = client.lookup("flaky.test", Some(&cache)).await;
    assert_eq!(outcome.policy.map(|p| p.mode), Some(Mode::Enforce));
    assert_eq!(outcome.error.map(|e| e.kind), Some(ErrorKind::Dns));
    let outcome = client.lookup("nopolicy.test", None).await;
    assert!(outcome.policy.is_none() && outcome.error.is_none());
    assert_eq!(
        outcome.tls_result.policy.policy_type,
        PolicyType::NoPolicyFound
    );
}
