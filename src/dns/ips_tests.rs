use super::*;
use crate::dns::mock::MockResolver;
use crate::error::ErrorKind;
use crate::io::dial::dial;

fn domain(name: &str) -> Domain {
    Domain::parse(name).expect("test domain")
}

fn host(name: &str) -> IpDomain {
    IpDomain::Domain(domain(name))
}

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|s| s.parse().expect("ip")).collect()
}

/// The table of mox's TestGatherIPs.
fn reference_resolver(all_authentic: bool) -> MockResolver {
    MockResolver::default()
        .all_authentic(all_authentic)
        .a("host1.example.", "10.0.0.1")
        .a("host2.example.", "10.0.0.2")
        .a("temperror-a.example.", "10.0.0.3")
        .aaaa("host2.example.", "2001:db8::1")
        .cname("cname1.example.", "host1.example.")
        .cname("cname-to-inauthentic.example.", "cnameinauthentic.example.")
        .cname("cnameinauthentic.example.", "host1.example.")
        .cname("cnameloop.example.", "cnameloop2.example.")
        .cname("cnameloop2.example.", "cnameloop.example.")
        .cname("danglingcname.example.", "absent.example.")
        .cname("temperror-cname.example.", "absent.example.")
        .fail("ip temperror-a.example.")
        .fail("cname temperror-cname.example.")
        .inauthentic("cname cnameinauthentic.example.")
}

fn gather(r: &mut MockResolver, name: &str, family: IpFamily) -> Result<Addresses, GatherFailure> {
    gather_ips(r, &host(name), family, &DialedIps::default())
}

/// I1–I7 successes, twice with `a` = AllAuthentic.
#[test]
fn reference_successes() {
    for a in [false, true] {
        let mut r = reference_resolver(a);
        let cases: &[(&str, IpFamily, bool, &str, &[&str])] = &[
            (
                "host1.example",
                IpFamily::Any,
                a,
                "host1.example",
                &["10.0.0.1"],
            ),
            (
                "host1.example",
                IpFamily::V4,
                a,
                "host1.example",
                &["10.0.0.1"],
            ),
            (
                "host2.example",
                IpFamily::Any,
                a,
                "host2.example",
                &["10.0.0.2", "2001:db8::1"],
            ),
            (
                "host2.example",
                IpFamily::V4,
                a,
                "host2.example",
                &["10.0.0.2"],
            ),
            (
                "host2.example",
                IpFamily::V6,
                a,
                "host2.example",
                &["2001:db8::1"],
            ),
            (
                "cname-to-inauthentic.example",
                IpFamily::Any,
                false,
                "host1.example",
                &["10.0.0.1"],
            ),
        ];
        for &(name, family, expanded_authentic, expanded, addresses) in cases {
            let got = gather(&mut r, name, family).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(got.authentic, a, "{name} {family:?} a={a}");
            assert_eq!(got.expanded_authentic, expanded_authentic, "{name} a={a}");
            assert_eq!(got.expanded_host, Some(domain(expanded)), "{name}");
            assert_eq!(got.addresses, ips(addresses), "{name} {family:?}");
            assert_eq!(got.dualstack, addresses.len() == 2, "{name} {family:?}");
        }
    }
}

/// I3, I8–I12: errors, with the kind mox's test meant to check (it accepts any error).
#[test]
fn reference_errors() {
    for a in [false, true] {
        let mut r = reference_resolver(a);
        let not_found = |authentic| LookupError::NotFound { authentic };
        let temporary = LookupError::Temporary {
            extended_error: None,
            message: "servfail".into(),
        };
        let cases = [
            (
                "host1.example",
                IpFamily::V6,
                Some(not_found(a)),
                "host1.example.",
            ),
            (
                "bogus.example",
                IpFamily::Any,
                Some(not_found(a)),
                "bogus.example.",
            ),
            (
                "danglingcname.example",
                IpFamily::Any,
                Some(not_found(a)),
                "absent.example.",
            ),
            (
                "temperror-a.example",
                IpFamily::Any,
                Some(temporary.clone()),
                "temperror-a.example.",
            ),
            (
                "temperror-cname.example",
                IpFamily::Any,
                Some(temporary),
                "temperror-cname.example.",
            ),
            ("cnameloop.example", IpFamily::Any, None, ""),
        ];
        for (name, family, lookup_error, failed_name) in cases {
            let failure = gather(&mut r, name, family).expect_err(name);
            match (&failure.error, lookup_error) {
                (Error::Dns(DnsError::Lookup { name, error, .. }), Some(expected)) => {
                    assert_eq!(error, &expected, "{name}");
                    assert_eq!(name.as_str(), failed_name);
                }
                (Error::CnameLimit { .. }, None) => {}
                (other, _) => panic!("{name}: unexpected {other:?}"),
            }
            assert!(!failure.error.is_permanent(), "{name}");
        }
    }
}

/// I13, I14 with AllAuthentic.
#[test]
fn reference_authenticity() {
    let mut r = reference_resolver(true);
    let got = gather(&mut r, "cnameinauthentic.example", IpFamily::Any).expect("I13");
    assert_eq!((got.authentic, got.expanded_authentic), (false, false));
    assert_eq!(got.expanded_host, Some(domain("host1.example")));
    assert_eq!(got.addresses, ips(&["10.0.0.1"]));
    let got = gather(&mut r, "cname-to-inauthentic.example", IpFamily::Any).expect("I14");
    assert_eq!((got.authentic, got.expanded_authentic), (true, false));
    assert_eq!(got.expanded_host, Some(domain("host1.example")));
}

/// An inauthentic address answer makes both flags false.
#[test]
fn inauthentic_addresses() {
    let mut r = reference_resolver(true).inauthentic("ip host1.example.");
    let got = gather(&mut r, "cname1.example", IpFamily::Any).expect("ok");
    assert_eq!((got.authentic, got.expanded_authentic), (false, false));
    let failure = gather(&mut r, "absent.example", IpFamily::Any).expect_err("nxdomain");
    assert_eq!(
        (failure.original_authentic, failure.expanded_authentic),
        (true, true)
    );
}

/// As in mox: 11 hops are followed, the 12th CNAME answer is an error.
#[test]
fn cname_hop_limit() {
    let chain = |hops: usize| {
        let mut r = MockResolver::default();
        for i in 0..hops {
            r = r.cname(&format!("c{i}.example."), &format!("c{}.example.", i + 1));
        }
        r.a(&format!("c{hops}.example."), "10.0.0.1")
    };
    let got = gather(&mut chain(11), "c0.example", IpFamily::Any).expect("11 hops");
    assert_eq!(got.expanded_host, Some(domain("c11.example")));
    let failure = gather(&mut chain(12), "c0.example", IpFamily::Any).expect_err("12 hops");
    assert_eq!(failure.error.kind(), ErrorKind::CnameLimit);
    assert_eq!(
        failure.error.to_string(),
        "too many cname hops from c0.example., last c12.example."
    );
}

#[test]
fn ip_host_is_used_as_is() {
    let mut r = MockResolver::default();
    let ip = IpDomain::Ip("2001:db8::7".parse().expect("ip"));
    let mut dialed = DialedIps::default();
    dialed.record(&ip, "2001:db8::7".parse().expect("ip"));
    let got = gather_ips(&mut r, &ip, IpFamily::V4, &dialed).expect("ip");
    assert_eq!(got.addresses, ips(&["2001:db8::7"]));
    assert_eq!(got.expanded_host, None);
    assert!(!got.authentic && !got.expanded_authentic && !got.dualstack);
    assert!(r.queries.is_empty());
}

#[test]
fn extended_dns_error_is_kept() {
    let bogus = LookupError::Temporary {
        extended_error: Some(6),
        message: "dnssec bogus".into(),
    };
    let mut r = MockResolver::default().fail_with("ip mx.bogus.example.", bogus.clone());
    let failure = gather(&mut r, "mx.bogus.example", IpFamily::Any).expect_err("bogus");
    let Error::Dns(dns) = &failure.error else {
        panic!("{:?}", failure.error);
    };
    assert_eq!(dns.lookup_error(), Some(&bogus));
    assert_eq!(failure.error.kind(), ErrorKind::Dns);
}

/// mox's TestDialHost: the second attempt starts with the other family.
#[test]
fn dial_host_alternates_families() {
    let mut r = MockResolver::default()
        .a("dualstack.example.", "10.0.0.1")
        .aaaa("dualstack.example.", "2001:db8::1");
    let host = host("dualstack.example");
    let mut dialed = DialedIps::default();
    for expected in [["10.0.0.1", "2001:db8::1"], ["2001:db8::1", "10.0.0.1"]] {
        let got = gather_ips(&mut r, &host, IpFamily::Any, &dialed).expect("ips");
        assert_eq!(got.addresses, ips(&expected));
        assert!(got.dualstack);
        let (_, ip) = dial(&host, &got.addresses, &[], &mut dialed, |_, _| {
            Ok::<_, ()>(())
        })
        .expect("dial hook succeeds");
        assert_eq!(ip, ips(&expected)[0]);
    }
    assert_eq!(dialed.get(&host), ips(&["10.0.0.1", "2001:db8::1"]));
}
