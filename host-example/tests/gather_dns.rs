//! Delivery planning through the component in wasmtime: `gather-destinations`, `gather-ips`,
//! `gather-tlsa` and `dial` over the host's real imports.
//!
//! - Zone-file tests (always run): the host's `ZoneResolver` with directives for insecure
//!   names and failures.
//! - Dial tests (always run): a TCP listener on 127.0.0.1 and a refused port.
//! - DNSSEC tests (peer group `dns`): the host's `DnsResolver` against NSD + a validating
//!   Unbound on loopback (`tests/peers/dns-peer.sh`): authentic, insecure and bogus zones.

mod support;

use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use host_example::bindings::exports::smtp::client::delivery::{
    Addresses, Destinations, DialedIps, GatherFailure, TlsaPolicy,
};
use host_example::bindings::resolver::IpFamily;
use host_example::bindings::types::{Domain, ErrorKind, IpAddress, IpDomain, SmtpError, Tlsa};
use host_example::convert::{ip_domain_text, next_hop};
use host_example::dns::{DnsResolver, Resolver, ZoneResolver};
use host_example::host::Instance;
use host_example::log_impl::Silent;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use support::{Dns, peers_enabled};

const ZONE: &str = r#"
$ORIGIN example.test.
@             MX    20 mx2
@             MX    10 mx1.example.test.
mx1           A     192.0.2.10
              AAAA  2001:db8::10
mx2           CNAME mx1
_25._tcp.mx1  TLSA  3 1 1 ( 0000000000000000000000000000000000000000000000000000000000000000 )
null          MX    0 .
alias         CNAME example.test.
loop1         CNAME loop2
loop2         CNAME loop1
legacy        MX    10 mx1
bogus         A     192.0.2.11
; @insecure legacy
; @servfail mx broken
; @servfail tlsa _25._tcp.bogus ede=6
$ORIGIN test.
xn--exmple-cua MX   10 mx1.example.test.
"#;

fn host_with(resolver: Resolver) -> Host {
    Host::new(
        EMBEDDED_COMPONENT,
        HostConfig::command_line(Arc::new(resolver), Arc::new(Silent)),
    )
    .expect("component loads")
}

/// One host per resolver for the whole test binary: compiling the component is the slow part.
fn zone_host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| host_with(Resolver::Zone(ZoneResolver::parse(ZONE).expect("zone"))))
}

fn dns_host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let resolver = DnsResolver::new(Dns::shared().resolver(), true, Duration::from_secs(5));
        host_with(Resolver::Dns(resolver))
    })
}

fn domain(ascii: &str) -> Domain {
    Domain {
        ascii: ascii.into(),
        unicode: None,
    }
}

fn named(ascii: &str) -> IpDomain {
    IpDomain::Domain(domain(ascii))
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddress {
    IpAddress::Ipv4((a, b, c, d))
}

/// The component's `delivery` export on a fresh instance.
struct Planner {
    instance: Instance,
}

impl Planner {
    async fn new(host: &Host) -> Planner {
        Planner {
            instance: host.instantiate().await.expect("instantiate"),
        }
    }

    async fn destinations(&mut self, next_hop: &str) -> Result<Destinations, GatherFailure> {
        let delivery = self.instance.bindings.smtp_client_delivery();
        delivery
            .call_gather_destinations(&mut self.instance.store, &named(next_hop))
            .await
            .expect("no trap")
    }

    async fn ips(
        &mut self,
        host: &str,
        family: IpFamily,
        dialed: &[DialedIps],
    ) -> Result<Addresses, GatherFailure> {
        let delivery = self.instance.bindings.smtp_client_delivery();
        delivery
            .call_gather_ips(&mut self.instance.store, &named(host), family, dialed)
            .await
            .expect("no trap")
    }

    async fn tlsa(
        &mut self,
        host: &str,
        expanded_authentic: bool,
        expanded: &str,
    ) -> Result<TlsaPolicy, GatherFailure> {
        let delivery = self.instance.bindings.smtp_client_delivery();
        delivery
            .call_gather_tlsa(
                &mut self.instance.store,
                &domain(host),
                expanded_authentic,
                &domain(expanded),
            )
            .await
            .expect("no trap")
    }
}

fn name(domain: &Option<Domain>) -> Option<&str> {
    domain.as_ref().map(|d| d.ascii.as_str())
}

fn ips(addresses: &[IpAddress]) -> Vec<String> {
    addresses
        .iter()
        .map(|ip| match *ip {
            IpAddress::Ipv4((a, b, c, d)) => Ipv4Addr::new(a, b, c, d).to_string(),
            IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
                Ipv6Addr::new(a, b, c, d, e, f, g, h).to_string()
            }
        })
        .collect()
}

fn records(records: &[Tlsa]) -> Vec<(u8, u8, u8, Vec<u8>)> {
    records
        .iter()
        .map(|r| (r.usage, r.selector, r.matching_type, r.data.clone()))
        .collect()
}

fn hosts(found: &Destinations) -> Vec<(String, Option<u16>)> {
    found
        .hosts
        .iter()
        .map(|h| match &h.host {
            IpDomain::Domain(d) => (d.ascii.clone(), h.preference),
            IpDomain::Ip(ip) => (ips(std::slice::from_ref(ip)).join(""), h.preference),
        })
        .collect()
}

fn assert_error(error: &SmtpError, kind: ErrorKind, permanent: bool) {
    assert_eq!(error.kind, kind, "{}", error.message);
    assert_eq!(error.permanent, permanent, "{}", error.message);
}

#[tokio::test]
async fn zone_destinations() {
    let mut p = Planner::new(zone_host()).await;
    let found = p.destinations("example.test").await.expect("mx");
    assert!(found.have_mx && found.original_authentic && found.expanded_authentic);
    assert_eq!(
        hosts(&found),
        [
            ("mx1.example.test".to_string(), Some(10)),
            ("mx2.example.test".to_string(), Some(20))
        ]
    );
    assert_eq!(name(&found.expanded_next_hop), Some("example.test"));

    let found = p.destinations("ALIAS.example.test").await.expect("cname");
    assert_eq!(name(&found.expanded_next_hop), Some("example.test"));
    assert_eq!(found.hosts.len(), 2);

    let found = p
        .destinations("legacy.example.test")
        .await
        .expect("insecure");
    assert!(!found.original_authentic && !found.expanded_authentic);

    let found = p
        .destinations("mx1.example.test")
        .await
        .expect("implicit mx");
    assert!(!found.have_mx);
    assert_eq!(hosts(&found), [("mx1.example.test".to_string(), None)]);

    let found = p.destinations("ex\u{e4}mple.test").await.expect("idn");
    let expanded = found.expanded_next_hop.expect("expanded");
    assert_eq!(expanded.ascii, "xn--exmple-cua.test");
    assert_eq!(expanded.unicode.as_deref(), Some("ex\u{e4}mple.test"));

    let failure = p
        .destinations("null.example.test")
        .await
        .expect_err("null mx");
    assert_error(&failure.error, ErrorKind::NoMail, true);
    assert!(failure.original_authentic);

    let failure = p
        .destinations("broken.example.test")
        .await
        .expect_err("servfail");
    assert_error(&failure.error, ErrorKind::Dns, false);

    let failure = p
        .destinations("loop1.example.test")
        .await
        .expect_err("loop");
    assert_error(&failure.error, ErrorKind::CnameLoop, false);

    let failure = p.destinations("bad..name").await.expect_err("usage");
    assert_error(&failure.error, ErrorKind::Usage, true);
}

#[tokio::test]
async fn zone_ips_and_dialed_memory() {
    let mut p = Planner::new(zone_host()).await;
    let found = p
        .ips("mx2.example.test", IpFamily::Any, &[])
        .await
        .expect("ips");
    assert_eq!(name(&found.expanded_host), Some("mx1.example.test"));
    assert_eq!(ips(&found.addresses), ["192.0.2.10", "2001:db8::10"]);
    assert!(found.dualstack && found.authentic && found.expanded_authentic);

    let dialed = [DialedIps {
        host: next_hop("mx2.example.test"),
        addresses: vec![v4(192, 0, 2, 10)],
    }];
    let found = p
        .ips("mx2.example.test", IpFamily::Any, &dialed)
        .await
        .expect("ips");
    assert_eq!(ips(&found.addresses), ["2001:db8::10", "192.0.2.10"]);

    let found = p
        .ips("mx1.example.test", IpFamily::Ipv4, &[])
        .await
        .expect("v4");
    assert_eq!(ips(&found.addresses), ["192.0.2.10"]);

    let failure = p
        .ips("absent.example.test", IpFamily::Any, &[])
        .await
        .expect_err("nx");
    assert_error(&failure.error, ErrorKind::Dns, false);
}

#[tokio::test]
async fn zone_tlsa() {
    let mut p = Planner::new(zone_host()).await;
    let policy = p
        .tlsa("mx2.example.test", true, "mx1.example.test")
        .await
        .expect("tlsa");
    assert!(policy.dane_required);
    assert_eq!(policy.base_domain.ascii, "mx1.example.test");
    assert_eq!(records(&policy.records), [(3, 1, 1, vec![0; 32])]);
    let policy = p
        .tlsa("legacy.example.test", false, "legacy.example.test")
        .await;
    assert!(!policy.expect("insecure").dane_required);
    let failure = p
        .tlsa("bogus.example.test", true, "bogus.example.test")
        .await
        .expect_err("bogus");
    assert_error(&failure.error, ErrorKind::Dns, false);
    assert!(
        failure.error.message.contains("extended dns error 6"),
        "{}",
        failure.error.message
    );
}

#[tokio::test]
async fn dial_listener_and_refused_port() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let refused_port = support::free_port();
    let mut p = Planner::new(zone_host()).await;
    let delivery = p.instance.bindings.smtp_client_delivery();
    let localhost = v4(127, 0, 0, 1);
    let host = named("mx.example.test");

    let dialed = delivery
        .call_dial(
            &mut p.instance.store,
            &host,
            &[localhost],
            port,
            &[],
            &[localhost],
            5000,
        )
        .await
        .expect("no trap")
        .expect("connected");
    assert_eq!(ips(&[dialed.address]), ["127.0.0.1"]);
    assert_eq!(dialed.dialed_ips.len(), 1);
    assert_eq!(
        ip_domain_text(&dialed.dialed_ips[0].host),
        "mx.example.test"
    );
    assert_eq!(ips(&dialed.dialed_ips[0].addresses), ["127.0.0.1"]);
    listener.accept().expect("the component connected");

    let failure = delivery
        .call_dial(
            &mut p.instance.store,
            &host,
            &[localhost],
            refused_port,
            &dialed.dialed_ips,
            &[],
            5000,
        )
        .await
        .expect("no trap")
        .expect_err("refused");
    assert_error(&failure.error, ErrorKind::Io, false);
    assert_eq!(
        ips(&failure.address.into_iter().collect::<Vec<_>>()),
        ["127.0.0.1"]
    );
    assert_eq!(failure.dialed_ips.len(), 1, "failures are not remembered");
    assert_eq!(ips(&failure.dialed_ips[0].addresses), ["127.0.0.1"]);

    let failure = delivery
        .call_dial(&mut p.instance.store, &host, &[], port, &[], &[], 5000)
        .await
        .expect("no trap")
        .expect_err("no addresses");
    assert_error(&failure.error, ErrorKind::Usage, true);
}

#[tokio::test]
async fn dnssec_destinations() {
    if !peers_enabled("dns") {
        return;
    }
    let mut p = Planner::new(dns_host()).await;
    let found = p.destinations("example.test").await.expect("signed mx");
    assert!(found.have_mx && found.original_authentic && found.expanded_authentic);
    assert_eq!(hosts(&found), [("mx.example.test".to_string(), Some(10))]);

    let found = p
        .destinations("cnamemx.example.test")
        .await
        .expect("mx to alias");
    assert_eq!(
        hosts(&found),
        [("mxalias.example.test".to_string(), Some(10))]
    );
    assert!(found.expanded_authentic);

    let found = p.destinations("insecure.test").await.expect("insecure mx");
    assert_eq!(hosts(&found), [("mx.insecure.test".to_string(), Some(10))]);
    assert!(!found.original_authentic && !found.expanded_authentic);

    // NXDOMAIN: implicit MX, with a validated denial.
    let found = p
        .destinations("nonexistent.example.test")
        .await
        .expect("nx");
    assert!(!found.have_mx);
    assert_eq!(
        hosts(&found),
        [("nonexistent.example.test".to_string(), None)]
    );
    assert!(found.original_authentic && found.expanded_authentic);

    let failure = p
        .destinations("nullmx.example.test")
        .await
        .expect_err("null mx");
    assert_error(&failure.error, ErrorKind::NoMail, true);
    assert!(failure.original_authentic && failure.expanded_authentic);

    let failure = p.destinations("bogus.test").await.expect_err("bogus");
    assert_error(&failure.error, ErrorKind::Dns, false);
    assert!(failure.error.message.contains("temporary failure"));
    assert!(!failure.expanded_authentic);

    let found = p.destinations("xn--exmple-cua.test").await.expect("idn");
    assert_eq!(hosts(&found), [("mx.example.test".to_string(), Some(10))]);
    let expanded = found.expanded_next_hop.expect("expanded");
    assert_eq!(expanded.unicode.as_deref(), Some("ex\u{e4}mple.test"));
    assert!(found.original_authentic);
}

#[tokio::test]
async fn dnssec_ips() {
    if !peers_enabled("dns") {
        return;
    }
    let mut p = Planner::new(dns_host()).await;
    let found = p
        .ips("mx.example.test", IpFamily::Any, &[])
        .await
        .expect("a+aaaa");
    assert_eq!(ips(&found.addresses), ["127.0.0.1", "::1"]);
    assert!(found.authentic && found.expanded_authentic && found.dualstack);

    let found = p
        .ips("mxalias.example.test", IpFamily::Ipv6, &[])
        .await
        .expect("cname");
    assert_eq!(name(&found.expanded_host), Some("mx.example.test"));
    assert_eq!(ips(&found.addresses), ["::1"]);
    assert!(found.authentic && found.expanded_authentic);

    // An insecure CNAME into the signed zone.
    let found = p
        .ips("www.insecure.test", IpFamily::Ipv4, &[])
        .await
        .expect("www");
    assert_eq!(name(&found.expanded_host), Some("mx.example.test"));
    assert!(!found.authentic && !found.expanded_authentic);

    let found = p
        .ips("mx.insecure.test", IpFamily::Any, &[])
        .await
        .expect("insecure");
    assert!(!found.authentic);

    let failure = p
        .ips("absent.example.test", IpFamily::Any, &[])
        .await
        .expect_err("nx");
    assert_error(&failure.error, ErrorKind::Dns, false);
    assert!(failure.original_authentic, "a validated denial");

    let failure = p
        .ips("mx.bogus.test", IpFamily::Any, &[])
        .await
        .expect_err("bogus");
    assert_error(&failure.error, ErrorKind::Dns, false);
}

#[tokio::test]
async fn dnssec_tlsa() {
    if !peers_enabled("dns") {
        return;
    }
    let dns = Dns::shared();
    let mut p = Planner::new(dns_host()).await;
    let expected = (3, 1, 1, hex(dns.tlsa311()));
    let policy = p
        .tlsa("mx.example.test", true, "mx.example.test")
        .await
        .expect("tlsa");
    assert!(policy.dane_required);
    assert_eq!(records(&policy.records), std::slice::from_ref(&expected));
    assert_eq!(policy.base_domain.ascii, "mx.example.test");

    // RFC 7672 §2.2.2: the secure CNAME target is the base domain.
    let policy = p
        .tlsa("mxalias.example.test", true, "mx.example.test")
        .await
        .expect("tlsa");
    assert_eq!(records(&policy.records), [expected]);
    assert_eq!(policy.base_domain.ascii, "mx.example.test");

    // No TLSA records, denial validated: no DANE.
    let policy = p
        .tlsa("example.test", true, "example.test")
        .await
        .expect("none");
    assert!(!policy.dane_required && policy.records.is_empty());

    // Insecure zone: TLSA records exist but are not authentic.
    let policy = p
        .tlsa("mx.insecure.test", false, "mx.insecure.test")
        .await
        .expect("insecure");
    assert!(!policy.dane_required);

    let failure = p
        .tlsa("mx.bogus.test", false, "mx.bogus.test")
        .await
        .expect_err("bogus");
    assert_error(&failure.error, ErrorKind::Dns, false);
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}
