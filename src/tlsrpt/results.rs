//! The two TLS-reporting results a connection adds to, as in mox: the recipient domain's
//! (MTA-STS or no-policy-found) and the MX host's (DANE or no-policy-found).

use super::failure::Failure;
use super::report::{FailureDetails, PolicyResult, PolicyType};

/// The results one session records into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsResults {
    /// The recipient domain's policy result; PKIX failures go here.
    pub recipient_domain: PolicyResult,
    /// The MX host's policy result; DANE failures go here.
    pub host: PolicyResult,
}

impl TlsResults {
    /// Fresh "no-policy-found" results for `domain` (RFC 8460 §4.4), for both.
    #[must_use]
    pub fn no_policy(domain: &str) -> Self {
        let result = PolicyResult::new(PolicyType::NoPolicyFound, domain);
        TlsResults {
            recipient_domain: result.clone(),
            host: result,
        }
    }

    /// Counts sessions on both results, with the failure's details when given.
    pub(crate) fn add(&mut self, success: u64, failure: u64, details: Option<FailureDetails>) {
        let details: Vec<_> = details.into_iter().collect();
        self.recipient_domain.add(success, failure, &details);
        self.host.add(success, failure, &details);
    }

    /// A fatal alert right after the handshake: the success counted at the handshake becomes
    /// a failure on both results, as mox counts it.
    pub(crate) fn success_to_failure(&mut self, details: FailureDetails) {
        let details = [details];
        self.recipient_domain.convert_success_to_failure(&details);
        self.host.convert_success_to_failure(&details);
    }
}

impl Default for TlsResults {
    fn default() -> Self {
        Self::no_policy("")
    }
}

/// Where the connection goes, for the failure details (RFC 8460 §4.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportContext {
    /// "sending-mta-ip": our address on the connection; empty when unknown.
    pub sending_mta_ip: String,
    /// "receiving-ip": the server's address; empty when unknown.
    pub receiving_ip: String,
    /// "receiving-mx-hostname": the remote host name, ASCII.
    pub receiving_mx_hostname: String,
    /// "receiving-mx-helo": the host name of the server's greeting, once known.
    pub receiving_mx_helo: Option<String>,
}

impl ReportContext {
    /// One failed session with `failure`.
    #[must_use]
    pub fn details(&self, failure: &Failure) -> FailureDetails {
        FailureDetails {
            result_type: failure.result_type.to_string(),
            sending_mta_ip: self.sending_mta_ip.clone(),
            receiving_mx_hostname: self.receiving_mx_hostname.clone(),
            receiving_mx_helo: self.receiving_mx_helo.clone(),
            receiving_ip: self.receiving_ip.clone(),
            failed_session_count: 1,
            additional_information: None,
            failure_reason_code: failure.reason.clone(),
        }
    }
}
