//! TLS-reporting results (RFC 8460 §4.4): what a connection attempt adds to the daily
//! aggregate report of a policy domain.

use serde::Serialize;

/// RFC 8460 §4.4 "policy-type".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyType {
    /// A DANE TLSA policy (RFC 6698).
    Tlsa,
    /// An MTA-STS policy (RFC 8461).
    Sts,
    /// No policy was found.
    NoPolicyFound,
}

/// RFC 8460 §4.4 "policy".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    pub policy_type: PolicyType,
    pub policy_string: Vec<String>,
    pub policy_domain: String,
    pub mx_host: Vec<String>,
}

/// RFC 8460 §4.4 "failure-details".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FailureDetails {
    /// RFC 8460 §4.3 result type, e.g. "certificate-expired".
    pub result_type: String,
    pub sending_mta_ip: String,
    pub receiving_mx_hostname: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_mx_helo: Option<String>,
    pub receiving_ip: String,
    pub failed_session_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_information: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason_code: Option<String>,
}

/// The summary counts (RFC 8460 §4.4 "summary").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Summary {
    pub total_successful_session_count: u64,
    pub total_failure_session_count: u64,
}

/// The result for one policy: one entry of RFC 8460 §4.4 "policies".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct PolicyResult {
    pub policy: Policy,
    pub summary: Summary,
    pub failure_details: Vec<FailureDetails>,
}

impl PolicyResult {
    /// A result without sessions for `policy_type` at `domain`.
    pub fn new(policy_type: PolicyType, domain: &str) -> Self {
        PolicyResult {
            policy: Policy {
                policy_type,
                policy_string: Vec::new(),
                policy_domain: domain.to_owned(),
                mx_host: Vec::new(),
            },
            summary: Summary::default(),
            failure_details: Vec::new(),
        }
    }

    /// Count `success` and `failure` sessions and merge `details`: an entry equal in every
    /// field but the count adds its count to the existing one (RFC 8460 §4.4
    /// "failed-session-count" is per distinct failure).
    pub fn add(&mut self, success: u64, failure: u64, details: &[FailureDetails]) {
        self.summary.total_successful_session_count += success;
        self.summary.total_failure_session_count += failure;
        for detail in details {
            let same = self.failure_details.iter_mut().find(|existing| {
                FailureDetails {
                    failed_session_count: detail.failed_session_count,
                    ..(*existing).clone()
                } == *detail
            });
            match same {
                Some(existing) => existing.failed_session_count += detail.failed_session_count,
                None => self.failure_details.push(detail.clone()),
            }
        }
    }

    /// Take back one counted success and count a failure instead: a TLS alert right after
    /// the handshake means the server rejected us after all (TLS 1.3 client auth), as in mox.
    pub fn convert_success_to_failure(&mut self, details: &[FailureDetails]) {
        self.summary.total_successful_session_count = self
            .summary
            .total_successful_session_count
            .saturating_sub(1);
        self.add(0, 1, details);
    }

    /// The RFC 8460 §4.4 JSON object of this result.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(reason: &str) -> FailureDetails {
        FailureDetails {
            result_type: "validation-failure".into(),
            sending_mta_ip: "192.0.2.1".into(),
            receiving_mx_hostname: "mx.example.org".into(),
            receiving_mx_helo: None,
            receiving_ip: "192.0.2.2".into(),
            failed_session_count: 1,
            additional_information: None,
            failure_reason_code: Some(reason.into()),
        }
    }

    #[test]
    fn equal_details_are_merged_and_counted() {
        let mut result = PolicyResult::new(PolicyType::Tlsa, "mx.example.org");
        result.add(1, 0, &[]);
        result.add(0, 1, &[detail("dane-no-match")]);
        result.add(0, 1, &[detail("dane-no-match"), detail("other")]);
        assert_eq!(result.summary.total_successful_session_count, 1);
        assert_eq!(result.summary.total_failure_session_count, 2);
        assert_eq!(result.failure_details.len(), 2);
        assert_eq!(result.failure_details[0].failed_session_count, 2);
        assert_eq!(result.failure_details[1].failed_session_count, 1);
    }

    #[test]
    fn success_converted_to_failure_never_underflows() {
        let mut result = PolicyResult::new(PolicyType::NoPolicyFound, "example.org");
        result.convert_success_to_failure(&[detail("tls-remote-alert-42-bad-certificate")]);
        assert_eq!(result.summary.total_successful_session_count, 0);
        assert_eq!(result.summary.total_failure_session_count, 1);
    }

    #[test]
    fn json_uses_rfc8460_names() {
        let mut result = PolicyResult::new(PolicyType::NoPolicyFound, "example.org");
        result.add(0, 1, &[detail("x")]);
        let json: serde_json::Value = serde_json::from_str(&result.to_json()).unwrap();
        assert_eq!(json["policy"]["policy-type"], "no-policy-found");
        assert_eq!(json["policy"]["policy-domain"], "example.org");
        assert_eq!(json["summary"]["total-failure-session-count"], 1);
        let first = &json["failure-details"][0];
        assert_eq!(first["result-type"], "validation-failure");
        assert_eq!(first["receiving-ip"], "192.0.2.2");
        assert_eq!(first["failure-reason-code"], "x");
        assert!(first.get("receiving-mx-helo").is_none());
    }
}
