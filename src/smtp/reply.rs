//! SMTP replies: reply codes, enhanced status codes, and an incremental reply parser.
//!
//! Implements the reply syntax of [RFC 5321 §4.2](https://www.rfc-editor.org/rfc/rfc5321#section-4.2)
//! and enhanced status codes ([RFC 3463](https://www.rfc-editor.org/rfc/rfc3463)) as announced
//! with ENHANCEDSTATUSCODES ([RFC 2034](https://www.rfc-editor.org/rfc/rfc2034)).
//!
//! ```text
//! Reply-line     = *( Reply-code "-" [ textstring ] CRLF )
//!                  Reply-code [ SP textstring ] CRLF
//! Reply-code     = %x32-35 %x30-35 %x30-39
//! ```

use std::fmt;

/// The longest reply line accepted, in bytes, including its line ending.
///
/// RFC 5321 §4.5.3.1.5: "The maximum total length of a reply line including the reply code and
/// the <CRLF> is 512 octets." That is a minimum servers exceed in practice, so, as mox, 2048.
pub const MAX_LINE_LENGTH: usize = 2048;

/// The most lines accepted in one multi-line reply (RFC 5321 sets no limit; mox has none).
pub const MAX_LINES: usize = 1000;

/// A three-digit SMTP reply code (RFC 5321 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(pub u16);

impl ReplyCode {
    /// 220, RFC 5321 §4.2.3: "<domain> Service ready".
    pub const SERVICE_READY: Self = Self(220);
    /// 221, RFC 5321 §4.2.3: "<domain> Service closing transmission channel".
    pub const CLOSING: Self = Self(221);
    /// 250, RFC 5321 §4.2.3: "Requested mail action okay, completed".
    pub const OK: Self = Self(250);
    /// 251, RFC 5321 §4.2.3: "User not local; will forward to <forward-path>".
    pub const USER_NOT_LOCAL: Self = Self(251);
    /// 354, RFC 5321 §4.2.3: "Start mail input; end with <CRLF>.<CRLF>".
    pub const START_MAIL_INPUT: Self = Self(354);
    /// 452, RFC 5321 §4.2.3: "Requested action not taken: insufficient system storage",
    /// also "too many recipients" (RFC 5321 §4.5.3.1.10).
    pub const INSUFFICIENT_STORAGE: Self = Self(452);
    /// 500, RFC 5321 §4.2.3: "Syntax error, command unrecognized".
    pub const SYNTAX_ERROR: Self = Self(500);
    /// 501, RFC 5321 §4.2.3: "Syntax error in parameters or arguments"; also the reply to a
    /// cancelled AUTH exchange (RFC 4954 §4).
    pub const SYNTAX_ERROR_PARAMS: Self = Self(501);
    /// 504, RFC 5321 §4.2.3: "Command parameter not implemented".
    pub const PARAMETER_NOT_IMPLEMENTED: Self = Self(504);
    /// 552, RFC 5321 §4.2.3: "Requested mail action aborted: exceeded storage allocation".
    pub const EXCEEDED_STORAGE: Self = Self(552);

    /// The first digit: 2 positive completion, 3 positive intermediate, 4 transient negative,
    /// 5 permanent negative (RFC 5321 §4.2.1).
    #[must_use]
    pub fn class(self) -> u16 {
        self.0 / 100
    }

    /// RFC 5321 §4.2.1: "5yz Permanent Negative Completion reply".
    #[must_use]
    pub fn is_permanent_negative(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// An enhanced mail system status code (RFC 3463 §2), displayed as "5.7.1".
///
/// ```text
/// status-code = class "." subject "." detail
/// class = "2"/"4"/"5"
/// subject = 1*3digit
/// detail = 1*3digit
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    /// The subject, e.g. 7 for security or policy status.
    pub subject: u16,
    /// The detail within the subject.
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl EnhancedCode {
    /// Parses the enhanced code at the start of a reply text, for a reply with `code`.
    ///
    /// The class must equal the reply code's first digit (as mox checks), subject and detail
    /// have one to three digits (RFC 3463 §2), and a space or the end of the line must follow.
    /// mox accepted unbounded digits and no space ("2.0.0ok"); that is fixed here.
    #[must_use]
    pub fn parse(code: ReplyCode, text: &[u8]) -> Option<Self> {
        let class = code.class();
        // RFC 3463 §2: class = "2"/"4"/"5".
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        let (&first, rest) = text.split_first()?;
        if u16::from(first) != u16::from(b'0') + class {
            return None;
        }
        let rest = rest.strip_prefix(b".")?;
        let (subject, rest) = take_number(rest)?;
        let rest = rest.strip_prefix(b".")?;
        let (detail, rest) = take_number(rest)?;
        if !(rest.is_empty() || rest[0] == b' ') {
            return None;
        }
        Some(Self {
            class: u8::try_from(class).ok()?,
            subject,
            detail,
        })
    }
}

/// RFC 3463 §2: "1*3digit".
fn take_number(s: &[u8]) -> Option<(u16, &[u8])> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=3).contains(&digits) {
        return None;
    }
    let value = s[..digits]
        .iter()
        .fold(0u16, |v, &b| v * 10 + u16::from(b - b'0'));
    Some((value, &s[digits..]))
}

/// A complete, possibly multi-line, server reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code, equal on every line.
    pub code: ReplyCode,
    /// The enhanced status code of the last line, when ENHANCEDSTATUSCODES was announced and
    /// the line carries one.
    pub enhanced: Option<EnhancedCode>,
    /// Every line as received, code included, without the line ending. Bytes are kept as they
    /// are: servers may send text that is not UTF-8.
    pub lines: Vec<Vec<u8>>,
}

impl Reply {
    /// The text of each line: what follows the code and its separator.
    pub fn texts(&self) -> impl Iterator<Item = &[u8]> {
        self.lines.iter().map(|l| l.get(4..).unwrap_or_default())
    }

    /// The text of each line, converted lossily to UTF-8.
    #[must_use]
    pub fn text_lossy(&self) -> Vec<String> {
        self.texts()
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect()
    }

    /// Every full line (code included), converted lossily to UTF-8.
    #[must_use]
    pub fn lines_lossy(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }
}

impl fmt::Display for Reply {
    /// The lines joined with " / ", e.g. "451 4.7.1 greylisted".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                f.write_str(" / ")?;
            }
            f.write_str(&String::from_utf8_lossy(line))?;
        }
        Ok(())
    }
}

/// The server broke the reply syntax; the connection cannot be trusted any more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A line did not start with exactly three digits.
    #[error("expected a three-digit reply code, got {line:?}")]
    BadCode {
        /// The offending line, lossily converted and cut to 64 characters.
        line: String,
    },
    /// The reply code was followed by something other than a space, a dash or the line end.
    #[error("expected space or dash after reply code, got {line:?}")]
    BadSeparator {
        /// The offending line, lossily converted and cut to 64 characters.
        line: String,
    },
    /// RFC 5321 §4.2.1: the lines of a multi-line reply must carry the same code.
    #[error("multiline reply with different codes, first {first}, then {then}")]
    MixedCodes {
        /// The code of the first line.
        first: ReplyCode,
        /// The code of the line that differed.
        then: ReplyCode,
    },
    /// A line exceeded [`MAX_LINE_LENGTH`].
    #[error("reply line longer than {max} bytes")]
    LineTooLong {
        /// The limit.
        max: usize,
    },
    /// A multi-line reply exceeded [`MAX_LINES`].
    #[error("reply too long: more than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// The server sent data while no reply was awaited. RFC 5321 §4.3.1: "The communication
    /// between the sender and receiver is an alternating dialogue, controlled by the sender."
    #[error("server sent data while no reply was awaited")]
    Unsolicited,
}

/// Shows a line in an error message: lossy UTF-8, at most 64 characters.
fn excerpt(line: &[u8]) -> String {
    String::from_utf8_lossy(line).chars().take(64).collect()
}

/// An incremental reply parser: bytes go in as they arrive, in any split; complete replies
/// come out.
///
/// Lines end in CRLF or, as mox accepts, a bare LF. An error is sticky: every later call
/// returns it again, since the reply stream is out of sync from then on.
#[derive(Debug, Default)]
pub struct ReplyParser {
    /// Received bytes; `buf[start..]` is not consumed yet.
    buf: Vec<u8>,
    start: usize,
    /// How many bytes of `buf[start..]` are known to hold no LF.
    scanned: usize,
    /// The lines of the reply being assembled, and their code.
    lines: Vec<Vec<u8>>,
    code: Option<ReplyCode>,
    error: Option<ProtocolError>,
}

impl ReplyParser {
    /// An empty parser.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// True when no byte is buffered: neither a partial line nor part of a reply.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.start == self.buf.len() && self.lines.is_empty()
    }

    /// The next complete reply, or `None` until more bytes arrive.
    ///
    /// `enhanced` says whether ENHANCEDSTATUSCODES is active for this reply (RFC 2034 §3).
    ///
    /// # Errors
    /// A [`ProtocolError`] for a malformed line, mixed codes, a line or reply that is too long.
    pub fn next_reply(&mut self, enhanced: bool) -> Option<Result<Reply, ProtocolError>> {
        if let Some(error) = &self.error {
            return Some(Err(error.clone()));
        }
        match self.parse(enhanced) {
            Ok(reply) => reply.map(Ok),
            Err(error) => {
                self.error = Some(error.clone());
                Some(Err(error))
            }
        }
    }

    fn parse(&mut self, enhanced: bool) -> Result<Option<Reply>, ProtocolError> {
        loop {
            let pending = &self.buf[self.start..];
            let Some(lf) = pending[self.scanned..].iter().position(|&b| b == b'\n') else {
                self.scanned = pending.len();
                if pending.len() >= MAX_LINE_LENGTH {
                    return Err(ProtocolError::LineTooLong {
                        max: MAX_LINE_LENGTH,
                    });
                }
                return Ok(None);
            };
            let end = self.scanned + lf;
            if end + 1 > MAX_LINE_LENGTH {
                return Err(ProtocolError::LineTooLong {
                    max: MAX_LINE_LENGTH,
                });
            }
            // RFC 5321 §2.3.8 wants CRLF; a bare LF is accepted as a line end, as mox does.
            let line = pending[..end]
                .strip_suffix(b"\r")
                .unwrap_or(&pending[..end]);
            let line = line.to_vec();
            self.start += end + 1;
            self.scanned = 0;
            let (code, last) = parse_code(&line)?;
            if let Some(first) = self.code
                && first != code
            {
                // RFC 5321 §4.2.1: "In a multiline reply, the reply code on each of the lines
                // MUST be the same."
                return Err(ProtocolError::MixedCodes { first, then: code });
            }
            self.code = Some(code);
            if self.lines.len() == MAX_LINES {
                return Err(ProtocolError::TooManyLines { max: MAX_LINES });
            }
            self.lines.push(line);
            if last {
                let lines = std::mem::take(&mut self.lines);
                self.code = None;
                let enhanced = if enhanced {
                    lines
                        .last()
                        .and_then(|l| EnhancedCode::parse(code, l.get(4..).unwrap_or_default()))
                } else {
                    None
                };
                return Ok(Some(Reply {
                    code,
                    enhanced,
                    lines,
                }));
            }
        }
    }
}

/// Parses the code of one line and whether it is the last line of its reply.
fn parse_code(line: &[u8]) -> Result<(ReplyCode, bool), ProtocolError> {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits != 3 {
        return Err(ProtocolError::BadCode {
            line: excerpt(line),
        });
    }
    let code = line[..3]
        .iter()
        .fold(0u16, |v, &b| v * 10 + u16::from(b - b'0'));
    match line.get(3) {
        // RFC 5321 §4.2: "Reply-code [ SP textstring ] CRLF": the text, and so the space, may
        // be missing on the last line ("451").
        None | Some(b' ') => Ok((ReplyCode(code), true)),
        Some(b'-') => Ok((ReplyCode(code), false)),
        Some(_) => Err(ProtocolError::BadSeparator {
            line: excerpt(line),
        }),
    }
}

#[cfg(test)]
#[path = "reply_tests.rs"]
mod tests;
