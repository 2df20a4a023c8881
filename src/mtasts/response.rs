//! The HTTP/1.1 response of a policy fetch (RFC 9112), parsed with `httparse` as bytes
//! arrive in any split: status 200 only (RFC 8461 §3.3), `text/plain` (§3.2), the body by
//! Content-Length, chunked transfer coding or until close, at most 64 KiB.

use super::error::FetchError;
use super::policy::MAX_POLICY_SIZE;

/// The largest response header accepted.
const MAX_HEADER: usize = 16 * 1024;
/// The most header fields accepted.
const MAX_FIELDS: usize = 64;
/// The longest chunk-size line or trailer section accepted.
const MAX_CHUNK_LINE: usize = 1024;

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
    /// It moved on.
    More,
    /// It needs more bytes.
    Wait,
    /// The body ended.
    End,
}

/// An incremental response parser: feed bytes with [`ResponseParser::push`] until it returns
/// the body, or call [`ResponseParser::eof`] when the connection closes.
#[derive(Debug, Default)]
pub struct ResponseParser {
    /// Received bytes not consumed yet.
    buf: Vec<u8>,
    /// `None` until the header is complete.
    framing: Option<Framing>,
    body: Vec<u8>,
}

impl ResponseParser {
    /// Takes received bytes; returns the body once it is complete. Bytes after the end of
    /// the body are ignored.
    ///
    /// # Errors
    /// A [`FetchError`] for a redirect, another status than 200, a wrong content type, a
    /// header or body over its cap, or malformed HTTP.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, FetchError> {
        self.buf.extend_from_slice(bytes);
        if self.framing.is_none() {
            match self.header()? {
                Some(framing) => self.framing = Some(framing),
                None => return Ok(None),
            }
        }
        self.body()
    }

    /// The connection closed: the body when it is delimited by the close.
    ///
    /// # Errors
    /// [`FetchError::Closed`] when the header or a delimited body was incomplete.
    pub fn eof(&mut self) -> Result<Vec<u8>, FetchError> {
        match self.framing {
            Some(Framing::UntilClose) => Ok(std::mem::take(&mut self.body)),
            _ => Err(FetchError::Closed),
        }
    }

    /// Parses the header once complete; skips interim (1xx) responses.
    fn header(&mut self) -> Result<Option<Framing>, FetchError> {
        loop {
            let mut fields = [httparse::EMPTY_HEADER; MAX_FIELDS];
            let mut response = httparse::Response::new(&mut fields);
            let parsed = response.parse(&self.buf).map_err(|e| FetchError::Http {
                detail: e.to_string(),
            })?;
            let httparse::Status::Complete(length) = parsed else {
                if self.buf.len() > MAX_HEADER {
                    return Err(FetchError::TooBig {
                        what: "header",
                        max: MAX_HEADER,
                    });
                }
                return Ok(None);
            };
            let code = response.code.unwrap_or_default();
            // RFC 9110 §15.2: interim responses precede the final one (101 is not one).
            if (100..200).contains(&code) && code != 101 {
                self.buf.drain(..length);
                continue;
            }
            let framing = framing(&response, code)?;
            self.buf.drain(..length);
            return Ok(Some(framing));
        }
    }

    /// Moves body bytes out of `buf` as the framing says.
    fn body(&mut self) -> Result<Option<Vec<u8>>, FetchError> {
        loop {
            match self.framing {
                Some(Framing::Length(left)) => {
                    let n = left.min(self.buf.len());
                    self.take(n)?;
                    self.framing = Some(Framing::Length(left - n));
                    return Ok((left == n).then(|| std::mem::take(&mut self.body)));
                }
                Some(Framing::UntilClose) => {
                    self.take(self.buf.len())?;
                    return Ok(None);
                }
                Some(Framing::Chunked(chunk)) => match self.chunk(chunk)? {
                    Step::More => {}
                    Step::Wait => return Ok(None),
                    Step::End => return Ok(Some(std::mem::take(&mut self.body))),
                },
                None => return Ok(None),
            }
        }
    }

    /// One step of the chunked decoder (RFC 9112 §7.1).
    fn chunk(&mut self, chunk: Chunk) -> Result<Step, FetchError> {
        let next = match chunk {
            Chunk::Size => match httparse::parse_chunk_size(&self.buf) {
                Ok(httparse::Status::Complete((length, size))) => {
                    self.buf.drain(..length);
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
                Ok(httparse::Status::Partial) if self.buf.len() > MAX_CHUNK_LINE => {
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
                let n = left.min(self.buf.len());
                self.take(n)?;
                if left > n {
                    self.framing = Some(Framing::Chunked(Chunk::Data(left - n)));
                    return Ok(Step::Wait);
                }
                Chunk::DataEnd
            }
            Chunk::DataEnd => {
                if self.buf.len() < 2 {
                    return Ok(Step::Wait);
                }
                if &self.buf[..2] != b"\r\n" {
                    return Err(FetchError::Http {
                        detail: "chunk data not followed by crlf".into(),
                    });
                }
                self.buf.drain(..2);
                Chunk::Size
            }
            Chunk::Trailers => {
                return match self.trailers_end() {
                    Some(_) => Ok(Step::End),
                    None if self.buf.len() > MAX_CHUNK_LINE => Err(FetchError::TooBig {
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

    /// The end of the trailer section (RFC 9112 §7.1.2): an empty line, right away or after
    /// trailer fields.
    fn trailers_end(&self) -> Option<usize> {
        if self.buf.starts_with(b"\r\n") {
            return Some(2);
        }
        self.buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
    }

    /// Moves `n` bytes of `buf` to the body, within the cap.
    fn take(&mut self, n: usize) -> Result<(), FetchError> {
        if self.body.len() + n > MAX_POLICY_SIZE {
            return Err(too_big());
        }
        self.body.extend(self.buf.drain(..n));
        Ok(())
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
    // RFC 9112 §6.3: Transfer-Encoding wins over Content-Length; only chunked is supported.
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
    if first.is_empty()
        || !first.bytes().all(|b| b.is_ascii_digit())
        || lengths.any(|other| other != first)
    {
        return Err(FetchError::Http {
            detail: format!("invalid content-length {first:?}"),
        });
    }
    let length: usize = first.parse().map_err(|_| too_big())?;
    if length > MAX_POLICY_SIZE {
        return Err(too_big());
    }
    Ok(Framing::Length(length))
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
