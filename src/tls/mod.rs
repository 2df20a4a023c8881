//! TLS for SMTP sessions. So far: the TLS-reporting result types (RFC 8460); the rustls
//! configuration, PKIX and DANE verification come with issue 4.

pub mod report;
