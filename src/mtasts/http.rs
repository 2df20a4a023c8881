//! The HTTPS fetch of a policy (RFC 8461 §3.3) as a sans-IO state machine over the crate's
//! TLS layer: PKIX for `mta-sts.<domain>` (Mozilla roots and the caller's), one
//! `GET /.well-known/mta-sts.txt`, the response parsed with `httparse`, no redirects, a
//! `text/plain` body of at most 64 KiB (by Content-Length, chunked, or until close), and one
//! deadline for the whole fetch.

use std::time::{Duration, Instant};

use rustls::pki_types::UnixTime;

use super::error::FetchError;
use super::policy::{MAX_POLICY_SIZE, Policy};
use crate::tls::TlsConfig;
use crate::tls::failure::Failure;
use crate::tls::layer::TlsLayer;

/// The deadline of a whole fetch unless the caller gives another: connect, handshake,
/// request and response (RFC 8461 §3.3 leaves it to the sender; 60 s as mox).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest response header accepted.
const MAX_HEADER: usize = 16 * 1024;
/// The most header fields accepted.
const MAX_FIELDS: usize = 64;
/// The longest chunk-size line or trailer section accepted.
const MAX_CHUNK_LINE: usize = 1024;

/// A fetched policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The policy.
    pub policy: Policy,
    /// The body as served.
    pub text: String,
}

/// How the body ends (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Content-Length: this many bytes are still to come.
    Length(usize),
    /// Transfer-Encoding: chunked (RFC 9112 §7.1).
    Chunked(Chunk),
    /// Neither: the body ends when the connection closes.
    UntilClose,
}

/// Where the chunked decoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data, this many bytes to go.
    Data(usize),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: trailer fields until an empty line.
    Trailers,
}

/// What one step of the chunked decoder achieved.
enum Step {
    /// It moved on; go on.
    More,
    /// It needs more bytes.
    Wait,
    /// The body ended.
    End,
}

/// One policy fetch: create it, then loop: send [`Fetch::poll_transmit`], feed received
/// bytes to [`Fetch::handle_input`] (or [`Fetch::handle_eof`], [`Fetch::handle_timeout`]
/// at [`Fetch::poll_timeout`]) until [`Fetch::poll_result`] gives the outcome.
#[derive(Debug)]
pub struct Fetch {
    tls: TlsLayer,
    deadline: Instant,
    /// Decrypted bytes not consumed yet.
    plain: Vec<u8>,
    /// `None` until the response header is complete.
    framing: Option<Framing>,
    body: Vec<u8>,
    result: Option<Result<Fetched, FetchError>>,
    /// The result was taken.
    done: bool,
}

impl Fetch {
    /// Starts a fetch of the policy from `host` (`mta-sts.<domain>`, ASCII) at wall-clock
    /// time `wall_clock` (for certificate validity) and monotonic time `now`, with `timeout`
    /// for all of it. `extra_roots` (DER) are trusted besides the Mozilla roots.
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
        // for the Policy Host" with PKIX (RFC 6125); no DANE.
        let config = TlsConfig {
            remote_hostname: host.to_string(),
            verify_pkix: true,
            extra_roots: extra_roots.to_vec(),
            wall_clock,
            ..TlsConfig::default()
        };
        let (conn, verifier) = config.connect(wall_clock).map_err(|e| FetchError::Tls {
            detail: e.to_string(),
            failure: None,
        })?;
        let mut tls = TlsLayer::new(conn, verifier);
        // RFC 8461 §3.3: "https://mta-sts.example.com/.well-known/mta-sts.txt"; one request,
        // then the server may close.
        tls.write(
            format!(
                "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\nAccept: text/plain\r\nConnection: close\r\nUser-Agent: smtpclient\r\n\r\n"
            )
            .as_bytes(),
        );
        Ok(Fetch {
            tls,
            deadline: now + timeout,
            plain: Vec::new(),
            framing: None,
            body: Vec::new(),
            result: None,
            done: false,
        })
    }

    /// Appends the ciphertext to send to `out`; returns how many bytes.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let before = out.len();
        if self.result.is_none() && !self.done {
            self.tls.transmit(out);
        }
        out.len() - before
    }

    /// The deadline of the fetch.
    #[must_use]
    pub fn poll_timeout(&self) -> Instant {
        self.deadline
    }

    /// The fetch waits for bytes from the server.
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
        if let Err(error) = self.tls.receive(bytes, &mut self.plain) {
            // A certificate the verifier rejected is a PKIX failure (sts-webpki-invalid).
            let failure = self
                .tls
                .verification()
                .filter(|v| v.rejected)
                .and_then(|v| v.pkix.err())
                .map(|e| Failure::pkix(&e));
            self.result = Some(Err(FetchError::Tls {
                detail: error.to_string(),
                failure,
            }));
            return;
        }
        if let Err(error) = self.advance() {
            self.result = Some(Err(error));
        }
    }

    /// The server closed the connection.
    pub fn handle_eof(&mut self, _now: Instant) {
        if !self.wants_read() {
            return;
        }
        self.result = Some(match self.framing {
            Some(Framing::UntilClose) => self.complete(),
            _ => Err(FetchError::Closed),
        });
    }

    /// Reading or writing the socket failed.
    pub fn handle_transport_error(&mut self, detail: String) {
        if self.wants_read() {
            self.result = Some(Err(FetchError::Io { detail }));
        }
    }

    /// The time passed; after the deadline the fetch fails. Safe to call at any time.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.wants_read() && now >= self.deadline {
            self.result = Some(Err(FetchError::Timeout));
        }
    }

    /// Consumes what `plain` holds: the header, then the body.
    fn advance(&mut self) -> Result<(), FetchError> {
        if self.framing.is_none() {
            match self.header()? {
                Some(framing) => self.framing = Some(framing),
                None => return Ok(()),
            }
        }
        self.body()
    }

    /// Parses the response header once complete; skips interim (1xx) responses.
    fn header(&mut self) -> Result<Option<Framing>, FetchError> {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
            let mut response = httparse::Response::new(&mut fields);
            let parsed = response.parse(&self.plain).map_err(|e| FetchError::Http {
                detail: e.to_string(),
            })?;
            let httparse::Status::Complete(length) = parsed else {
                if self.plain.len() > MAX_HEADER {
                    return Err(FetchError::TooBig {
                        what: "header",
                        max: MAX_HEADER,
                    });
                }
                return Ok(None);
            };
            let code = response.code.unwrap_or_default();
            // RFC 9110 §15.2: interim responses precede the final one (101 is no such).
            if (100..200).contains(&code) && code != 101 {
                self.plain.drain(..length);
                continue;
            }
            let framing = framing(&response, code)?;
            self.plain.drain(..length);
            return Ok(Some(framing));
        }
    }

    /// Moves body bytes out of `plain` as the framing says; completes the fetch at the end.
    fn body(&mut self) -> Result<(), FetchError> {
        loop {
            match self.framing {
                Some(Framing::Length(left)) => {
                    let n = left.min(self.plain.len());
                    self.take(n)?;
                    self.framing = Some(Framing::Length(left - n));
                    if left == n {
                        self.result = Some(self.complete());
                    }
                    return Ok(());
                }
                Some(Framing::UntilClose) => return self.take(self.plain.len()),
                Some(Framing::Chunked(chunk)) => match self.chunk(chunk)? {
                    Step::More => {}
                    Step::Wait => return Ok(()),
                    Step::End => {
                        self.result = Some(self.complete());
                        return Ok(());
                    }
                },
                None => return Ok(()),
            }
        }
    }

    /// One step of the chunked decoder (RFC 9112 §7.1).
    fn chunk(&mut self, chunk: Chunk) -> Result<Step, FetchError> {
        let next = match chunk {
            Chunk::Size => match httparse::parse_chunk_size(&self.plain) {
                Ok(httparse::Status::Complete((length, size))) => {
                    self.plain.drain(..length);
                    let size = usize::try_from(size).unwrap_or(usize::MAX);
                    if size > MAX_POLICY_SIZE {
                        return Err(too_big());
                    }
                    if size == 0 {
                        Chunk::Trailers
                    } else {
                        Chunk::Data(size)
                    }
                }
                Ok(httparse::Status::Partial) if self.plain.len() > MAX_CHUNK_LINE => {
                    return Err(FetchError::Http {
                        detail: "chunk size line too long".into(),
                    });
                }
                Ok(httparse::Status::Partial) => return Ok(Step::Wait),
                Err(_) => {
                    return Err(FetchError::Http {
                        detail: "invalid chunk size".into(),
                    });
                }
            },
            Chunk::Data(left) => {
                let n = left.min(self.plain.len());
                self.take(n)?;
                if left > n {
                    self.framing = Some(Framing::Chunked(Chunk::Data(left - n)));
                    return Ok(Step::Wait);
                }
                Chunk::DataEnd
            }
            Chunk::DataEnd => {
                if self.plain.len() < 2 {
                    return Ok(Step::Wait);
                }
                if &self.plain[..2] != b"\r\n" {
                    return Err(FetchError::Http {
                        detail: "chunk data not followed by crlf".into(),
                    });
                }
                self.plain.drain(..2);
                Chunk::Size
            }
            Chunk::Trailers => {
                return match self.trailers_end() {
                    Some(end) => {
                        self.plain.drain(..end);
                        Ok(Step::End)
                    }
                    None if self.plain.len() > MAX_CHUNK_LINE => Err(FetchError::TooBig {
                        what: "trailer",
                        max: MAX_CHUNK_LINE,
                    }),
                    None => Ok(Step::Wait),
                };
            }
        };
        self.framing = Some(Framing::Chunked(next));
        Ok(Step::More)
    }

    /// The end of the trailer section: an empty line, right away or after trailer fields.
    fn trailers_end(&self) -> Option<usize> {
        if self.plain.starts_with(b"\r\n") {
            return Some(2);
        }
        self.plain
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
    }

    /// Moves `n` bytes of `plain` to the body, within the cap.
    fn take(&mut self, n: usize) -> Result<(), FetchError> {
        if self.body.len() + n > MAX_POLICY_SIZE {
            return Err(too_big());
        }
        self.body.extend(self.plain.drain(..n));
        Ok(())
    }

    /// The body is whole: parse it.
    fn complete(&mut self) -> Result<Fetched, FetchError> {
        let body = std::mem::take(&mut self.body);
        let policy = Policy::parse(&body)?;
        // `Policy::parse` accepted it, so it is UTF-8.
        let text = String::from_utf8_lossy(&body).into_owned();
        Ok(Fetched { policy, text })
    }
}

fn too_big() -> FetchError {
    FetchError::TooBig {
        what: "body",
        max: MAX_POLICY_SIZE,
    }
}

/// Checks the status and the content type and finds the framing of the body.
fn framing(response: &httparse::Response<'_, '_>, code: u16) -> Result<Framing, FetchError> {
    let field = |name: &'static str| {
        response
            .headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    // RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
    if (300..400).contains(&code) {
        return Err(FetchError::Redirect {
            code,
            location: field("location").next(),
        });
    }
    // RFC 8461 §3.3: "only 'HTTP 200' responses are considered valid".
    if code != 200 {
        return Err(FetchError::Status { code });
    }
    // RFC 8461 §3.2: "media type "text/plain"" (parameters such as charset allowed).
    let content_type = field("content-type").next();
    let plain = content_type.as_deref().is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"))
    });
    if !plain {
        return Err(FetchError::ContentType {
            found: content_type,
        });
    }
    // RFC 9112 §6.3: Transfer-Encoding wins over Content-Length; chunked must be last.
    let codings: Vec<String> = field("transfer-encoding")
        .flat_map(|v| {
            v.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect();
    if !codings.is_empty() {
        if codings.as_slice() != ["chunked"] {
            return Err(FetchError::Http {
                detail: format!("unsupported transfer-encoding {}", codings.join(", ")),
            });
        }
        return Ok(Framing::Chunked(Chunk::Size));
    }
    let mut lengths = field("content-length");
    let Some(first) = lengths.next() else {
        return Ok(Framing::UntilClose);
    };
    // RFC 9112 §6.3: differing or invalid Content-Length values are an error.
    let bad = || FetchError::Http {
        detail: format!("invalid content-length {first:?}"),
    };
    if first.is_empty()
        || !first.bytes().all(|b| b.is_ascii_digit())
        || lengths.any(|other| other != first)
    {
        return Err(bad());
    }
    let length: usize = first.parse().map_err(|_| too_big())?;
    if length > MAX_POLICY_SIZE {
        return Err(too_big());
    }
    Ok(Framing::Length(length))
}
