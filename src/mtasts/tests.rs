//! Discovery end to end on data: TXT answers, the cache and fetch results in, outcomes out.

use super::*;
use crate::error::ErrorKind;
use crate::tlsrpt::PolicyType;

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1000\n";

fn domain() -> Domain {
    Domain::parse("example.com").unwrap()
}

fn sts(outcome: &StsOutcome) -> crate::tlsrpt::PolicyResult {
    crate::tlsrpt::sts_result(&domain(), outcome.policy.as_ref(), outcome.error.as_ref())
}

fn txt(records: &[&str]) -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
    Ok(Answer {
        data: records.iter().map(|r| r.as_bytes().to_vec()).collect(),
        authentic: false,
    })
}

fn servfail() -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
    Err(LookupError::Temporary {
        extended_error: None,
        message: "servfail".into(),
    })
}

fn cached(id: &str, fetched_at: u64) -> CachedPolicy {
    CachedPolicy {
        id: id.into(),
        text: POLICY.into(),
        fetched_at,
    }
}

fn fetched() -> Fetched {
    Fetched {
        policy: Policy::parse(POLICY.as_bytes()).unwrap(),
        text: POLICY.into(),
    }
}

fn done(discovery: Discovery) -> StsOutcome {
    match discovery {
        Discovery::Done(outcome) => outcome,
        Discovery::Fetch(pending) => panic!("unexpected fetch from {}", pending.host()),
    }
}

fn fetch_of(discovery: Discovery) -> PendingFetch {
    match discovery {
        Discovery::Fetch(pending) => pending,
        Discovery::Done(outcome) => panic!("unexpected outcome {outcome:?}"),
    }
}

#[test]
fn names() {
    assert_eq!(
        txt_name(&domain()).unwrap().as_str(),
        "_mta-sts.example.com."
    );
    assert_eq!(policy_host(&domain()), "mta-sts.example.com");
    let long = Domain::parse(&format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57)
    ))
    .unwrap();
    assert!(txt_name(&long).is_none());
}

#[test]
fn no_record_no_policy() {
    let not_found = Err(LookupError::NotFound { authentic: true });
    for answer in [not_found, txt(&[]), txt(&["v=spf1 -all"])] {
        let outcome = done(discover(&domain(), None, answer, 500));
        assert_eq!(outcome.policy, None);
        assert_eq!(outcome.cache, None);
        assert_eq!(outcome.error, None);
        assert_eq!(sts(&outcome).policy.policy_type, PolicyType::NoPolicyFound);
        assert_eq!(sts(&outcome).policy.policy_domain, "example.com");
    }
}

#[test]
fn new_policy_is_fetched_and_returned_for_caching() {
    let pending = fetch_of(discover(&domain(), None, txt(&["v=STSv1; id=abc;"]), 500));
    assert_eq!(pending.host(), "mta-sts.example.com");
    assert_eq!(pending.domain(), &domain());
    let outcome = pending.finish(Ok(fetched()));
    assert_eq!(outcome.policy, Some(fetched().policy));
    assert_eq!(outcome.cache, Some(cached("abc", 500)));
    assert_eq!(outcome.error, None);
    assert_eq!(sts(&outcome).policy.policy_type, PolicyType::Sts);
    assert_eq!(sts(&outcome).policy.mx_host, ["mx.example.com"]);
    assert_eq!(sts(&outcome).policy.policy_string.len(), 4);
}

#[test]
fn same_id_uses_the_cache_and_new_id_refetches() {
    let cache = cached("abc", 500);
    let outcome = done(discover(
        &domain(),
        Some(&cache),
        txt(&["v=STSv1; id=abc"]),
        1000,
    ));
    assert_eq!(outcome.policy, Some(fetched().policy));
    assert_eq!(outcome.cache, None);
    let pending = fetch_of(discover(
        &domain(),
        Some(&cache),
        txt(&["v=STSv1; id=def"]),
        1000,
    ));
    let outcome = pending.finish(Ok(fetched()));
    assert_eq!(outcome.cache, Some(cached("def", 1000)));
    // Expired with the same id: refreshed.
    let pending = fetch_of(discover(
        &domain(),
        Some(&cache),
        txt(&["v=STSv1; id=abc"]),
        1500,
    ));
    assert_eq!(
        pending.finish(Ok(fetched())).cache,
        Some(cached("abc", 1500))
    );
}

#[test]
fn txt_failure_keeps_a_valid_cached_policy() {
    let cache = cached("abc", 500);
    let outcome = done(discover(&domain(), Some(&cache), servfail(), 1000));
    assert_eq!(outcome.policy, Some(fetched().policy));
    let error = outcome.error.clone().unwrap();
    assert_eq!(error.kind(), ErrorKind::Dns);
    assert_eq!(sts(&outcome).policy.policy_type, PolicyType::Sts);
    // Expired: nothing.
    let outcome = done(discover(&domain(), Some(&cache), servfail(), 1500));
    assert_eq!(outcome.policy, None);
    assert_eq!(sts(&outcome).policy.policy_type, PolicyType::NoPolicyFound);
    // No record at all keeps it as well (RFC 8461 §5.1).
    let outcome = done(discover(&domain(), Some(&cache), txt(&[]), 1000));
    assert_eq!(outcome.policy, Some(fetched().policy));
    assert_eq!(outcome.error, None);
}

#[test]
fn several_records_are_no_policy_with_an_error() {
    let outcome = done(discover(
        &domain(),
        None,
        txt(&["v=STSv1; id=a", "v=STSv1; id=b"]),
        0,
    ));
    assert_eq!(outcome.policy, None);
    let error = outcome.error.unwrap();
    assert_eq!(error.kind(), ErrorKind::Protocol);
    assert!(error.to_string().contains("2 stsv1 txt records"), "{error}");
}

#[test]
fn fetch_failure_falls_back_to_a_valid_cached_policy() {
    let cache = cached("abc", 500);
    let failure = || StsError::Fetch {
        host: "mta-sts.example.com".into(),
        error: FetchError::Status { code: 404 },
    };
    let pending = fetch_of(discover(
        &domain(),
        Some(&cache),
        txt(&["v=STSv1; id=new"]),
        1000,
    ));
    let outcome = pending.finish(Err(failure()));
    assert_eq!(outcome.policy, Some(fetched().policy));
    assert_eq!(outcome.cache, None);
    assert_eq!(
        outcome.error.as_ref().map(StsError::kind),
        Some(ErrorKind::Protocol)
    );
    assert_eq!(sts(&outcome).policy.policy_type, PolicyType::Sts);
    assert_eq!(
        sts(&outcome).failure_details[0].result_type,
        "sts-policy-fetch-error"
    );
    // Without a valid cached policy: none, and the failure is reported.
    let pending = fetch_of(discover(&domain(), None, txt(&["v=STSv1; id=new"]), 1000));
    let outcome = pending.finish(Err(failure()));
    assert_eq!(outcome.policy, None);
    assert_eq!(sts(&outcome).policy.policy_type, PolicyType::Sts);
    assert_eq!(sts(&outcome).failure_details.len(), 1);
    assert_eq!(
        outcome.error.unwrap().to_string(),
        "fetching https://mta-sts.example.com/.well-known/mta-sts.txt: http status 404, expected 200"
    );
}
