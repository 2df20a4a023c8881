//! The refresh decision (RFC 8461 §5.1, §10.2): use the cached policy, fetch a new one, or
//! go without, from the cached policy, the TXT record and the time.

use super::policy::Policy;
use super::record::Record;

/// A policy as the host caches it (the WIT `sts-policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPolicy {
    /// The id of the TXT record the policy was fetched for.
    pub id: String,
    /// The policy text as served.
    pub text: String,
    /// Seconds since the Unix epoch when it was fetched.
    pub fetched_at: u64,
}

impl CachedPolicy {
    /// The policy when it is still valid at `now` (Unix seconds): it parses and
    /// `fetched_at + max_age > now` (RFC 8461 §3.2 "max_age": "maximum lifetime of the
    /// policy in seconds").
    #[must_use]
    pub fn valid_policy(&self, now: u64) -> Option<Policy> {
        let policy = Policy::parse(self.text.as_bytes()).ok()?;
        (self.fetched_at.saturating_add(u64::from(policy.max_age)) > now).then_some(policy)
    }
}

/// What to do about a domain's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The cached policy is valid and current.
    UseCached(Policy),
    /// Fetch the policy: the TXT id is new, or the cached policy expired or is missing.
    Fetch {
        /// The id to store with the fetched policy.
        id: String,
        /// The cached policy while it is valid, to fall back to when the fetch fails
        /// (RFC 8461 §5.1 "senders ... MUST continue to use the cached policy").
        fallback: Option<Policy>,
    },
    /// No policy applies.
    NoPolicy,
}

/// Decides from `cached`, the valid TXT record if there is one (`None` when the lookup failed,
/// found nothing or found an invalid record), and `now` (Unix seconds).
#[must_use]
pub fn decide(cached: Option<&CachedPolicy>, record: Option<&Record>, now: u64) -> Decision {
    let valid = cached.and_then(|c| c.valid_policy(now).map(|policy| (c, policy)));
    match (record, valid) {
        // RFC 8461 §5.1: "If a valid TXT record is found but no policy can be fetched via
        // HTTPS (for any reason), and there is no valid (non-expired) previously cached
        // policy, senders MUST continue with the next step"; an unchanged id keeps the policy.
        (Some(record), Some((cached, policy))) if cached.id == record.id => {
            Decision::UseCached(policy)
        }
        (Some(record), valid) => Decision::Fetch {
            id: record.id.clone(),
            fallback: valid.map(|(_, policy)| policy),
        },
        // RFC 8461 §5.1: "If a valid TXT record is not found ... but the sender has a
        // cached policy, a sender MUST continue to use the cached policy" (§10.2: until it
        // expires, so that an attacker who drops the TXT record cannot downgrade).
        (None, Some((_, policy))) => Decision::UseCached(policy),
        (None, None) => Decision::NoPolicy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 100\n";

    fn cached(id: &str, fetched_at: u64) -> CachedPolicy {
        CachedPolicy {
            id: id.into(),
            text: TEXT.into(),
            fetched_at,
        }
    }

    fn record(id: &str) -> Record {
        Record {
            id: id.into(),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn validity_is_fetched_at_plus_max_age() {
        assert!(cached("a", 1000).valid_policy(1099).is_some());
        assert!(cached("a", 1000).valid_policy(1100).is_none());
        assert!(cached("a", u64::MAX).valid_policy(u64::MAX - 1).is_some());
        let broken = CachedPolicy {
            text: "mode: enforce".into(),
            ..cached("a", 1000)
        };
        assert!(broken.valid_policy(1000).is_none());
    }

    #[test]
    fn decisions() {
        let policy = cached("a", 0).valid_policy(0).unwrap();
        let fresh = cached("a", 1000);
        let expired = cached("a", 0);
        let cases = [
            // Same id, valid: no fetch.
            (
                Some(&fresh),
                Some(record("a")),
                Decision::UseCached(policy.clone()),
            ),
            // New id: fetch, the valid cached policy is the fallback.
            (
                Some(&fresh),
                Some(record("b")),
                Decision::Fetch {
                    id: "b".into(),
                    fallback: Some(policy.clone()),
                },
            ),
            // Same id but expired: fetch again, nothing to fall back to.
            (
                Some(&expired),
                Some(record("a")),
                Decision::Fetch {
                    id: "a".into(),
                    fallback: None,
                },
            ),
            (
                None,
                Some(record("a")),
                Decision::Fetch {
                    id: "a".into(),
                    fallback: None,
                },
            ),
            // TXT failed or absent: the valid cached policy, else none.
            (Some(&fresh), None, Decision::UseCached(policy.clone())),
            (Some(&expired), None, Decision::NoPolicy),
            (None, None, Decision::NoPolicy),
        ];
        for (cached, record, want) in cases {
            assert_eq!(
                decide(cached, record.as_ref(), 1050),
                want,
                "{cached:?} {record:?}"
            );
        }
    }
}
