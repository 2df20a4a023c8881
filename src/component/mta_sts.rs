//! The `mta-sts` export: [`crate::mtasts::lookup`] over the imports, and the conversions of
//! policies between the core and WIT.

use super::Component;
use super::exports::smtp::client::mta_sts::{
    Guest, Mode as WitMode, Policy as WitPolicy, StsOutcome as WitOutcome, StsPolicy,
};
use super::exports::smtp::client::tls_report::PolicyResult as WitPolicyResult;
use super::platform::Imports;
use super::smtp::client::types::{Domain as WitDomain, SmtpError};
use crate::dns::Domain;
use crate::error::Error;
use crate::mtasts::{self, CachedPolicy, Mode, Policy, StsError};
use crate::tlsrpt::{PolicyResult, PolicyType};

/// The core form of a cached policy from the host.
pub fn core_cached(policy: StsPolicy) -> CachedPolicy {
    CachedPolicy {
        id: policy.id,
        text: policy.text,
        fetched_at: policy.fetched_at,
    }
}

/// The WIT form of a policy for the host to cache.
pub fn wit_cached(policy: CachedPolicy) -> StsPolicy {
    StsPolicy {
        id: policy.id,
        text: policy.text,
        fetched_at: policy.fetched_at,
    }
}

/// The WIT form of a parsed policy.
pub fn wit_policy(policy: &Policy) -> WitPolicy {
    WitPolicy {
        mode: match policy.mode {
            Mode::Enforce => WitMode::Enforce,
            Mode::Testing => WitMode::Testing,
            Mode::None => WitMode::None,
        },
        mx: policy.mx.clone(),
        max_age: policy.max_age,
    }
}

impl Guest for Component {
    fn lookup_policy(
        domain: WitDomain,
        cached: Option<StsPolicy>,
        extra_roots: Vec<Vec<u8>>,
    ) -> WitOutcome {
        let Ok(domain) = Domain::parse(&domain.ascii) else {
            return WitOutcome {
                policy: None,
                cache: None,
                tls_result: WitPolicyResult::from(&PolicyResult::new(
                    PolicyType::NoPolicyFound,
                    &domain.ascii,
                )),
                error: Some(Error::Usage("invalid domain name").into()),
            };
        };
        let cached = cached.map(core_cached);
        let outcome = mtasts::lookup(&mut Imports, &domain, cached.as_ref(), &extra_roots, None);
        WitOutcome {
            policy: outcome.policy.as_ref().map(wit_policy),
            cache: outcome.cache.map(wit_cached),
            tls_result: WitPolicyResult::from(&crate::tlsrpt::sts_result(
                &domain,
                outcome.policy.as_ref(),
                outcome.error.as_ref(),
            )),
            error: outcome.error.as_ref().map(sts_error),
        }
    }
}

/// A discovery error as the WIT error: always temporary (without a valid policy, delivery
/// goes on as if the domain had none, RFC 8461 §5).
fn sts_error(error: &StsError) -> SmtpError {
    SmtpError {
        kind: error.kind().into(),
        permanent: false,
        reply: None,
        command: None,
        message: format!("mta-sts: {error}"),
    }
}
