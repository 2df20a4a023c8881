//! Why MTA-STS policy discovery or the policy fetch failed, kept structured: the kind for the
//! caller's error, and what TLS reports need ([`crate::tlsrpt::sts_result`]).

use crate::dns::LookupError;
use crate::error::ErrorKind;
use crate::tls::PkixError;

use super::policy::PolicyError;
use super::record::RecordError;

/// A failed HTTPS fetch of the policy (RFC 8461 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The TLS handshake or the connection failed; `pkix` is set when the certificate did
    /// not verify with PKIX for `mta-sts.<domain>` (RFC 8461 §3.3).
    #[error("tls: {detail}")]
    Tls {
        /// What rustls reported.
        detail: String,
        /// The PKIX failure, for TLS reports.
        pkix: Option<PkixError>,
    },
    /// Reading or writing the connection failed.
    #[error("i/o: {detail}")]
    Io {
        /// What the transport reported.
        detail: String,
    },
    /// The server closed the connection before the whole response arrived.
    #[error("connection closed before the end of the response")]
    Closed,
    /// The deadline of the whole fetch passed.
    #[error("timed out")]
    Timeout,
    /// RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
    #[error("http redirect {code} to {location:?} not followed")]
    Redirect {
        /// The status code.
        code: u16,
        /// The Location header, if any.
        location: Option<String>,
    },
    /// RFC 8461 §3.3: only "HTTP 200" responses are valid.
    #[error("http status {code}, expected 200")]
    Status {
        /// The status code.
        code: u16,
    },
    /// RFC 8461 §3.2: the media type must be "text/plain".
    #[error("content type {found:?}, expected text/plain")]
    ContentType {
        /// The Content-Type header, if any.
        found: Option<String>,
    },
    /// The response header or body exceeds its cap.
    #[error("{what} larger than {max} bytes")]
    TooBig {
        /// "body" or "header".
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// The response is not valid HTTP/1.1.
    #[error("invalid http response: {detail}")]
    Http {
        /// What is wrong.
        detail: String,
    },
    /// The body is not a valid policy.
    #[error("invalid policy: {0}")]
    PolicyInvalid(#[from] PolicyError),
}

/// A failure of MTA-STS policy discovery (RFC 8461 §3, §5.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    /// The `_mta-sts` TXT lookup failed (not a not-found: that means no policy).
    #[error("txt lookup for {name}: {error}")]
    TxtLookup {
        /// The name looked up, `_mta-sts.<domain>.`.
        name: String,
        /// How it failed.
        #[source]
        error: LookupError,
    },
    /// The TXT records hold several STSv1 records or an invalid one (RFC 8461 §3.1).
    #[error("txt record at {name}: {error}")]
    Record {
        /// The name looked up.
        name: String,
        /// What is wrong.
        #[source]
        error: RecordError,
    },
    /// `mta-sts.<domain>` has no address or its lookup failed (the gathering error of
    /// [`crate::dns::gather_ips`]: a lookup, a CNAME limit).
    #[error("address lookup for {host}: {error}")]
    Resolve {
        /// The policy host.
        host: String,
        /// How it failed.
        #[source]
        error: Box<crate::error::Error>,
    },
    /// No address of the policy host accepted a connection on port 443.
    #[error("connecting to {host} port 443: {detail}")]
    Connect {
        /// The policy host.
        host: String,
        /// What the transport reported for the last address.
        detail: String,
        /// The transport reported a timeout.
        timeout: bool,
    },
    /// The HTTPS fetch failed.
    #[error("fetching https://{host}/.well-known/mta-sts.txt: {error}")]
    Fetch {
        /// The policy host.
        host: String,
        /// What went wrong.
        #[source]
        error: FetchError,
    },
}

impl StsError {
    /// The kind of the crate's error: `dns` for lookups, `io` and `timeout` for the transport,
    /// `tls`, and `protocol` for HTTP, policy and record errors.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::TxtLookup { .. } | Self::Resolve { .. } => ErrorKind::Dns,
            Self::Connect { timeout: true, .. }
            | Self::Fetch {
                error: FetchError::Timeout,
                ..
            } => ErrorKind::Timeout,
            Self::Connect { .. }
            | Self::Fetch {
                error: FetchError::Io { .. } | FetchError::Closed,
                ..
            } => ErrorKind::Io,
            Self::Fetch {
                error: FetchError::Tls { .. },
                ..
            } => ErrorKind::Tls,
            Self::Record { .. } | Self::Fetch { .. } => ErrorKind::Protocol,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetch(error: FetchError) -> StsError {
        StsError::Fetch {
            host: "mta-sts.example.com".into(),
            error,
        }
    }

    #[test]
    fn kinds() {
        let lookup = LookupError::Temporary {
            extended_error: None,
            message: "servfail".into(),
        };
        let connect = |timeout| StsError::Connect {
            host: "mta-sts.example.com".into(),
            detail: "x".into(),
            timeout,
        };
        let cases = [
            (
                StsError::TxtLookup {
                    name: "_mta-sts.example.com.".into(),
                    error: lookup,
                },
                ErrorKind::Dns,
            ),
            (
                StsError::Record {
                    name: "_mta-sts.example.com.".into(),
                    error: RecordError::MissingId,
                },
                ErrorKind::Protocol,
            ),
            (
                StsError::Resolve {
                    host: "mta-sts.example.com".into(),
                    error: Box::new(crate::error::Error::Usage("x")),
                },
                ErrorKind::Dns,
            ),
            (connect(false), ErrorKind::Io),
            (connect(true), ErrorKind::Timeout),
            (fetch(FetchError::Timeout), ErrorKind::Timeout),
            (fetch(FetchError::Closed), ErrorKind::Io),
            (fetch(FetchError::Io { detail: "x".into() }), ErrorKind::Io),
            (
                fetch(FetchError::Tls {
                    detail: "expired".into(),
                    pkix: Some(PkixError::Expired),
                }),
                ErrorKind::Tls,
            ),
            (
                fetch(FetchError::ContentType { found: None }),
                ErrorKind::Protocol,
            ),
            (
                fetch(FetchError::PolicyInvalid(PolicyError::NotUtf8)),
                ErrorKind::Protocol,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
        }
    }
}
