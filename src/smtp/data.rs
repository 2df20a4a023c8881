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
//! Unlike mox's `DataWrite` (spec §7.2, §13.16), the checks hold across chunk boundaries:
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
        let base = self.bytes_in;
        let mut i = 0;
        while i < chunk.len() {
            if let Some(cr) = self.pending_cr.take() {
                if chunk[i] == b'\n' {
                    self.end_line(out);
                    i += 1;
                    continue;
                }
                self.bare(DataError::BareCarriageReturn { offset: cr }, out)?;
            }
            match chunk[i] {
                b'\r' => {
                    self.pending_cr = Some(base + i as u64);
                    i += 1;
                }
                b'\n' => {
                    let offset = base + i as u64;
                    self.bare(DataError::BareLineFeed { offset }, out)?;
                    i += 1;
                }
                first => {
                    let end =
                        memchr::memchr2(b'\r', b'\n', &chunk[i..]).map_or(chunk.len(), |p| i + p);
                    // RFC 5321 §4.5.2: a period at the start of a line gets one more.
                    if self.dot_stuffing && self.at_line_start && first == b'.' {
                        out.push(b'.');
                    }
                    out.extend_from_slice(&chunk[i..end]);
                    self.at_line_start = false;
                    i = end;
                }
            }
        }
        self.bytes_in = base + chunk.len() as u64;
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
