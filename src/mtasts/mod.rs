//! MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy and its HTTPS fetch, MX host
//! matching, and the refresh decision with a host-owned cache. The recipient domain's
//! TLS-reporting result is [`crate::tlsrpt::sts_result`].
//!
//! Sans-IO: [`discover`] takes the TXT lookup's result and the time and decides; when a
//! fetch is needed the caller resolves `mta-sts.<domain>`, connects to port 443, drives a
//! [`http::Fetch`] and hands its result to [`PendingFetch::finish`]. [`lookup`] does all of
//! that over the platform's resolver and network.

pub mod cache;
pub mod error;
pub mod http;
pub mod lookup;
pub mod matching;
pub mod policy;
pub mod record;
pub mod response;

pub use cache::{CachedPolicy, Decision};
pub use error::{FetchError, StsError};
pub use http::{Fetch, Fetched};
pub use lookup::lookup;
pub use matching::{matches, matches_any};
pub use policy::{Mode, Policy, PolicyError};
pub use record::{Record, RecordError};

use crate::dns::{Answer, Domain, Fqdn, LookupError};

/// What policy discovery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsOutcome {
    /// The policy that applies: fetched now, or cached and still valid.
    pub policy: Option<Policy>,
    /// A policy fetched now, for the host to cache (it replaces what was cached).
    pub cache: Option<CachedPolicy>,
    /// What went wrong, if anything (always temporary); the outcome is usable regardless.
    pub error: Option<StsError>,
}

/// After the TXT lookup: done, or a fetch to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discovery {
    /// No fetch needed.
    Done(StsOutcome),
    /// Fetch the policy from [`PendingFetch::host`].
    Fetch(PendingFetch),
}

/// RFC 8461 §3.1: the TXT record is at `_mta-sts.<domain>`; `None` when that name is too long.
#[must_use]
pub fn txt_name(domain: &Domain) -> Option<Fqdn> {
    Fqdn::parse(&format!("_mta-sts.{}", domain.ascii)).ok()
}

/// RFC 8461 §3.3: the policy host is `mta-sts.<domain>`.
#[must_use]
pub fn policy_host(domain: &Domain) -> String {
    format!("mta-sts.{}", domain.ascii)
}

/// Decides from the `_mta-sts` TXT lookup's result, the cached policy and `now` (Unix
/// seconds). A not-found answer means no policy; a failed lookup or an invalid record keeps
/// a valid cached policy (RFC 8461 §5.1) and is reported as the outcome's error.
#[must_use]
pub fn discover(
    domain: &Domain,
    cached: Option<&CachedPolicy>,
    txt: Result<Answer<Vec<Vec<u8>>>, LookupError>,
    now: u64,
) -> Discovery {
    let name = txt_name(domain).map_or_else(
        || format!("_mta-sts.{}.", domain.ascii),
        |n| n.as_str().to_string(),
    );
    let (record, error) = match txt {
        Ok(answer) => match record::select(&answer.data) {
            Ok(record) => (Some(record), None),
            Err(RecordError::NoRecord) => (None, None),
            Err(error) => (None, Some(StsError::Record { name, error })),
        },
        Err(LookupError::NotFound { .. }) => (None, None),
        Err(error) => (None, Some(StsError::TxtLookup { name, error })),
    };
    match cache::decide(cached, record.as_ref(), now) {
        Decision::UseCached(policy) => Discovery::Done(outcome(Some(policy), None, error)),
        Decision::NoPolicy => Discovery::Done(outcome(None, None, error)),
        Decision::Fetch { id, fallback } => Discovery::Fetch(PendingFetch {
            domain: domain.clone(),
            id,
            fallback,
            now,
        }),
    }
}

/// A fetch to make: the TXT record has a new id, or the cached policy expired or is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFetch {
    domain: Domain,
    id: String,
    fallback: Option<Policy>,
    now: u64,
}

impl PendingFetch {
    /// The host to fetch from, `mta-sts.<domain>`.
    #[must_use]
    pub fn host(&self) -> String {
        policy_host(&self.domain)
    }

    /// The domain whose policy is fetched.
    #[must_use]
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// The outcome after the fetch: the fetched policy, to use and to cache; or on failure
    /// the valid cached policy, if any (RFC 8461 §5.1), with the error.
    #[must_use]
    pub fn finish(self, fetched: Result<Fetched, StsError>) -> StsOutcome {
        match fetched {
            Ok(fetched) => {
                let cache = CachedPolicy {
                    id: self.id,
                    text: fetched.text,
                    fetched_at: self.now,
                };
                outcome(Some(fetched.policy), Some(cache), None)
            }
            Err(error) => outcome(self.fallback, None, Some(error)),
        }
    }
}

fn outcome(
    policy: Option<Policy>,
    cache: Option<CachedPolicy>,
    error: Option<StsError>,
) -> StsOutcome {
    StsOutcome {
        policy,
        cache,
        error,
    }
}

#[cfg(test)]
mod tests;
