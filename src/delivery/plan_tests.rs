use super::*;

fn record() -> Tlsa {
    Tlsa {
        usage: 3,
        selector: 1,
        matching_type: 1,
        data: vec![7; 32],
    }
}

fn input(requested: TlsLevel, dane: Dane, sts: Sts) -> HostInput<'static> {
    HostInput {
        requested,
        host: "mx.example.org",
        next_hop: "example.org",
        dane,
        sts,
        tls_required_no: false,
        dmarc_report: false,
    }
}

fn usable() -> Dane {
    Dane::Usable {
        records: vec![record()],
        names: vec!["mx.example.org".into(), "example.org".into()],
    }
}

#[test]
fn no_policy_is_opportunistic_with_plaintext_retry() {
    let plan = plan(input(TlsLevel::Dane, Dane::NoRecords, Sts::None)).unwrap();
    assert_eq!(plan.level, TlsLevel::May);
    assert_eq!(plan.tls_mode, TlsMode::Opportunistic);
    assert!(!plan.verify_pkix && !plan.authenticated && plan.plaintext_retry);
    assert_eq!(plan.dane_records, None);
    assert_eq!(plan.remote_hostname, "mx.example.org");
}

#[test]
fn usable_dane_requires_tls_verifies_and_never_falls_back() {
    let plan = plan(input(TlsLevel::May, usable(), Sts::None)).unwrap();
    assert_eq!(plan.level, TlsLevel::Dane);
    assert_eq!(plan.tls_mode, TlsMode::RequiredStartTls);
    assert_eq!(plan.dane_records, Some(vec![record()]));
    assert!(plan.authenticated && !plan.plaintext_retry && !plan.verify_pkix);
    assert_eq!(plan.remote_hostname, "mx.example.org");
    assert_eq!(plan.dane_more_hostnames, vec!["example.org".to_string()]);
}

#[test]
fn dane_wins_over_an_enforced_sts_policy_that_does_not_list_the_host() {
    let plan = plan(input(
        TlsLevel::May,
        usable(),
        Sts::Enforce { matches: false },
    ))
    .unwrap();
    assert_eq!(plan.level, TlsLevel::Dane);
}

#[test]
fn a_dmarc_report_is_never_retried_in_plaintext_unless_tls_is_not_required() {
    let mut report = input(TlsLevel::May, Dane::NotApplicable, Sts::None);
    report.dmarc_report = true;
    assert!(!plan(report.clone()).unwrap().plaintext_retry);
    report.tls_required_no = true;
    assert!(plan(report).unwrap().plaintext_retry);
}

#[test]
fn unusable_records_mean_tls_without_authentication() {
    let plan = plan(input(TlsLevel::Dane, Dane::Unusable, Sts::None)).unwrap();
    assert_eq!(plan.level, TlsLevel::Encrypt);
    assert_eq!(plan.tls_mode, TlsMode::RequiredStartTls);
    assert!(!plan.verify_pkix && !plan.authenticated && !plan.plaintext_retry);
}

#[test]
fn a_failed_tlsa_lookup_forbids_the_host_unless_tls_is_not_required() {
    let failed = Dane::LookupFailed(Error::internal("lookup"));
    assert_eq!(
        plan(input(TlsLevel::Dane, failed.clone(), Sts::None)),
        Err(Error::internal("lookup"))
    );
    let mut relaxed = input(TlsLevel::Dane, failed, Sts::None);
    relaxed.tls_required_no = true;
    let plan = plan(relaxed).unwrap();
    assert_eq!(plan.level, TlsLevel::May);
    assert!(plan.ignore_verify_errors && plan.plaintext_retry);
}

#[test]
fn enforced_sts_verifies_pkix_and_refuses_unlisted_hosts() {
    let plan_ok = plan(input(
        TlsLevel::May,
        Dane::NoRecords,
        Sts::Enforce { matches: true },
    ))
    .unwrap();
    assert_eq!(plan_ok.level, TlsLevel::Verify);
    assert_eq!(plan_ok.tls_mode, TlsMode::RequiredStartTls);
    assert!(plan_ok.verify_pkix && plan_ok.authenticated && !plan_ok.plaintext_retry);

    let refused = plan(input(
        TlsLevel::May,
        Dane::NoRecords,
        Sts::Enforce { matches: false },
    ));
    let error = refused.unwrap_err();
    assert_eq!(error.kind(), crate::error::ErrorKind::Policy);
    assert!(!error.is_permanent());
    assert!(error.to_string().contains("mx.example.org"), "{error}");
}

#[test]
fn tls_required_no_ignores_an_enforced_policy_mismatch() {
    let mut relaxed = input(
        TlsLevel::May,
        Dane::NoRecords,
        Sts::Enforce { matches: false },
    );
    relaxed.tls_required_no = true;
    let plan = plan(relaxed).unwrap();
    assert_eq!(plan.level, TlsLevel::May);
    assert!(plan.plaintext_retry && plan.ignore_verify_errors);
}

#[test]
fn testing_sts_changes_nothing() {
    let plan = plan(input(
        TlsLevel::May,
        Dane::NoRecords,
        Sts::Testing { matches: false },
    ))
    .unwrap();
    assert_eq!(plan.level, TlsLevel::May);
    assert!(plan.plaintext_retry);
}

#[test]
fn dane_only_needs_usable_records() {
    let error = plan(input(TlsLevel::DaneOnly, Dane::NoRecords, Sts::None)).unwrap_err();
    assert_eq!(error.kind(), crate::error::ErrorKind::Policy);
    let error = plan(input(TlsLevel::DaneOnly, Dane::Unusable, Sts::None)).unwrap_err();
    assert_eq!(error.kind(), crate::error::ErrorKind::Policy);
    let plan = plan(input(TlsLevel::DaneOnly, usable(), Sts::None)).unwrap();
    assert_eq!(plan.level, TlsLevel::DaneOnly);
}

#[test]
fn encrypt_requires_tls_without_verification() {
    let plan = plan(input(TlsLevel::Encrypt, Dane::NotApplicable, Sts::None)).unwrap();
    assert_eq!(plan.level, TlsLevel::Encrypt);
    assert_eq!(plan.tls_mode, TlsMode::RequiredStartTls);
    assert!(!plan.verify_pkix && !plan.plaintext_retry);
}

#[test]
fn verify_and_secure_use_pkix() {
    let verify = plan(input(TlsLevel::Verify, Dane::NotApplicable, Sts::None)).unwrap();
    assert!(verify.verify_pkix && !verify.plaintext_retry);
    // Not `authenticated` for REQUIRETLS: only DANE or MTA-STS count (RFC 8689 §4.1).
    assert!(!verify.authenticated);
    let secure = plan(input(TlsLevel::Secure, Dane::NotApplicable, Sts::None)).unwrap();
    assert_eq!(secure.level, TlsLevel::Secure);
    let mut outside = input(TlsLevel::Secure, Dane::NotApplicable, Sts::None);
    outside.host = "mx.hoster.example";
    assert_eq!(
        plan(outside).unwrap_err().kind(),
        crate::error::ErrorKind::Policy
    );
}

#[test]
fn levels_have_postfix_names_and_order() {
    let names: Vec<_> = [
        TlsLevel::May,
        TlsLevel::Encrypt,
        TlsLevel::Dane,
        TlsLevel::DaneOnly,
        TlsLevel::Verify,
        TlsLevel::Secure,
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    assert_eq!(
        names,
        ["may", "encrypt", "dane", "dane-only", "verify", "secure"]
    );
    assert!(TlsLevel::Encrypt.requires_tls() && !TlsLevel::Dane.requires_tls());
}
