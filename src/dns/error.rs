//! Errors of delivery planning: which lookup failed and how, kept structured (mox
//! flattens them to text, so its callers cannot see an extended DNS error).

use std::fmt;

use super::domain::DomainError;
use super::fqdn::Fqdn;
use super::resolver::{LookupError, RecordType};

/// Where a bad name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrigin {
    /// The target of a CNAME record.
    CnameTarget,
    /// The exchange of an MX record.
    MxHost,
}

impl fmt::Display for NameOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CnameTarget => "cname target",
            Self::MxHost => "mx host",
        })
    }
}

/// A DNS problem while planning a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// A lookup failed; `error` keeps its kind and extended DNS error.
    #[error("{record} lookup for {name}: {error}")]
    Lookup {
        /// The lookup.
        record: RecordType,
        /// The name looked up.
        name: Fqdn,
        /// How it failed.
        #[source]
        error: LookupError,
    },
    /// An answer holds a name that is not a valid host name.
    #[error("invalid {origin} {name:?}: {error}")]
    InvalidName {
        /// Which record held it.
        origin: NameOrigin,
        /// The name as in the answer.
        name: String,
        /// What is wrong with it.
        #[source]
        error: DomainError,
    },
}

impl DnsError {
    /// True only for an invalid MX host: the domain's own configuration is broken (as in
    /// mox). Lookup failures are temporary whatever their kind, also as in mox.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::InvalidName {
                origin: NameOrigin::MxHost,
                ..
            }
        )
    }

    /// The failed lookup's error, if a lookup failed.
    #[must_use]
    pub fn lookup_error(&self) -> Option<&LookupError> {
        match self {
            Self::Lookup { error, .. } => Some(error),
            Self::InvalidName { .. } => None,
        }
    }
}
