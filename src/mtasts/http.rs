//! The HTTPS fetch of a policy (RFC 8461 §3.3) as a sans-IO state machine over the crate's
//! TLS layer: PKIX for `mta-sts.<domain>` (Mozilla roots and the caller's), one
//! `GET /.well-known/mta-sts.txt`, the response parsed by [`super::response`], and one
//! deadline for the whole fetch.

use std::time::{Duration, Instant};

use rustls::pki_types::UnixTime;

use super::error::FetchError;
use super::policy::Policy;
use super::response::ResponseParser;
use crate::tls::TlsConfig;
use crate::tls::layer::TlsLayer;

/// The deadline of a whole fetch: resolving, connecting, handshake, request and response
/// (RFC 8461 §3.3 leaves it to the sender; 60 s as mox).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// RFC 8461 §3.3: the policy's path on the policy host.
pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";

/// A fetched policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The policy.
    pub policy: Policy,
    /// The body as served.
    pub text: String,
}

/// One policy fetch: create it, then loop: send [`Fetch::poll_transmit`], feed received
/// bytes to [`Fetch::handle_input`] (or [`Fetch::handle_eof`], and [`Fetch::handle_timeout`]
/// at [`Fetch::poll_timeout`]) until [`Fetch::poll_result`] gives the outcome.
#[derive(Debug)]
pub struct Fetch {
    tls: TlsLayer,
    deadline: Instant,
    response: ResponseParser,
    result: Option<Result<Fetched, FetchError>>,
    /// The result was taken.
    done: bool,
}

impl Fetch {
    /// Starts a fetch from `host` (`mta-sts.<domain>`, ASCII) at wall-clock time
    /// `wall_clock` (for certificate validity) and monotonic time `now`; the fetch fails
    /// `timeout` after `now`. `extra_roots` (DER) are trusted besides the Mozilla roots.
    ///
    /// # Errors
    /// [`FetchError::Tls`] when rustls refuses the configuration.
    pub fn new(
        host: &str,
        extra_roots: &[Vec<u8>],
        wall_clock: UnixTime,
        now: Instant,
        timeout: Duration,
    ) -> Result<Self, FetchError> {
        // RFC 8461 §3.3: "the sender MUST validate that the HTTPS certificate ... is valid
        // for the Policy Host" (PKIX, RFC 6125); no DANE.
        let config = TlsConfig {
            remote_hostname: host.to_string(),
            verify_pkix: true,
            extra_roots: extra_roots.to_vec(),
            wall_clock,
            ..TlsConfig::default()
        };
        let (conn, verifier) = config.connect(wall_clock).map_err(|e| FetchError::Tls {
            detail: e.to_string(),
            pkix: None,
        })?;
        let mut tls = TlsLayer::new(conn, verifier);
        // Sent once the handshake completes; one request, then the server may close.
        tls.write(
            format!(
                "GET {POLICY_PATH} HTTP/1.1\r\nHost: {host}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        Ok(Fetch {
            tls,
            deadline: now + timeout,
            response: ResponseParser::default(),
            result: None,
            done: false,
        })
    }

    /// Appends the ciphertext to send to `out`; returns how many bytes.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let before = out.len();
        if self.wants_read() {
            self.tls.transmit(out);
        }
        out.len() - before
    }

    /// The deadline of the fetch.
    #[must_use]
    pub fn poll_timeout(&self) -> Instant {
        self.deadline
    }

    /// The fetch is not finished: it waits for bytes from the server.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.result.is_none() && !self.done
    }

    /// The outcome, once; `None` while the fetch goes on.
    pub fn poll_result(&mut self) -> Option<Result<Fetched, FetchError>> {
        let result = self.result.take();
        self.done |= result.is_some();
        result
    }

    /// Ciphertext from the socket.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if !self.wants_read() {
            return;
        }
        if now >= self.deadline {
            self.result = Some(Err(FetchError::Timeout));
            return;
        }
        let mut plain = Vec::new();
        if let Err(error) = self.tls.receive(bytes, &mut plain) {
            // A certificate the verifier rejected is a PKIX failure (sts-webpki-invalid).
            let pkix = self
                .tls
                .verification()
                .filter(|v| v.rejected)
                .and_then(|v| v.pkix.err());
            self.result = Some(Err(FetchError::Tls {
                detail: error.to_string(),
                pkix,
            }));
            return;
        }
        match self.response.push(&plain) {
            Ok(Some(body)) => self.result = Some(complete(&body)),
            Ok(None) => {}
            Err(error) => self.result = Some(Err(error)),
        }
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, _now: Instant) {
        if self.wants_read() {
            self.result = Some(self.response.eof().and_then(|body| complete(&body)));
        }
    }

    /// Reading or writing the socket failed.
    pub fn handle_transport_error(&mut self, detail: String) {
        if self.wants_read() {
            self.result = Some(Err(FetchError::Io { detail }));
        }
    }

    /// The time passed; at or after the deadline the fetch fails. Safe to call any time.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.wants_read() && now >= self.deadline {
            self.result = Some(Err(FetchError::Timeout));
        }
    }
}

/// The body is whole: parse it.
fn complete(body: &[u8]) -> Result<Fetched, FetchError> {
    let policy = Policy::parse(body)?;
    // `Policy::parse` accepted it, so it is UTF-8.
    let text = String::from_utf8_lossy(body).into_owned();
    Ok(Fetched { policy, text })
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
