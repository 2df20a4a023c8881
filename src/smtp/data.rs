//! Streaming encoder for the message data after DATA (dot-stuffing and line-ending checks) or
//! in BDAT chunks (RFC 3030 §2: the same line-ending checks, no dot-stuffing, no final ".").
//!
//! RFC 5321 §4.5.2: "Before sending a line of mail text, the SMTP client checks the first
//! character of the line. If it is a period, one additional period is inserted at the
//! beginning of the line." RFC 5321 §2.3.8: "the character sequence CRLF ... MUST be used to
//! mark the end of a line"; a bare CR or LF could otherwise end the data early on a lenient
//! server (SMTP smuggling), so [`LineEndings::Strict`] refuses them and
//! [`LineEndings::Normalize`] turns them into CRLF.
//!
//! Unlike mox's `DataWrite` (it misses a bare CR at the end of a read chunk), the checks hold
//! across chunk boundaries:
//! every CR must be followed by LF and every LF preceded by CR, however the input is split.

/// What to do with a bare CR or LF in the message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LineEndings {
    /// A bare CR or LF, or a missing final CRLF, refuses the message (delivery).
    #[default]
    Strict,
    /// Bare CR and LF become CRLF and a missing final CRLF is added (submission).
    Normalize,
}

/// The message data cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// A CR not followed by LF.
    #[error("bare carriage return at byte {offset}")]
    BareCarriageReturn {
        /// Offset of the CR in the message.
        offset: u64,
    },
    /// An LF not preceded by CR.
    #[error("bare line feed at byte {offset}")]
    BareLineFeed {
        /// Offset of the LF in the message.
        offset: u64,
    },
    /// The message does not end with CRLF.
    #[error("missing crlf at end of message")]
    MissingFinalCrlf,
}

/// Turns message bytes, fed in chunks of any size, into SMTP data ending with ".\r\n".
///
/// Call [`encode`](Self::encode) for each chunk, then [`finish`](Self::finish) once. An error
/// is sticky: the caller must then abandon the transaction and never send the final ".".
#[derive(Debug)]
pub struct DataEncoder {
    line_endings: LineEndings,
    /// DATA: dot-stuffing and the final ".\r\n"; BDAT: neither.
    dot_stuffing: bool,
    /// The output is at the start of a line (true at the start of the message).
    at_line_start: bool,
    /// The offset of a CR just read whose LF has not been seen yet.
    pending_cr: Option<u64>,
    bytes_in: u64,
    error: Option<DataError>,
}

/// What one pass over a chunk found (RFC 5321 §2.3.8 and §4.5.2).
struct LineEndingScan {
    /// Every CR is followed by LF and every LF preceded by CR, within the chunk.
    crlf_only: bool,
    /// Some LF in the chunk is followed by ".".
    dot_after_lf: bool,
}

/// One pass over `bytes`, in blocks of 256 bytes that stop early at a bad line ending.
fn scan_line_endings(bytes: &[u8]) -> LineEndingScan {
    const BLOCK: usize = 256;
    let mut scan = LineEndingScan {
        crlf_only: true,
        dot_after_lf: false,
    };
    let Some(last) = bytes.len().checked_sub(1) else {
        return scan;
    };
    // Each byte beside the one after it.
    let (current, next) = (&bytes[..last], &bytes[1..]);
    let (current_blocks, current_rest) = current.as_chunks::<BLOCK>();
    let (next_blocks, next_rest) = next.as_chunks::<BLOCK>();
    let blocks = current_blocks.iter().zip(next_blocks);
    let pairs = blocks
        .map(|(current, next)| scan_pairs(current, next))
        .chain(std::iter::once(scan_pairs(current_rest, next_rest)));
    for (mismatch, dot_after_lf) in pairs {
        if mismatch {
            scan.crlf_only = false;
            return scan;
        }
        scan.dot_after_lf |= dot_after_lf;
    }
    scan
}

/// Whether some CR in `current` is not followed by LF in `next` (or some LF in `next` not
/// preceded by CR), and whether some LF in `current` is followed by ".". No branches in the
/// loop, so that it compiles to SIMD (simd128 in the component, SSE2 natively), unrolled
/// for a whole block.
#[inline(always)]
fn scan_pairs(current: &[u8], next: &[u8]) -> (bool, bool) {
    let mut mismatch = false;
    let mut dot_after_lf = false;
    for (&c, &n) in current.iter().zip(next) {
        mismatch |= (c == b'\r') != (n == b'\n');
        dot_after_lf |= (c == b'\n') & (n == b'.');
    }
    (mismatch, dot_after_lf)
}

impl DataEncoder {
    /// An encoder at the start of a message sent after DATA.
    #[must_use]
    pub fn new(line_endings: LineEndings) -> Self {
        Self {
            dot_stuffing: true,
            ..Self::chunked(line_endings)
        }
    }

    /// An encoder at the start of a message sent in BDAT chunks. RFC 3030 §2: "the data
    /// sent ... does not need to be ... dot-stuffed", and the end is marked by LAST, not ".".
    #[must_use]
    pub fn chunked(line_endings: LineEndings) -> Self {
        Self {
            line_endings,
            dot_stuffing: false,
            at_line_start: true,
            pending_cr: None,
            bytes_in: 0,
            error: None,
        }
    }

    /// The number of message bytes fed so far (before dot-stuffing).
    #[must_use]
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Encodes one chunk, appending to `out`.
    ///
    /// # Errors
    /// With [`LineEndings::Strict`], [`DataError::BareCarriageReturn`] or
    /// [`DataError::BareLineFeed`]; `out` may then hold part of the chunk.
    pub fn encode(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), DataError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if chunk.is_empty() {
            return Ok(());
        }
        let base = self.bytes_in;
        self.bytes_in = base + chunk.len() as u64;
        out.reserve(chunk.len() + 2);
        if self.encode_well_formed(base, chunk, out) {
            return Ok(());
        }
        self.encode_by_line(base, chunk, out)
    }

    /// When `chunk` encodes to itself (every CR followed by LF and every LF preceded by CR
    /// within it, no CR at its end, nothing held from the chunk before, and after DATA no
    /// line starting with "."), records it as encoded and returns true: the caller sends the
    /// chunk as it is, without copying it. Otherwise changes nothing and returns false: use
    /// [`DataEncoder::encode`].
    pub fn verbatim(&mut self, chunk: &[u8]) -> bool {
        let (Some(&first), Some(&last)) = (chunk.first(), chunk.last()) else {
            return false;
        };
        if self.error.is_some() || self.pending_cr.is_some() || first == b'\n' || last == b'\r' {
            return false;
        }
        let scan = scan_line_endings(chunk);
        let stuffed =
            self.dot_stuffing && (scan.dot_after_lf || (self.at_line_start && first == b'.'));
        if !scan.crlf_only || stuffed {
            return false;
        }
        self.bytes_in += chunk.len() as u64;
        self.at_line_start = last == b'\n';
        true
    }

    /// The common case, a chunk whose every CR is followed by LF and every LF preceded by CR
    /// (a CR at the end waits for the next chunk): copied whole, split only where a line
    /// starts with ".". Returns false, having changed nothing, for any other chunk.
    fn encode_well_formed(&mut self, base: u64, chunk: &[u8], out: &mut Vec<u8>) -> bool {
        let continues_crlf = self.pending_cr.is_some();
        if (chunk[0] == b'\n') != continues_crlf {
            return false;
        }
        let scan = scan_line_endings(chunk);
        if !scan.crlf_only {
            return false;
        }
        let body = match chunk.split_last() {
            Some((b'\r', body)) => {
                self.pending_cr = Some(base + body.len() as u64);
                body
            }
            _ => {
                self.pending_cr = None;
                chunk
            }
        };
        if continues_crlf {
            out.push(b'\r');
        }
        let mut copied = 0;
        if self.dot_stuffing {
            // RFC 5321 §4.5.2: a period at the start of a line gets one more. A line starts
            // at the chunk's first byte, or after an LF.
            if !continues_crlf && self.at_line_start && body.first() == Some(&b'.') {
                out.push(b'.');
            }
            if scan.dot_after_lf {
                for lf in memchr::memchr_iter(b'\n', body) {
                    let dot = lf + 1;
                    if body.get(dot) == Some(&b'.') {
                        out.extend_from_slice(&body[copied..dot]);
                        out.push(b'.');
                        copied = dot;
                    }
                }
            }
        }
        out.extend_from_slice(&body[copied..]);
        if let Some(&last) = body.last() {
            self.at_line_start = last == b'\n';
        }
        true
    }

    /// Any chunk, line by line: bare CR and LF are refused or normalized where they are.
    fn encode_by_line(
        &mut self,
        base: u64,
        chunk: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DataError> {
        // `chunk[..copied]` is in `out`; `at` is where the search goes on and `line_start`
        // says whether a line begins there.
        let mut copied = 0;
        let mut line_start = self.at_line_start;
        if let Some(cr) = self.pending_cr.take() {
            if chunk[0] == b'\n' {
                out.extend_from_slice(b"\r\n");
                copied = 1;
            } else {
                self.bare(DataError::BareCarriageReturn { offset: cr }, out)?;
            }
            line_start = true;
        }
        let mut at = copied;
        loop {
            // RFC 5321 §4.5.2: a period at the start of a line gets one more.
            if line_start && self.dot_stuffing && chunk.get(at) == Some(&b'.') {
                out.extend_from_slice(&chunk[copied..at]);
                out.push(b'.');
                copied = at;
            }
            let Some(found) = memchr::memchr2(b'\r', b'\n', &chunk[at..]) else {
                break;
            };
            let end = at + found;
            line_start = true;
            match (chunk[end], chunk.get(end + 1)) {
                (b'\r', Some(b'\n')) => {
                    at = end + 2;
                    continue;
                }
                (b'\r', None) => {
                    out.extend_from_slice(&chunk[copied..end]);
                    self.pending_cr = Some(base + end as u64);
                    return Ok(());
                }
                (b'\r', Some(_)) => {
                    out.extend_from_slice(&chunk[copied..end]);
                    let offset = base + end as u64;
                    self.bare(DataError::BareCarriageReturn { offset }, out)?;
                }
                _ => {
                    out.extend_from_slice(&chunk[copied..end]);
                    let offset = base + end as u64;
                    self.bare(DataError::BareLineFeed { offset }, out)?;
                }
            }
            at = end + 1;
            copied = at;
        }
        out.extend_from_slice(&chunk[copied..]);
        self.at_line_start = at == chunk.len();
        Ok(())
    }

    /// Ends the message: checks the final line ending and, after DATA, appends ".\r\n".
    ///
    /// # Errors
    /// With [`LineEndings::Strict`], a bare CR at the end or [`DataError::MissingFinalCrlf`].
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), DataError> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        if let Some(cr) = self.pending_cr.take() {
            self.bare(DataError::BareCarriageReturn { offset: cr }, out)?;
        }
        if !self.at_line_start {
            // RFC 5321 §4.1.1.4: the end of data is "<CRLF>.<CRLF>", so the message must end
            // with CRLF itself.
            self.bare(DataError::MissingFinalCrlf, out)?;
        }
        if self.dot_stuffing {
            out.extend_from_slice(b".\r\n");
        }
        Ok(())
    }

    /// A bare CR or LF (or missing final CRLF): refused, or written as CRLF.
    fn bare(&mut self, error: DataError, out: &mut Vec<u8>) -> Result<(), DataError> {
        match self.line_endings {
            LineEndings::Strict => {
                self.error = Some(error.clone());
                Err(error)
            }
            LineEndings::Normalize => {
                self.end_line(out);
                Ok(())
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"\r\n");
        self.at_line_start = true;
    }
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;
