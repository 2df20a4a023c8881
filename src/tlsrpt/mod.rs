//! TLS reporting (RFC 8460): what connection attempts add to the daily reports of the policy
//! domains. The data model and its JSON ([`report`]), the result types and the reference's
//! reason codes for TLS errors ([`failure`]), DNS failures ([`dns`]) and MTA-STS ([`sts`]),
//! the two results a session records into ([`results`]), and the results of a whole delivery
//! attempt ([`attempt`]).

pub mod attempt;
pub mod dns;
pub mod failure;
pub mod report;
pub mod results;
pub mod sts;

pub use attempt::AttemptResults;
pub use failure::Failure;
pub use report::{FailureDetails, Policy, PolicyResult, PolicyType, Summary};
pub use results::{ReportContext, TlsResults};
pub use sts::sts_result;
