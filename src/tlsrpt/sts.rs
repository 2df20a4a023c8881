//! The recipient domain's TLS-reporting result for MTA-STS (RFC 8460 §4.4): policy type
//! `sts` with the policy lines and MX patterns, or `no-policy-found`; a failed fetch adds its
//! failure details with the RFC 8460 §4.3.2.2 result types.

use super::failure::Failure;
use super::report::{FailureDetails, PolicyResult, PolicyType};
use crate::dns::Domain;
use crate::mtasts::{FetchError, Policy, StsError, policy_host};

/// RFC 8460 §4.3.2.2 "sts-policy-fetch-error".
pub const STS_POLICY_FETCH_ERROR: &str = "sts-policy-fetch-error";
/// RFC 8460 §4.3.2.2 "sts-policy-invalid".
pub const STS_POLICY_INVALID: &str = "sts-policy-invalid";
/// RFC 8460 §4.3.2.2 "sts-webpki-invalid".
pub const STS_WEBPKI_INVALID: &str = "sts-webpki-invalid";

/// The result for `domain` with the policy that applies, if any, and the discovery error, if
/// any. A fetch failure's "receiving-mx-hostname" is the policy host, `mta-sts.<domain>`.
///
/// Sessions are not counted here: a fetch failure adds its details with a count of one
/// failed fetch, and the delivery that follows counts its sessions on this result.
#[must_use]
pub fn sts_result(
    domain: &Domain,
    policy: Option<&Policy>,
    error: Option<&StsError>,
) -> PolicyResult {
    let result_type = error.and_then(result_type);
    let mut result = match policy {
        Some(policy) => {
            let mut result = PolicyResult::new(PolicyType::Sts, &domain.ascii);
            // RFC 8460 §4.4 "policy-string": for MTA-STS, "the lines of the policy".
            result.policy.policy_string.clone_from(&policy.lines);
            // RFC 8460 §4.4 "mx-host": the MX patterns of the policy.
            result.policy.mx_host.clone_from(&policy.mx);
            result
        }
        // RFC 8460 §4.3.2.2: a policy exists (its TXT record says so) but could not be used.
        None if result_type.is_some() => PolicyResult::new(PolicyType::Sts, &domain.ascii),
        None => PolicyResult::new(PolicyType::NoPolicyFound, &domain.ascii),
    };
    if let (Some(error), Some(result_type)) = (error, result_type) {
        result.add(
            0,
            0,
            &[FailureDetails {
                result_type: result_type.to_string(),
                sending_mta_ip: String::new(),
                receiving_mx_hostname: policy_host(domain),
                receiving_mx_helo: None,
                receiving_ip: String::new(),
                failed_session_count: 1,
                additional_information: Some(error.to_string()),
                failure_reason_code: failure_reason(error),
            }],
        );
    }
    result
}

/// The RFC 8460 §4.3.2.2 result type of a failed fetch.
#[must_use]
pub fn fetch_result_type(error: &FetchError) -> &'static str {
    match error {
        FetchError::Tls { pkix: Some(_), .. } => STS_WEBPKI_INVALID,
        FetchError::PolicyInvalid(_) => STS_POLICY_INVALID,
        _ => STS_POLICY_FETCH_ERROR,
    }
}

/// The RFC 8460 §4.3.2.2 result type when the policy could not be fetched; `None` for
/// discovery errors (TXT), which leave the domain without a policy.
#[must_use]
pub fn result_type(error: &StsError) -> Option<&'static str> {
    match error {
        StsError::TxtLookup { .. } | StsError::Record { .. } => None,
        StsError::Resolve { .. } | StsError::Connect { .. } => Some(STS_POLICY_FETCH_ERROR),
        StsError::Fetch { error, .. } => Some(fetch_result_type(error)),
    }
}

/// The "failure-reason-code" of a certificate failure: the RFC 8460 §4.3 result type the
/// session would report, e.g. "certificate-expired", with the reference's reason after a
/// "+" when there is one ("certificate-not-trusted+not-authorized-to-sign").
#[must_use]
pub fn failure_reason(error: &StsError) -> Option<String> {
    let StsError::Fetch {
        error: FetchError::Tls {
            pkix: Some(pkix), ..
        },
        ..
    } = error
    else {
        return None;
    };
    let failure = Failure::pkix(pkix);
    Some(match &failure.reason {
        Some(reason) => format!("{}+{reason}", failure.result_type),
        None => failure.result_type.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::LookupError;
    use crate::mtasts::PolicyError;
    use crate::tls::PkixError;

    const HOST: &str = "mta-sts.example.com";

    fn domain() -> Domain {
        Domain::parse("example.com").unwrap()
    }

    fn fetch(error: FetchError) -> StsError {
        StsError::Fetch {
            host: HOST.into(),
            error,
        }
    }

    #[test]
    fn policy_lines_and_patterns() {
        let policy = Policy::parse(
            b"version: STSv1\r\nmode: testing\r\nmx: a.example.com\r\nmx: *.example.net\r\nmax_age: 60\r\n",
        )
        .unwrap();
        let result = sts_result(&domain(), Some(&policy), None);
        let json: serde_json::Value = serde_json::from_str(&result.to_json()).unwrap();
        assert_eq!(json["policy"]["policy-type"], "sts");
        assert_eq!(json["policy"]["policy-domain"], "example.com");
        assert_eq!(
            json["policy"]["policy-string"],
            serde_json::json!([
                "version: STSv1",
                "mode: testing",
                "mx: a.example.com",
                "mx: *.example.net",
                "max_age: 60"
            ])
        );
        assert_eq!(
            json["policy"]["mx-host"],
            serde_json::json!(["a.example.com", "*.example.net"])
        );
        assert!(result.failure_details.is_empty());
    }

    #[test]
    fn no_policy_and_discovery_errors() {
        let none = sts_result(&domain(), None, None);
        assert_eq!(none.policy.policy_type, PolicyType::NoPolicyFound);
        let txt = StsError::TxtLookup {
            name: "_mta-sts.example.com.".into(),
            error: LookupError::Temporary {
                extended_error: None,
                message: "servfail".into(),
            },
        };
        let failed = sts_result(&domain(), None, Some(&txt));
        assert_eq!(failed, none);
    }

    #[test]
    fn fetch_failures_have_rfc8460_result_types() {
        let pkix = PkixError::NameMismatch("other.example".into());
        let cases = [
            (
                fetch(FetchError::Status { code: 404 }),
                "sts-policy-fetch-error",
                None,
            ),
            (
                fetch(FetchError::Redirect {
                    code: 301,
                    location: None,
                }),
                "sts-policy-fetch-error",
                None,
            ),
            (
                fetch(FetchError::PolicyInvalid(PolicyError::Missing {
                    key: "mode",
                })),
                "sts-policy-invalid",
                None,
            ),
            (
                fetch(FetchError::Tls {
                    detail: "invalid peer certificate".into(),
                    pkix: Some(pkix),
                }),
                "sts-webpki-invalid",
                Some("certificate-host-mismatch".to_string()),
            ),
            (
                StsError::Connect {
                    host: HOST.into(),
                    detail: "connection refused".into(),
                    timeout: false,
                },
                "sts-policy-fetch-error",
                None,
            ),
        ];
        for (error, want, reason) in cases {
            let result = sts_result(&domain(), None, Some(&error));
            assert_eq!(result.policy.policy_type, PolicyType::Sts, "{error}");
            assert_eq!(result.failure_details.len(), 1);
            let detail = &result.failure_details[0];
            assert_eq!(detail.result_type, want, "{error}");
            assert_eq!(detail.receiving_mx_hostname, HOST);
            assert_eq!(detail.failure_reason_code, reason, "{error}");
            assert_eq!(detail.additional_information, Some(error.to_string()));
            assert_eq!(result.summary.total_failure_session_count, 0);
        }
    }

    #[test]
    fn certificate_failure_reason() {
        let error = fetch(FetchError::Tls {
            detail: "x".into(),
            pkix: Some(PkixError::Webpki(webpki::Error::EndEntityUsedAsCa)),
        });
        assert_eq!(
            failure_reason(&error).as_deref(),
            Some("certificate-not-trusted+not-authorized-to-sign")
        );
        assert_eq!(failure_reason(&fetch(FetchError::Closed)), None);
        assert_eq!(
            result_type(&fetch(FetchError::Closed)),
            Some(STS_POLICY_FETCH_ERROR)
        );
    }
}
