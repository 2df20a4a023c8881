use super::*;
use crate::dns::domain::DomainError;
use crate::dns::mock::MockResolver;
use crate::error::ErrorKind;

fn domain(name: &str) -> Domain {
    Domain::parse(name).expect("test domain")
}

fn host(name: &str, preference: Option<u16>) -> HostPreference {
    HostPreference {
        host: IpDomain::Domain(domain(name)),
        preference,
    }
}

/// The table of mox's TestGatherDestinations.
fn reference_resolver(all_authentic: bool) -> MockResolver {
    let mut r = MockResolver::default()
        .all_authentic(all_authentic)
        .mx("basic.example.", 10, "mail.basic.example.")
        .mx("multimx.example.", 10, "mail1.multimx.example.")
        .mx("multimx.example.", 10, "mail2.multimx.example.")
        .mx("nullmx.example.", 10, ".")
        .mx("temperror-mx.example.", 10, "absent.example.")
        .a("mail.basic.example", "10.0.0.1")
        .a("justhost.example.", "10.0.0.1")
        .a("temperror-a.example.", "10.0.0.1")
        .aaaa("justhost6.example.", "2001:db8::1")
        .cname("cname.example.", "basic.example.")
        .cname("cname-to-inauthentic.example.", "cnameinauthentic.example.")
        .cname("cnameinauthentic.example.", "basic.example.")
        .cname("cnameloop.example.", "cnameloop2.example.")
        .cname("cnameloop2.example.", "cnameloop.example.")
        .cname("danglingcname.example.", "absent.example.")
        .cname("temperror-cname.example.", "absent.example.")
        .fail("mx temperror-mx.example.")
        .fail("host temperror-a.example.")
        .fail("cname temperror-cname.example.")
        .inauthentic("cname cnameinauthentic.example.");
    for i in 0..=16 {
        r = r.cname(
            &format!("cnamelimit{i}.example."),
            &format!("cnamelimit{}.example.", i + 1),
        );
    }
    r
}

fn gather(r: &mut MockResolver, next_hop: &str) -> Result<Destinations, GatherFailure> {
    gather_destinations(r, &IpDomain::Domain(domain(next_hop)), 1)
}

/// Hosts sorted by preference, then name: the order within a preference is random.
fn sorted(mut hosts: Vec<HostPreference>) -> Vec<HostPreference> {
    hosts.sort_by(|a, b| {
        (a.preference, a.host.to_string()).cmp(&(b.preference, b.host.to_string()))
    });
    hosts
}

/// G1–G7: successes, with `a` = AllAuthentic for both flags.
#[test]
fn reference_successes() {
    for a in [false, true] {
        let mut r = reference_resolver(a);
        let cases = [
            (
                "basic.example",
                vec![host("mail.basic.example", Some(10))],
                "basic.example",
                true,
            ),
            (
                "multimx.example",
                vec![
                    host("mail1.multimx.example", Some(10)),
                    host("mail2.multimx.example", Some(10)),
                ],
                "multimx.example",
                true,
            ),
            (
                "justhost.example",
                vec![host("justhost.example", None)],
                "justhost.example",
                false,
            ),
            (
                "justhost6.example",
                vec![host("justhost6.example", None)],
                "justhost6.example",
                false,
            ),
            (
                "cname.example",
                vec![host("mail.basic.example", Some(10))],
                "basic.example",
                true,
            ),
            (
                "absent.example",
                vec![host("absent.example", None)],
                "absent.example",
                false,
            ),
            (
                "danglingcname.example",
                vec![host("absent.example", None)],
                "absent.example",
                false,
            ),
        ];
        for (next_hop, hosts, expanded, have_mx) in cases {
            let got = gather(&mut r, next_hop).unwrap_or_else(|e| panic!("{next_hop}: {e:?}"));
            assert_eq!(sorted(got.hosts), hosts, "{next_hop} a={a}");
            assert_eq!(got.expanded_next_hop, Some(domain(expanded)), "{next_hop}");
            assert_eq!(got.have_mx, have_mx, "{next_hop}");
            assert_eq!(got.original_authentic, a, "{next_hop} a={a}");
            assert_eq!(got.expanded_authentic, a, "{next_hop} a={a}");
        }
    }
}

/// G8–G12: errors, with their kind and permanence (as mox means them, which its test never
/// checks: CNAME limit and loop temporary, null MX permanent, lookup failures temporary).
#[test]
fn reference_errors() {
    for a in [false, true] {
        let mut r = reference_resolver(a);
        let cases = [
            ("cnamelimit1.example", ErrorKind::CnameLimit, false),
            ("cnameloop.example", ErrorKind::CnameLoop, false),
            ("nullmx.example", ErrorKind::NoMail, true),
            ("temperror-mx.example", ErrorKind::Dns, false),
            ("temperror-cname.example", ErrorKind::Dns, false),
        ];
        for (next_hop, kind, permanent) in cases {
            let failure = gather(&mut r, next_hop).expect_err(next_hop);
            assert_eq!(failure.error.kind(), kind, "{next_hop}: {}", failure.error);
            assert_eq!(failure.error.is_permanent(), permanent, "{next_hop}");
        }
    }
}

/// G13–G15 with AllAuthentic.
#[test]
fn reference_ip_and_authenticity() {
    let mut r = reference_resolver(true);
    let ip = "10.0.0.1".parse().expect("ip");
    let got = gather_destinations(&mut r, &IpDomain::Ip(ip), 1).expect("ip");
    assert_eq!(
        got,
        Destinations {
            have_mx: false,
            original_authentic: false,
            expanded_authentic: false,
            expanded_next_hop: None,
            hosts: vec![HostPreference {
                host: IpDomain::Ip(ip),
                preference: None
            }],
        }
    );
    assert!(r.queries.is_empty(), "an IP next hop needs no DNS");

    let got = gather(&mut r, "cnameinauthentic.example").expect("G14");
    assert_eq!(got.hosts, [host("mail.basic.example", Some(10))]);
    assert_eq!(got.expanded_next_hop, Some(domain("basic.example")));
    assert_eq!(
        (got.original_authentic, got.expanded_authentic),
        (false, false)
    );

    let got = gather(&mut r, "cname-to-inauthentic.example").expect("G15");
    assert_eq!(got.hosts, [host("mail.basic.example", Some(10))]);
    assert_eq!(got.expanded_next_hop, Some(domain("basic.example")));
    assert_eq!(
        (got.original_authentic, got.expanded_authentic),
        (true, false)
    );
}

/// As in mox: 15 hops are followed, the 17th name is never looked up.
#[test]
fn cname_limit_stops_before_the_seventeenth_name() {
    let mut r = reference_resolver(true);
    let failure = gather(&mut r, "cnamelimit1.example").expect_err("limit");
    assert_eq!(
        failure.error,
        Error::CnameLimit {
            name: Fqdn::parse("cnamelimit1.example.").expect("fqdn"),
            last: Fqdn::parse("cnamelimit17.example.").expect("fqdn"),
        }
    );
    assert_eq!(r.queries.len(), 16, "{:?}", r.queries);
    assert!(!r.queries.iter().any(|q| q.contains("cnamelimit17")));
    assert_eq!(
        failure.error.to_string(),
        "too many cname hops from cnamelimit1.example., last cnamelimit17.example."
    );
    // 15 hops are fine.
    let got = gather(&mut r, "cnamelimit2.example").expect("15 hops");
    assert_eq!(got.expanded_next_hop, Some(domain("cnamelimit17.example")));
}

#[test]
fn cname_loop_names_the_repeated_name() {
    let mut r = reference_resolver(true);
    let failure = gather(&mut r, "cnameloop.example").expect_err("loop");
    assert_eq!(
        failure.error.to_string(),
        "cname loop: from cnameloop.example. back to cnameloop.example."
    );
    assert_eq!(r.queries.len(), 2);
}

#[test]
fn null_mx_is_permanent_no_mail_with_authenticity() {
    let mut r = reference_resolver(true).cname("alias.example.", "nullmx.example.");
    let failure = gather(&mut r, "alias.example").expect_err("null mx");
    assert_eq!(
        failure.error,
        Error::NoMail {
            domain: domain("nullmx.example")
        }
    );
    assert_eq!(
        failure.error.to_string(),
        "domain nullmx.example accepts no mail (null mx)"
    );
    assert!(failure.error.is_permanent());
    assert!(failure.original_authentic && failure.expanded_authentic);
}

/// Unlike mox: the lookup error keeps its kind and extended DNS error; the failure keeps
/// the authenticity known so far.
#[test]
fn lookup_errors_keep_their_kind() {
    let bogus = LookupError::Temporary {
        extended_error: Some(6),
        message: "servfail".into(),
    };
    let mut r = MockResolver::default()
        .all_authentic(true)
        .cname("alias.example.", "bogus.example.")
        .fail_with("mx bogus.example.", bogus.clone())
        .fail_with(
            "cname refused.example.",
            LookupError::Permanent {
                message: "refused".into(),
            },
        );
    let failure = gather(&mut r, "alias.example").expect_err("bogus");
    let Error::Dns(dns) = &failure.error else {
        panic!("not a dns error: {:?}", failure.error);
    };
    assert_eq!(dns.lookup_error(), Some(&bogus));
    assert_eq!(
        failure.error.to_string(),
        "dns: mx lookup for bogus.example.: temporary failure: servfail (extended dns error 6)"
    );
    assert!(!failure.error.is_permanent());
    assert_eq!(
        (failure.original_authentic, failure.expanded_authentic),
        (true, false)
    );

    let failure = gather(&mut r, "refused.example").expect_err("refused");
    assert_eq!(failure.error.kind(), ErrorKind::Dns);
    assert!(
        !failure.error.is_permanent(),
        "dns lookups are temporary as in the reference"
    );
    assert_eq!(
        (failure.original_authentic, failure.expanded_authentic),
        (false, false)
    );
}

/// An authentic denial of the MX keeps the flags true (implicit MX under DNSSEC).
#[test]
fn implicit_mx_with_authentic_denial() {
    let mut r = MockResolver::default().all_authentic(true);
    let got = gather(&mut r, "nomx.example").expect("implicit");
    assert!(!got.have_mx);
    assert_eq!(got.hosts, [host("nomx.example", None)]);
    assert!(got.original_authentic && got.expanded_authentic);
    assert_eq!(r.queries, ["cname nomx.example.", "mx nomx.example."]);
}

/// Unlike mox: an MX answer without records is no MX.
#[test]
fn empty_mx_answer_is_implicit_mx() {
    let mut r = MockResolver::default().empty_mx("empty.example.");
    let got = gather(&mut r, "empty.example").expect("implicit");
    assert!(!got.have_mx);
    assert_eq!(got.hosts, [host("empty.example", None)]);
}

#[test]
fn invalid_mx_hosts() {
    let mut r = MockResolver::default()
        .mx("some.example.", 10, "bad host.example.")
        .mx("some.example.", 20, "good.example.")
        .mx("some.example.", 30, ".")
        .mx("none.example.", 10, "-bad.example.")
        .mx("none.example.", 20, ".")
        .mx("underscore.example.", 10, "mx_1.underscore.example.")
        .mx("idn.example.", 10, "xn--mnchen-3ya.example.")
        .mx("idn.example.", 10, "XN--EXMPLE-CUA.test.");
    let got = gather(&mut r, "some.example").expect("one valid");
    assert_eq!(got.hosts, [host("good.example", Some(20))]);

    let failure = gather(&mut r, "none.example").expect_err("none valid");
    assert!(failure.error.is_permanent());
    assert_eq!(
        failure.error,
        Error::Dns(DnsError::InvalidName {
            origin: NameOrigin::MxHost,
            name: "-bad.example.".into(),
            error: DomainError::Idna,
        })
    );

    let got = gather(&mut r, "underscore.example").expect("lax");
    assert_eq!(
        got.hosts[0].host,
        IpDomain::Domain(Domain {
            ascii: "mx_1.underscore.example".into(),
            unicode: None
        })
    );

    let got = gather(&mut r, "idn.example").expect("idn");
    let names: Vec<String> = sorted(got.hosts)
        .iter()
        .map(|h| h.host.to_string())
        .collect();
    assert_eq!(names, ["ex\u{e4}mple.test", "m\u{fc}nchen.example"]);
}

#[test]
fn invalid_cname_target_is_temporary_dns_error() {
    let mut r = MockResolver::default().cname("alias.example.", "under_score.example.");
    let failure = gather(&mut r, "alias.example").expect_err("strict cname target");
    assert_eq!(failure.error.kind(), ErrorKind::Dns);
    assert!(!failure.error.is_permanent());
}

/// RFC 5321 §5.1: lower preference first; one preference in random order.
#[test]
fn hosts_sorted_by_preference_and_shuffled_within() {
    let mut r = MockResolver::default()
        .mx("many.example.", 20, "c.example.")
        .mx("many.example.", 10, "a.example.")
        .mx("many.example.", 30, "e.example.")
        .mx("many.example.", 10, "b.example.")
        .mx("many.example.", 20, "d.example.");
    let mut firsts = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let next_hop = IpDomain::Domain(domain("many.example"));
        let got = gather_destinations(&mut r, &next_hop, seed).expect("mx");
        let prefs: Vec<Option<u16>> = got.hosts.iter().map(|h| h.preference).collect();
        assert_eq!(prefs, [Some(10), Some(10), Some(20), Some(20), Some(30)]);
        assert_eq!(
            sorted(got.hosts.clone()),
            sorted(vec![
                host("a.example", Some(10)),
                host("b.example", Some(10)),
                host("c.example", Some(20)),
                host("d.example", Some(20)),
                host("e.example", Some(30)),
            ])
        );
        firsts.insert(got.hosts[0].host.to_string());
        // The same seed gives the same order.
        let again = gather_destinations(&mut r, &next_hop, seed).expect("mx");
        assert_eq!(again.hosts, got.hosts);
    }
    assert_eq!(
        firsts.len(),
        2,
        "both hosts of preference 10 come first for some seed"
    );
}
