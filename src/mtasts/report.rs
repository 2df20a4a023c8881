//! The recipient domain's TLS-reporting result for MTA-STS (RFC 8460 §4.4, spec §4.4):
//! policy type `sts` with the policy lines and MX patterns, or `no-policy-found`; a failed
//! fetch adds its failure details (RFC 8460 §4.3.2.2).

use crate::tls::report::{FailureDetails, PolicyResult, PolicyType};

use super::error::StsError;
use super::policy::Policy;

/// The result for `domain` (ASCII) with the policy that applies, if any, and the discovery
/// error, if any. `policy_host` is `mta-sts.<domain>`, the "receiving-mx-hostname" of a
/// fetch failure.
///
/// Sessions are not counted here: a fetch failure adds its details with a count of one
/// failed fetch, and the delivery that follows counts its sessions on this result.
#[must_use]
pub fn result(
    domain: &str,
    policy_host: &str,
    policy: Option<&Policy>,
    error: Option<&StsError>,
) -> PolicyResult {
    let result_type = error.and_then(StsError::result_type);
    let mut result = match policy {
        Some(policy) => {
            let mut result = PolicyResult::new(PolicyType::Sts, domain);
            // RFC 8460 §4.4 "policy-string": for MTA-STS, "the lines of the policy".
            result.policy.policy_string.clone_from(&policy.lines);
            // RFC 8460 §4.4 "mx-host": the MX patterns of the policy.
            result.policy.mx_host.clone_from(&policy.mx);
            result
        }
        // RFC 8460 §4.3.2.2: a policy exists (its TXT record says so) but could not be used.
        None if result_type.is_some() => PolicyResult::new(PolicyType::Sts, domain),
        None => PolicyResult::new(PolicyType::NoPolicyFound, domain),
    };
    if let (Some(error), Some(result_type)) = (error, result_type) {
        result.add(
            0,
            0,
            &[FailureDetails {
                result_type: result_type.to_string(),
                sending_mta_ip: String::new(),
                receiving_mx_hostname: policy_host.to_string(),
                receiving_mx_helo: None,
                receiving_ip: String::new(),
                failed_session_count: 1,
                additional_information: Some(error.to_string()),
                failure_reason_code: error.failure_reason(),
            }],
        );
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::LookupError;
    use crate::mtasts::error::FetchError;
    use crate::mtasts::policy::PolicyError;
    use crate::tls::Failure;
    use crate::tls::pkix::PkixError;

    const HOST: &str = "mta-sts.example.com";

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
        let result = result("example.com", HOST, Some(&policy), None);
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
        let none = result("example.com", HOST, None, None);
        assert_eq!(none.policy.policy_type, PolicyType::NoPolicyFound);
        let txt = StsError::TxtLookup {
            name: "_mta-sts.example.com.".into(),
            error: LookupError::Temporary {
                extended_error: None,
                message: "servfail".into(),
            },
        };
        let failed = result("example.com", HOST, None, Some(&txt));
        assert_eq!(failed, none);
    }

    #[test]
    fn fetch_failures_have_rfc8460_result_types() {
        let pkix = Failure::pkix(&PkixError::NameMismatch("other.example".into()));
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
                    failure: Some(pkix),
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
            let result = result("example.com", HOST, None, Some(&error));
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
}
