use super::*;
use crate::dns::mock::MockResolver;
use crate::error::ErrorKind;

fn domain(name: &str) -> Domain {
    Domain::parse(&format!("{name}.example")).expect("test domain")
}

fn record(usage: u8, selector: u8, matching_type: u8) -> Tlsa {
    Tlsa {
        usage,
        selector,
        matching_type,
        data: vec![0; 32],
    }
}

/// The table of mox's TestGatherTLSA.
fn reference_resolver() -> MockResolver {
    MockResolver::default()
        .all_authentic(true)
        .tlsa("_25._tcp.host0.example.", vec![record(3, 1, 1)])
        .tlsa("_25._tcp.host1.example.", vec![record(3, 0, 1)])
        .tlsa("_25._tcp.inauthentic.example.", vec![record(3, 0, 1)])
        .tlsa("_25._tcp.temperror-cname.example.", vec![record(3, 0, 1)])
        .cname("_25._tcp.cname.example.", "_25._tcp.host1.example.")
        .cname(
            "_25._tcp.cnameloop.example.",
            "_25._tcp.cnameloop2.example.",
        )
        .cname(
            "_25._tcp.cnameloop2.example.",
            "_25._tcp.cnameloop.example.",
        )
        .cname(
            "_25._tcp.cname-to-inauthentic.example.",
            "_25._tcp.cnameinauthentic.example.",
        )
        .cname(
            "_25._tcp.cnameinauthentic.example.",
            "_25._tcp.host1.example.",
        )
        .cname(
            "_25._tcp.danglingcname.example.",
            "_25._tcp.absent.example.",
        )
        .fail("cname _25._tcp.temperror-cname.example.")
        .inauthentic("cname _25._tcp.cnameinauthentic.example.")
        .inauthentic("tlsa _25._tcp.inauthentic.example.")
}

/// mox's test cases T1–T13: `Ok((dane_required, records, base))` or the error kind.
#[test]
fn reference_cases() {
    let list0 = vec![record(3, 1, 1)];
    let list1 = vec![record(3, 0, 1)];
    type Expected = Result<(bool, Vec<Tlsa>, &'static str), ErrorKind>;
    let cases: Vec<(&str, bool, &str, Expected)> = vec![
        ("host1", false, "host1", Ok((true, list1.clone(), "host1"))),
        ("host1", true, "host1", Ok((true, list1.clone(), "host1"))),
        ("host0", true, "host1", Ok((true, list1.clone(), "host1"))),
        ("host0", false, "host1", Ok((true, list0.clone(), "host0"))),
        ("host0", true, "cname", Ok((true, list1.clone(), "cname"))),
        ("host0", false, "cname", Ok((true, list0.clone(), "host0"))),
        ("cnameloop", false, "cnameloop", Err(ErrorKind::CnameLimit)),
        (
            "host0",
            false,
            "inauthentic",
            Ok((true, list0.clone(), "host0")),
        ),
        (
            "inauthentic",
            false,
            "inauthentic",
            Ok((false, vec![], "inauthentic")),
        ),
        (
            "temperror-cname",
            false,
            "temperror-cname",
            Err(ErrorKind::Dns),
        ),
        (
            "host1",
            true,
            "cname-to-inauthentic",
            Ok((true, list1.clone(), "host1")),
        ),
        (
            "host1",
            true,
            "danglingcname",
            Ok((true, list1.clone(), "host1")),
        ),
        (
            "danglingcname",
            true,
            "danglingcname",
            Ok((false, vec![], "danglingcname")),
        ),
    ];
    let mut r = reference_resolver();
    for (i, (host, expanded_authentic, expanded, expected)) in cases.into_iter().enumerate() {
        let got = gather_tlsa(&mut r, &domain(host), expanded_authentic, &domain(expanded));
        let got = got
            .map(|p| (p.dane_required, p.records, p.base_domain))
            .map_err(|e| e.kind());
        let expected = expected.map(|(required, records, base)| (required, records, domain(base)));
        assert_eq!(
            got,
            expected,
            "T{}: {host} {expanded_authentic} {expanded}",
            i + 1
        );
    }
}

/// As in mox: at most 10 CNAME hops at the TLSA name.
#[test]
fn cname_hop_limit() {
    let chain = |hops: usize| {
        let mut r = MockResolver::default().all_authentic(true);
        for i in 0..hops {
            r = r.cname(
                &format!("_25._tcp.c{i}.example."),
                &format!("_25._tcp.c{}.example.", i + 1),
            );
        }
        r.tlsa(&format!("_25._tcp.c{hops}.example."), vec![record(2, 1, 1)])
    };
    let got = gather_tlsa(&mut chain(10), &domain("c0"), false, &domain("c0")).expect("10 hops");
    assert_eq!(got.records, [record(2, 1, 1)]);
    let error =
        gather_tlsa(&mut chain(11), &domain("c0"), false, &domain("c0")).expect_err("11 hops");
    assert_eq!(
        error.to_string(),
        "too many cname hops from _25._tcp.c0.example., last _25._tcp.c10.example."
    );
}

/// RFC 7672 §2.2: records that exist but are unusable still require TLS.
#[test]
fn unusable_records_still_require_dane() {
    let mut r = MockResolver::default().all_authentic(true).tlsa(
        "_25._tcp.mx.example.",
        vec![record(1, 1, 1), record(3, 2, 1)],
    );
    let got = gather_tlsa(&mut r, &domain("mx"), true, &domain("mx")).expect("policy");
    assert!(got.dane_required);
    assert!(got.records.is_empty());
}

/// RFC 7672 §2.1.1: a bogus TLSA answer fails delivery; the extended DNS error survives.
#[test]
fn bogus_tlsa_is_an_error_with_its_ede() {
    let bogus = LookupError::Temporary {
        extended_error: Some(6),
        message: "servfail".into(),
    };
    let mut r = MockResolver::default()
        .all_authentic(true)
        .fail_with("tlsa _25._tcp.mx.example.", bogus.clone());
    let error = gather_tlsa(&mut r, &domain("mx"), true, &domain("mx")).expect_err("bogus");
    let Error::Dns(dns) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(dns.lookup_error(), Some(&bogus));
    assert!(!error.is_permanent());
}

/// Not authentic anywhere: no DANE, no error.
#[test]
fn insecure_answers_mean_no_dane() {
    let mut r = MockResolver::default()
        .tlsa("_25._tcp.mx.example.", vec![record(3, 1, 1)])
        .cname("_25._tcp.alias.example.", "_25._tcp.mx.example.");
    for host in ["mx", "alias", "absent"] {
        let got = gather_tlsa(&mut r, &domain(host), false, &domain(host)).expect("insecure");
        assert_eq!((got.dane_required, got.base_domain), (false, domain(host)));
    }
}

/// RFC 7672 §3.1.3, RFC 6698 §2.1: which records are usable.
#[test]
fn usable_records() {
    let spki: Vec<u8> = [
        [
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ]
        .as_slice(),
        &[7; 32],
    ]
    .concat();
    let with = |usage, selector, matching_type, data: Vec<u8>| Tlsa {
        usage,
        selector,
        matching_type,
        data,
    };
    let cases = [
        (with(3, 1, 1, vec![0; 32]), true),
        (with(2, 0, 1, vec![0; 32]), true),
        (with(3, 1, 2, vec![0; 64]), true),
        (with(3, 1, 0, spki.clone()), true),
        (with(3, 0, 0, spki.clone()), false),
        (with(3, 1, 0, vec![0; 32]), false),
        (with(3, 1, 1, vec![0; 31]), false),
        (with(3, 1, 2, vec![0; 32]), false),
        (with(0, 1, 1, vec![0; 32]), false),
        (with(1, 1, 1, vec![0; 32]), false),
        (with(4, 1, 1, vec![0; 32]), false),
        (with(3, 2, 1, vec![0; 32]), false),
        (with(3, 1, 3, vec![0; 32]), false),
        (with(3, 1, 255, vec![0; 32]), false),
    ];
    for (record, expected) in cases {
        assert_eq!(usable(&record), expected, "{record:?}");
    }
}
