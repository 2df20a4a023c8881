//! The TLS-reporting results of one delivery attempt: the recipient domain's result once,
//! and one result per host tried. Each session starts from the policies with no counts
//! ([`AttemptResults::session_start`]) and its results are added back afterwards, so that
//! nothing is counted twice.

use super::report::{PolicyResult, PolicyType, Summary};
use super::results::TlsResults;

/// The results of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResults {
    /// The recipient domain's (MTA-STS or no-policy-found).
    pub recipient_domain: PolicyResult,
    /// One per host tried (DANE or no-policy-found), in order.
    hosts: Vec<PolicyResult>,
}

impl AttemptResults {
    /// Starts with the recipient domain's result.
    #[must_use]
    pub fn new(recipient_domain: PolicyResult) -> Self {
        AttemptResults {
            recipient_domain,
            hosts: Vec::new(),
        }
    }

    /// Adds what is known about a host tried; a host seen before (the plaintext retry, the
    /// same policy) adds to its result.
    pub fn add_host(&mut self, host: &PolicyResult) {
        match self.hosts.iter_mut().find(|h| h.policy == host.policy) {
            Some(existing) => add(existing, host),
            None => self.hosts.push(host.clone()),
        }
    }

    /// What a session on `host` records into: both policies, nothing counted.
    #[must_use]
    pub fn session_start(&self, host: &PolicyResult) -> TlsResults {
        TlsResults {
            recipient_domain: policy_only(&self.recipient_domain),
            host: policy_only(host),
        }
    }

    /// Adds what a session recorded.
    pub fn add_session(&mut self, session: &TlsResults) {
        add(&mut self.recipient_domain, &session.recipient_domain);
        self.add_host(&session.host);
    }

    /// One pair per host, the recipient domain's counts and details in the first (the later
    /// ones carry its policy only, so sums over the list are right). Without a host, one
    /// pair with the next hop as a host without policy, when the domain's result has
    /// anything to say.
    #[must_use]
    pub fn into_results(self, next_hop: &str) -> Vec<TlsResults> {
        let domain_says = self.recipient_domain.summary != Summary::default()
            || !self.recipient_domain.failure_details.is_empty();
        if self.hosts.is_empty() {
            if !domain_says {
                return Vec::new();
            }
            return vec![TlsResults {
                recipient_domain: self.recipient_domain,
                host: PolicyResult::new(PolicyType::NoPolicyFound, next_hop),
            }];
        }
        let mut domain = Some(self.recipient_domain.clone());
        self.hosts
            .into_iter()
            .map(|host| TlsResults {
                recipient_domain: domain
                    .take()
                    .unwrap_or_else(|| policy_only(&self.recipient_domain)),
                host,
            })
            .collect()
    }
}

/// `result`'s policy without counts or details.
fn policy_only(result: &PolicyResult) -> PolicyResult {
    PolicyResult {
        policy: result.policy.clone(),
        summary: Summary::default(),
        failure_details: Vec::new(),
    }
}

fn add(into: &mut PolicyResult, from: &PolicyResult) {
    into.add(
        from.summary.total_successful_session_count,
        from.summary.total_failure_session_count,
        &from.failure_details,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsrpt::{Failure, ReportContext};

    #[test]
    fn sessions_add_up_once() {
        let domain = PolicyResult::new(PolicyType::Sts, "example.org");
        let host = PolicyResult::new(PolicyType::Tlsa, "mx.example.org");
        let mut results = AttemptResults::new(domain);
        results.add_host(&host);
        let mut session = results.session_start(&host);
        session.recipient_domain.add(1, 0, &[]);
        session.host.add(1, 0, &[]);
        results.add_session(&session);
        let mut retry = results.session_start(&host);
        let detail = ReportContext::default().details(&Failure::handshake_timeout());
        retry.host.add(0, 1, &[detail]);
        results.add_session(&retry);
        let other = PolicyResult::new(PolicyType::NoPolicyFound, "mx2.example.org");
        results.add_host(&other);
        let pairs = results.into_results("example.org");
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            pairs[0]
                .recipient_domain
                .summary
                .total_successful_session_count,
            1
        );
        assert_eq!(pairs[0].host.summary.total_successful_session_count, 1);
        assert_eq!(pairs[0].host.summary.total_failure_session_count, 1);
        assert_eq!(pairs[0].host.failure_details.len(), 1);
        assert_eq!(pairs[1].recipient_domain.summary, Summary::default());
        assert_eq!(
            pairs[1].recipient_domain.policy.policy_type,
            PolicyType::Sts
        );
        assert_eq!(pairs[1].host, other);
    }

    #[test]
    fn without_hosts_only_what_the_domain_says() {
        let domain = PolicyResult::new(PolicyType::NoPolicyFound, "example.org");
        assert!(
            AttemptResults::new(domain.clone())
                .into_results("example.org")
                .is_empty()
        );
        let mut said = domain;
        said.add(0, 1, &[]);
        let pairs = AttemptResults::new(said).into_results("example.org");
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].host.policy.policy_domain, "example.org");
    }
}
