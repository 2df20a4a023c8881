//! What the gathering steps share: the authenticity of the lookups so far, and the failure
//! that reports it.

use crate::error::Error;

/// A failed gathering step and what is known despite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherFailure {
    /// What went wrong.
    pub error: Error,
    /// The lookups for the original name were authentic (so far).
    pub original_authentic: bool,
    /// Every lookup along the CNAME chain was authentic (so far).
    pub expanded_authentic: bool,
}

/// Whether the lookups so far were DNSSEC-authentic: those for the original name, and all
/// of them along the CNAME chain (RFC 7672 §2.2.1, §2.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Authenticity {
    pub original: bool,
    pub expanded: bool,
}

impl Authenticity {
    pub fn new() -> Self {
        Self {
            original: true,
            expanded: true,
        }
    }

    /// Counts one lookup; `original` when it was about the original name.
    pub fn add(&mut self, original: bool, authentic: bool) {
        if original {
            self.original &= authentic;
        }
        self.expanded &= authentic;
    }

    /// `error`, with what is known about authenticity.
    pub fn fail(self, error: impl Into<Error>) -> GatherFailure {
        GatherFailure {
            error: error.into(),
            original_authentic: self.original,
            expanded_authentic: self.expanded,
        }
    }
}
