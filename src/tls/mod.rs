//! TLS for SMTP sessions: the rustls configuration (with the pure-Rust `rustls-rustcrypto`
//! provider), a sans-IO TLS layer, the certificate verifier doing DANE (RFC 7672, RFC 7671,
//! RFC 6698) and PKIX (RFC 5280) inside the handshake, and TLS-reporting results (RFC 8460)
//! with the result types and reason codes of the reference (spec §4.4, §4.5).

mod cert;
pub mod config;
pub mod dane;
pub mod failure;
pub(crate) mod layer;
pub mod pkix;
pub(crate) mod provider;
pub mod report;
pub mod results;
#[cfg(test)]
pub(crate) mod testing;
pub mod tlsa;
pub(crate) mod verifier;

pub use config::{ClientCertificate, TlsConfig};
pub use dane::{DaneError, DaneVerification};
pub use failure::Failure;
pub use layer::TlsState;
pub use pkix::PkixError;
pub use results::{ReportContext, TlsResults};
pub use tlsa::Tlsa;
pub use verifier::Verification;
