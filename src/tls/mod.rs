//! TLS for SMTP sessions: the rustls configuration (with the pure-Rust `rustls-rustcrypto`
//! provider), a sans-IO TLS layer, and the certificate verifier doing DANE (RFC 7672,
//! RFC 7671, RFC 6698) and PKIX (RFC 5280) inside the handshake. What a connection adds to
//! TLS reports is [`crate::tlsrpt`]'s.

mod cert;
pub mod config;
pub mod dane;
pub(crate) mod layer;
pub mod pkix;
pub(crate) mod provider;
pub(crate) mod shared;
#[cfg(test)]
pub(crate) mod testing;
pub mod tlsa;
pub(crate) mod verifier;

pub use config::{ClientCertificate, TlsConfig};
pub use dane::{DaneError, DaneVerification};
pub use layer::TlsState;
pub use pkix::PkixError;
pub use tlsa::Tlsa;
pub use verifier::Verification;
