//! The message data in BDAT chunks (RFC 3030), used instead of DATA when the server offers
//! CHUNKING.
//!
//! Each chunk the caller pushes becomes one `BDAT <n>` with the bytes as they are sent (no
//! dot-stuffing, RFC 3030 §2); the last one is held back until the message ends, so it goes
//! out as `BDAT <n> LAST` (an empty message is `BDAT 0 LAST`). A chunk pushed as a buffer
//! ([`Session::push_message_buffer`]) that needs no line ending fixed is held and sent as it
//! is: no copy of the data in the session. With PIPELINING the chunks
//! follow MAIL and RCPT without waiting (RFC 3030 §4.2), so a message that fits in one chunk
//! costs one round trip; without it each BDAT reply is read before the next chunk.
//!
//! The rules of DATA hold: a bare CR or LF is refused or normalised, the byte count (of what
//! is sent) is checked against SIZE, and refused data botches the session (the server never
//! gets LAST, so it cannot accept a partial message). A refused envelope or an error reply to
//! a BDAT ends the transaction: no further chunk is sent, the replies to those already sent
//! are read, then the failure is reported (RFC 3030 §2: "the transaction should be considered
//! failed and the sender-SMTP MUST NOT send any additional BDAT segments"). The RSET it needs
//! goes before the next transaction, as after any failed one.

use std::borrow::Cow;
use std::time::Instant;

use super::transaction::Stage;
use super::{Expect, Session};
use crate::error::Error;
use crate::smtp::command::{Command, CommandKind};
use crate::smtp::data::{DataEncoder, LineEndings};
use crate::smtp::reply::{Reply, ReplyCode};

/// The message data of a BDAT transaction in progress.
#[derive(Debug)]
pub(super) struct Chunks {
    encoder: DataEncoder,
    /// Encoded bytes not sent yet: the chunk that may turn out to be the last.
    pending: Vec<u8>,
    /// Bytes sent in BDAT chunks so far.
    sent: u64,
}

impl Chunks {
    pub(super) fn new(line_endings: LineEndings) -> Self {
        Self {
            encoder: DataEncoder::chunked(line_endings),
            pending: Vec::new(),
            sent: 0,
        }
    }
}

impl Session {
    /// [`Session::push_message_data`] with CHUNKING: encodes the chunk (a buffer that needs
    /// no encoding is kept as it is) and sends the one held back before it.
    pub(super) fn push_chunk(&mut self, now: Instant, chunk: Cow<'_, [u8]>) -> Result<(), Error> {
        let max = self.max_size();
        let chunks = self.chunks()?;
        let encoded = match chunk {
            Cow::Owned(chunk) if chunks.encoder.verbatim(&chunk) => Ok(chunk),
            chunk => {
                let mut out = Vec::new();
                chunks.encoder.encode(&chunk, &mut out).map(|()| out)
            }
        };
        let result = encoded
            .map_err(Error::Message)
            .and_then(|out| check_size(chunks, out.len(), max).map(|()| out));
        let out = match result {
            Ok(out) => out,
            Err(error) => {
                self.botch(error.clone());
                return Err(error);
            }
        };
        if !out.is_empty() {
            let previous = std::mem::replace(&mut chunks.pending, out);
            if !previous.is_empty() {
                self.send_bdat(previous, false);
            }
        }
        self.arm(now);
        Ok(())
    }

    /// [`Session::finish_message`] with CHUNKING: the chunk held back goes out with LAST.
    pub(super) fn finish_chunks(&mut self, now: Instant) -> Result<(), Error> {
        let max = self.max_size();
        let chunks = self.chunks()?;
        let mut tail = Vec::new();
        let result = chunks
            .encoder
            .finish(&mut tail)
            .map_err(Error::Message)
            .and_then(|()| check_size(chunks, tail.len(), max));
        if let Err(error) = result {
            self.botch(error.clone());
            return Err(error);
        }
        let mut last = std::mem::take(&mut chunks.pending);
        last.extend_from_slice(&tail);
        self.send_bdat(last, true);
        self.set_stage(Stage::DataEnd);
        self.arm(now);
        Ok(())
    }

    /// The reply to a BDAT: 250 goes on (or, to LAST, ends the transaction); anything else
    /// fails it once the replies to the chunks already sent are read.
    pub(super) fn bdat_reply(&mut self, last: bool, reply: Reply) {
        let Some(txn) = self.txn() else { return };
        if matches!(txn.stage, Stage::Draining(_)) {
            self.drain_done();
        } else if reply.code != ReplyCode::OK {
            self.drain(Error::Status {
                command: CommandKind::Bdat,
                reply,
            });
        } else if last {
            self.end_transaction(Ok(reply));
        }
    }

    /// The transaction failed: no more chunks; it ends once no BDAT reply is outstanding.
    pub(super) fn drain(&mut self, error: Error) {
        self.set_stage(Stage::Draining(error));
        self.drain_done();
    }

    /// Ends a draining transaction when every reply was read.
    fn drain_done(&mut self) {
        if !self.expect.is_empty() {
            return;
        }
        let stage = self
            .txn()
            .map(|txn| std::mem::replace(&mut txn.stage, Stage::DataEnd));
        if let Some(Stage::Draining(error)) = stage {
            self.end_transaction(Err(error));
        }
    }

    fn send_bdat(&mut self, data: Vec<u8>, last: bool) {
        let size = data.len() as u64;
        // RFC 3030 §2: "BDAT" SP chunk-size [ SP end-marker ], then exactly that many bytes.
        self.transport.send(&Command::Bdat { size, last });
        self.transport.write_data_buffer(data);
        self.expect.push_back(Expect::Bdat { last });
        if let Some(Stage::Chunks(chunks)) = self.txn().map(|txn| &mut txn.stage) {
            chunks.sent += size;
        }
    }

    /// The server's SIZE maximum; 0 when none (RFC 1870 §4).
    fn max_size(&self) -> u64 {
        self.extensions.as_ref().and_then(|e| e.size).unwrap_or(0)
    }

    fn chunks(&mut self) -> Result<&mut Chunks, Error> {
        match self.txn().map(|txn| &mut txn.stage) {
            Some(Stage::Chunks(chunks)) => Ok(chunks),
            _ => Err(Error::Usage("not in the message data phase")),
        }
    }
}

/// RFC 1870 §4 and §6: the bytes sent (held back ones and `more` included) must not exceed
/// the server's maximum; 0 means none.
fn check_size(chunks: &Chunks, more: usize, max: u64) -> Result<(), Error> {
    let size = chunks.sent + (chunks.pending.len() + more) as u64;
    if max > 0 && size > max {
        return Err(Error::Size { size, max });
    }
    Ok(())
}
