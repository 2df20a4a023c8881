//! One mail transaction (RFC 5321 §3.3): MAIL, RCPT, DATA and the message data, pipelined
//! when the server offers PIPELINING (RFC 2920); BDAT instead of DATA when it offers CHUNKING
//! (RFC 3030, the `bdat` module of the session).
//!
//! DSN parameters (RFC 3461): RET and ENVID on MAIL, NOTIFY and ORCPT on RCPT are sent only
//! when the server announces DSN. When it does not, they are dropped and the transaction goes
//! on, as an MTA relaying to a server without DSN does (RFC 3461 §4: the parameters "MUST
//! NOT" be used with a server that did not announce DSN; §5.2.2: the message is still
//! relayed, and a SUCCESS notification becomes "relayed"). A typed error would make every
//! delivery to such a server fail for a request that is only advisory; mox sends no DSN
//! parameters at all.
//!
//! Changes from mox:
//! - Preconditions (8BITMIME, SMTPUTF8, REQUIRETLS, SIZE) are checked before the automatic
//!   RSET, so a refused transaction sends nothing; their errors name no command.
//! - Paths are validated; a pipelined MAIL failure reports "mailfrom" (mox: "data").
//! - RCPT success is 250 or 251 (RFC 5321 §4.3.2; mox took 251 as a failure).
//! - 452 and 552 to RCPT are temporary at any index, pipelined or not (RFC 5321
//!   §4.5.3.1.10; mox took a 552 to the first, not pipelined, as permanent).
//! - A 354 after a failed pipelined MAIL is ended with "." as well (mox left the server in
//!   data mode).
//! - Bare CR/LF is checked across chunks. Refused message data (or data beyond the
//!   SIZE maximum) abandons the transaction: the final "." is never sent, the session is
//!   botched and closed, so the server cannot accept a partial message.

use std::borrow::Cow;
use std::time::Instant;

use super::bdat::Chunks;
use super::{Event, Expect, Op, Session};
use crate::error::Error;
use crate::smtp::address::{validate_forward_path, validate_reverse_path};
use crate::smtp::command::{Body, Command, CommandKind, MailParams};
use crate::smtp::data::{DataEncoder, LineEndings};
use crate::smtp::dsn::{MailDsn, RcptDsn};
use crate::smtp::extensions::Extensions;
use crate::smtp::reply::{Reply, ReplyCode};

/// The envelope and properties of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transaction {
    /// The reverse path without angle brackets; empty for the null sender (RFC 5321 §4.5.5).
    pub mail_from: String,
    /// The forward paths without angle brackets; at least one.
    pub recipients: Vec<String>,
    /// The message size for the SIZE parameter (RFC 1870 §6), when known.
    pub size: Option<u64>,
    /// The message has 8-bit content: BODY=8BITMIME (RFC 6152).
    pub require_8bitmime: bool,
    /// The envelope or message needs SMTPUTF8 (RFC 6531).
    pub require_smtputf8: bool,
    /// REQUIRETLS (RFC 8689).
    pub require_tls: bool,
    /// What to do with bare CR and LF in the message.
    pub line_endings: LineEndings,
    /// RET and ENVID (RFC 3461 §4.3, §4.4); sent only when the server announces DSN.
    pub dsn: MailDsn,
    /// NOTIFY and ORCPT of each recipient, by index in `recipients` (RFC 3461 §4.1, §4.2);
    /// recipients without an entry have none. Sent only when the server announces DSN.
    pub recipient_dsn: Vec<RcptDsn>,
}

/// The server's verdict on one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The forward path as given.
    pub address: String,
    /// The RCPT reply; `None` when never answered. Recipients left unsent after a "too many
    /// recipients" 452 or 552 (RFC 5321 §4.5.3.1.10) carry that reply, as in mox.
    pub reply: Option<Reply>,
    /// True when the server accepted the recipient and the transaction succeeded.
    pub accepted: bool,
    /// True when retrying this recipient will not help: its RCPT reply was 5xx other than 552
    /// (RFC 5321 §4.5.3.1.10), or it was accepted, never answered or sent after a refused
    /// MAIL, and the transaction failed permanently.
    pub permanent: bool,
}

/// A transaction whose message the server accepted for at least one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionOutcome {
    /// One result per recipient, in order.
    pub recipients: Vec<RecipientResult>,
    /// The 250 reply after the message data.
    pub reply: Reply,
}

/// A transaction that delivered nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionFailure {
    /// Why.
    pub error: Error,
    /// One result per recipient, in order, with the replies received until the failure.
    pub recipients: Vec<RecipientResult>,
}

#[derive(Debug)]
pub(super) enum Stage {
    /// Waiting for the automatic RSET.
    Rset,
    /// MAIL, RCPT and DATA.
    Envelope,
    /// The caller pushes message data.
    Body(DataEncoder),
    /// The caller pushes message data, sent in BDAT chunks (RFC 3030).
    Chunks(Chunks),
    /// Waiting for the reply to the final "." or to BDAT LAST.
    DataEnd,
    /// BDAT: the transaction failed with this error (an envelope refused, a BDAT refused);
    /// the replies to BDAT commands already sent are read, then it ends (RFC 3030 §2).
    Draining(Error),
    /// A failed pipelined envelope got 354 to DATA: "." was sent to end the empty message
    /// (RFC 2920 §3.1); its reply is awaited, then the transaction fails with this error.
    Abandoned(Error),
}

/// The state of a transaction in progress.
#[derive(Debug)]
pub(super) struct Txn {
    pub(super) tx: Transaction,
    pub(super) pipelined: bool,
    /// BDAT replaces DATA (RFC 3030 §2).
    pub(super) chunking: bool,
    pub(super) stage: Stage,
    /// The MAIL reply, when read.
    mail: Option<Reply>,
    /// RCPT results so far; `reply` is set as replies arrive.
    recipients: Vec<RecipientResult>,
    /// How many RCPT commands were sent, and how many replies read.
    rcpt_sent: usize,
    rcpt_read: usize,
}

impl Txn {
    pub(super) fn in_body(&self) -> bool {
        matches!(self.stage, Stage::Body(_) | Stage::Chunks(_))
    }

    /// Whether the caller may push message data now; `idle`: no reply is awaited. Without
    /// PIPELINING each BDAT reply is read before the next chunk goes out (RFC 3030 §4.2).
    pub(super) fn wants_data(&self, idle: bool) -> bool {
        match self.stage {
            Stage::Body(_) => true,
            Stage::Chunks(_) => self.pipelined || idle,
            _ => false,
        }
    }

    /// The command of the message-data phase: DATA or BDAT.
    pub(super) fn data_command(&self) -> CommandKind {
        if self.chunking {
            CommandKind::Bdat
        } else {
            CommandKind::Data
        }
    }

    /// The failure to report: `error`, unless the replies read already decided the outcome
    /// (a pipelined MAIL refused, or every recipient refused) before the connection failed;
    /// mox does the same (its test cases E13, E14).
    pub(super) fn failure(self, error: Error) -> TransactionFailure {
        let error = match &self.stage {
            Stage::Envelope | Stage::Chunks(_) => self.envelope_failure().unwrap_or(error),
            Stage::Draining(decided) => decided.clone(),
            _ => error,
        };
        self.into_failure(error)
    }

    /// The failure with every recipient's class: a recipient refused at RCPT keeps its own
    /// (RFC 5321 §4.2.1: 5yz permanent, 4yz transient); one accepted or never answered shares
    /// the transaction's. So does every recipient when MAIL was refused: the RCPT replies
    /// that follow a refused MAIL (503 "Bad sequence of commands", RFC 5321 §4.2.2) say
    /// nothing about the recipient. Pipelined or not, a 5xx to MAIL so settles every
    /// recipient for good and a 4xx none.
    fn into_failure(self, error: Error) -> TransactionFailure {
        let permanent = error.is_permanent();
        let mail_refused = matches!(
            error,
            Error::Status {
                command: CommandKind::MailFrom,
                ..
            }
        );
        let recipients = self
            .recipients
            .into_iter()
            .map(|r| {
                let shares_fate = mail_refused || r.accepted || r.reply.is_none();
                RecipientResult {
                    permanent: if shares_fate { permanent } else { r.permanent },
                    accepted: false,
                    ..r
                }
            })
            .collect();
        TransactionFailure { error, recipients }
    }

    /// The error decided by the envelope replies read so far, if any.
    pub(super) fn envelope_failure(&self) -> Option<Error> {
        if let Some(mail) = &self.mail
            && mail.code != ReplyCode::OK
        {
            return Some(Error::Status {
                command: CommandKind::MailFrom,
                reply: mail.clone(),
            });
        }
        let answered = self.rcpt_read == self.recipients.len();
        if answered && !self.recipients.iter().any(|r| r.accepted) {
            return Some(self.no_recipients());
        }
        None
    }

    /// No recipient accepted: one recipient's reply is the error (as in mox),
    /// several make [`Error::NoRecipients`].
    fn no_recipients(&self) -> Error {
        match self.recipients.as_slice() {
            [
                RecipientResult {
                    reply: Some(reply), ..
                },
            ] => Error::Status {
                command: CommandKind::RcptTo,
                reply: reply.clone(),
            },
            _ => Error::NoRecipients,
        }
    }

    /// Records the reply to RCPT number `index`.
    fn record_rcpt(&mut self, index: usize, reply: &Reply) {
        let result = &mut self.recipients[index];
        // RFC 5321 §4.3.2: RCPT "S: 250, 251 (but see Section 3.4 for discussion of 251 and
        // 551)".
        result.accepted = matches!(reply.code, ReplyCode::OK | ReplyCode::USER_NOT_LOCAL);
        result.permanent = !result.accepted
            && Error::Status {
                command: CommandKind::RcptTo,
                reply: reply.clone(),
            }
            .is_permanent();
        result.reply = Some(reply.clone());
    }
}

impl Session {
    /// Starts a transaction: checks it, then sends RSET if the previous one failed, and MAIL,
    /// RCPT and DATA, all at once when the server offers PIPELINING (RFC 2920 §3.1).
    /// [`Event::TransactionDone`] follows; after a 354 the session asks for the message
    /// ([`Session::wants_message_data`]). With CHUNKING there is no DATA: the message goes in
    /// BDAT chunks, asked for right after the pipelined envelope, or after the RCPT replies.
    ///
    /// # Errors
    /// Synchronously, with nothing sent and the session still usable: [`Error::Usage`] (no
    /// recipients, not ready, busy), [`Error::Closed`], [`Error::Botched`],
    /// [`Error::EightBitMimeUnsupported`], [`Error::SmtpUtf8Unsupported`],
    /// [`Error::RequireTlsUnsupported`], [`Error::Size`], [`Error::Address`].
    pub fn start_transaction(&mut self, now: Instant, tx: Transaction) -> Result<(), Error> {
        if tx.recipients.is_empty() {
            return Err(Error::Usage("need at least one recipient"));
        }
        self.check_idle()?;
        let no_extensions = Extensions::default();
        let ext = self.extensions.as_ref().unwrap_or(&no_extensions);
        check_preconditions(ext, &tx, self.transport.is_tls())?;
        let pipelined = ext.pipelining;
        let chunking = ext.chunking;
        validate_reverse_path(&tx.mail_from, tx.require_smtputf8).map_err(|error| {
            Error::Address {
                command: CommandKind::MailFrom,
                address: tx.mail_from.clone(),
                error,
            }
        })?;
        for rcpt in &tx.recipients {
            validate_forward_path(rcpt, tx.require_smtputf8).map_err(|error| Error::Address {
                command: CommandKind::RcptTo,
                address: rcpt.clone(),
                error,
            })?;
        }
        let recipients = tx
            .recipients
            .iter()
            .map(|address| RecipientResult {
                address: address.clone(),
                reply: None,
                accepted: false,
                permanent: false,
            })
            .collect();
        let txn = Txn {
            tx,
            pipelined,
            chunking,
            stage: Stage::Envelope,
            mail: None,
            recipients,
            rcpt_sent: 0,
            rcpt_read: 0,
        };
        self.op = Op::Transaction(Box::new(txn));
        if self.need_rset {
            self.set_stage(Stage::Rset);
            self.send(Command::Rset, Expect::Rset);
        } else {
            self.send_envelope();
        }
        self.arm(now);
        Ok(())
    }

    /// Encodes one chunk of the message (dot-stuffing, line-ending checks) for sending.
    ///
    /// # Errors
    /// [`Error::Message`] for a bare CR or LF with [`LineEndings::Strict`], or [`Error::Size`]
    /// when the data exceeds the server's SIZE maximum: the transaction is abandoned without
    /// the final ".", the session is botched and closed (the same error also comes as
    /// [`Event::TransactionDone`], then [`Event::Closed`]). [`Error::Usage`] outside the
    /// message-data phase, [`Error::Closed`], [`Error::Botched`].
    pub fn push_message_data(&mut self, now: Instant, chunk: &[u8]) -> Result<(), Error> {
        self.push_chunk_of(now, Cow::Borrowed(chunk))
    }

    /// [`Session::push_message_data`] with a buffer the session may keep: a chunk that needs
    /// no encoding (no dot-stuffing, no line ending to fix) is then sent as it is, without a
    /// copy, in plaintext.
    ///
    /// # Errors
    /// As [`Session::push_message_data`].
    pub fn push_message_buffer(&mut self, now: Instant, chunk: Vec<u8>) -> Result<(), Error> {
        self.push_chunk_of(now, Cow::Owned(chunk))
    }

    fn push_chunk_of(&mut self, now: Instant, chunk: Cow<'_, [u8]>) -> Result<(), Error> {
        self.check_body()?;
        if self.chunking() {
            return self.push_chunk(now, chunk);
        }
        let max = self.extensions.as_ref().and_then(|e| e.size).unwrap_or(0);
        let encoder = body_encoder(&mut self.op)?;
        let result = match chunk {
            Cow::Owned(chunk) if encoder.verbatim(&chunk) => {
                self.transport.write_data_buffer(chunk);
                Ok(())
            }
            chunk => self
                .transport
                .write_data(|out| encoder.encode(&chunk, out))
                .map_err(Error::Message),
        }
        .and_then(|()| {
            let size = encoder.bytes_in();
            // RFC 1870 §4: a SIZE value of 0 means no fixed maximum.
            if max > 0 && size > max {
                Err(Error::Size { size, max })
            } else {
                Ok(())
            }
        });
        match &result {
            Err(error) => self.botch(error.clone()),
            Ok(()) => self.arm(now),
        }
        result
    }

    /// Ends the message with ".", then waits for the final reply (RFC 5321 §4.1.1.4).
    ///
    /// # Errors
    /// As [`Session::push_message_data`]: a missing final CRLF or a bare CR at the end with
    /// [`LineEndings::Strict`] abandons the transaction.
    pub fn finish_message(&mut self, now: Instant) -> Result<(), Error> {
        self.check_body()?;
        if self.chunking() {
            return self.finish_chunks(now);
        }
        let encoder = body_encoder(&mut self.op)?;
        let result = self.transport.write_data(|out| encoder.finish(out));
        if let Err(error) = result {
            let error = Error::Message(error);
            self.botch(error.clone());
            return Err(error);
        }
        self.set_stage(Stage::DataEnd);
        self.expect.push_back(Expect::DataEnd);
        self.arm(now);
        Ok(())
    }

    fn check_body(&self) -> Result<(), Error> {
        if self.quit || (self.closed && !self.botched) {
            return Err(Error::Closed);
        }
        if self.botched {
            return Err(Error::Botched);
        }
        Ok(())
    }

    /// The transaction in progress uses BDAT.
    fn chunking(&self) -> bool {
        matches!(&self.op, Op::Transaction(txn) if txn.chunking)
    }

    pub(super) fn txn(&mut self) -> Option<&mut Txn> {
        match &mut self.op {
            Op::Transaction(txn) => Some(txn),
            _ => None,
        }
    }

    pub(super) fn set_stage(&mut self, stage: Stage) {
        if let Some(txn) = self.txn() {
            txn.stage = stage;
        }
    }

    /// MAIL, and with PIPELINING all RCPTs and DATA too; with CHUNKING instead of DATA the
    /// message data is asked for at once, so its BDAT follows in the same flight.
    fn send_envelope(&mut self) {
        let no_extensions = Extensions::default();
        let ext = self.extensions.as_ref().unwrap_or(&no_extensions);
        let Op::Transaction(txn) = &mut self.op else {
            return;
        };
        txn.stage = Stage::Envelope;
        self.need_rset = true;
        let tx = &txn.tx;
        self.transport.send(&Command::MailFromDsn {
            path: &tx.mail_from,
            params: mail_params(ext, tx),
            dsn: &tx.dsn,
            offered: ext.dsn,
        });
        self.expect.push_back(Expect::MailFrom);
        if txn.pipelined {
            // RFC 2920 §3.1: MAIL, RCPT and (as the last command of the group) DATA.
            let none = RcptDsn::default();
            for (i, rcpt) in tx.recipients.iter().enumerate() {
                self.transport.send(&Command::RcptToDsn {
                    path: rcpt,
                    dsn: tx.recipient_dsn.get(i).unwrap_or(&none),
                    offered: ext.dsn,
                });
                self.expect.push_back(Expect::RcptTo);
            }
            txn.rcpt_sent = tx.recipients.len();
            if txn.chunking {
                // RFC 3030 §4.2: BDAT may be pipelined after RCPT.
                txn.stage = Stage::Chunks(Chunks::new(tx.line_endings));
            } else {
                self.transport.send(&Command::Data);
                self.expect.push_back(Expect::Data);
            }
        }
    }

    /// Sends the next RCPT (without PIPELINING).
    fn send_next_rcpt(&mut self) {
        let dsn_offered = self.extensions.as_ref().is_some_and(|e| e.dsn);
        let Op::Transaction(txn) = &mut self.op else {
            return;
        };
        let none = RcptDsn::default();
        let index = txn.rcpt_sent;
        self.transport.send(&Command::RcptToDsn {
            path: &txn.tx.recipients[index],
            dsn: txn.tx.recipient_dsn.get(index).unwrap_or(&none),
            offered: dsn_offered,
        });
        self.expect.push_back(Expect::RcptTo);
        txn.rcpt_sent += 1;
    }

    pub(super) fn transaction_reply(&mut self, expect: Expect, reply: Reply) {
        let Some(txn) = self.txn() else { return };
        let pipelined = txn.pipelined;
        let chunking = txn.chunking;
        match expect {
            Expect::Rset if reply.code == ReplyCode::OK => {
                self.need_rset = false;
                self.send_envelope();
            }
            Expect::MailFrom => {
                let ok = reply.code == ReplyCode::OK;
                txn.mail = Some(reply.clone());
                if !pipelined {
                    if ok {
                        self.send_next_rcpt();
                    } else {
                        self.end_transaction(Err(Error::Status {
                            command: CommandKind::MailFrom,
                            reply,
                        }));
                    }
                }
            }
            Expect::RcptTo => {
                let index = txn.rcpt_read;
                txn.rcpt_read += 1;
                txn.record_rcpt(index, &reply);
                if pipelined {
                    // With DATA the verdict waits for its reply; BDAT has none of its own.
                    if chunking
                        && txn.rcpt_read == txn.recipients.len()
                        && let Some(error) = txn.envelope_failure()
                    {
                        self.drain(error);
                    }
                    return;
                }
                let code = reply.code;
                // RFC 5321 §4.5.3.1.10: 452 (or 552) after some recipients means too many
                // recipients: the rest go in a later transaction; temporary.
                let full = index > 0
                    && matches!(
                        code,
                        ReplyCode::INSUFFICIENT_STORAGE | ReplyCode::EXCEEDED_STORAGE
                    );
                if full {
                    for i in index + 1..txn.recipients.len() {
                        txn.record_rcpt(i, &reply);
                    }
                    txn.rcpt_read = txn.recipients.len();
                    txn.rcpt_sent = txn.recipients.len();
                }
                if txn.rcpt_sent < txn.recipients.len() {
                    self.send_next_rcpt();
                } else if let Some(error) = txn.envelope_failure() {
                    self.end_transaction(Err(error));
                } else if chunking {
                    txn.stage = Stage::Chunks(Chunks::new(txn.tx.line_endings));
                } else {
                    self.send(Command::Data, Expect::Data);
                }
            }
            Expect::Data => {
                let failure = if pipelined {
                    txn.envelope_failure()
                } else {
                    None
                };
                let start = reply.code == ReplyCode::START_MAIL_INPUT;
                match failure {
                    // RFC 2920 §3.1: "if the DATA command was accepted the client SHOULD send
                    // a single dot", even though no recipient (or MAIL) was accepted.
                    Some(error) if start => {
                        txn.stage = Stage::Abandoned(error);
                        self.transport
                            .write_data(|out| out.extend_from_slice(b".\r\n"));
                        self.expect.push_back(Expect::DataEnd);
                    }
                    Some(error) => self.end_transaction(Err(error)),
                    None if start => {
                        let line_endings = txn.tx.line_endings;
                        txn.stage = Stage::Body(DataEncoder::new(line_endings));
                    }
                    None => self.end_transaction(Err(Error::Status {
                        command: CommandKind::Data,
                        reply,
                    })),
                }
            }
            Expect::Bdat { last } => self.bdat_reply(last, reply),
            Expect::DataEnd => {
                let result = match std::mem::replace(&mut txn.stage, Stage::DataEnd) {
                    Stage::Abandoned(error) => Err(error),
                    _ if reply.code == ReplyCode::OK => Ok(reply),
                    _ => Err(Error::Status {
                        command: CommandKind::Data,
                        reply,
                    }),
                };
                self.end_transaction(result);
            }
            _ => self.end_transaction(Err(Error::Status {
                command: expect.kind(),
                reply,
            })),
        }
    }

    /// Reports the transaction's end. Success clears the need for RSET.
    pub(super) fn end_transaction(&mut self, result: Result<Reply, Error>) {
        let Op::Transaction(txn) = std::mem::take(&mut self.op) else {
            return;
        };
        let event = match result {
            Ok(reply) => {
                self.need_rset = false;
                Ok(TransactionOutcome {
                    recipients: txn.recipients,
                    reply,
                })
            }
            Err(error) => Err(txn.into_failure(error)),
        };
        self.events.push_back(Event::TransactionDone(event));
    }
}

/// The encoder of the message-data phase.
fn body_encoder(op: &mut Op) -> Result<&mut DataEncoder, Error> {
    match op {
        Op::Transaction(txn) => match &mut txn.stage {
            Stage::Body(encoder) => Ok(encoder),
            _ => Err(Error::Usage("not in the message data phase")),
        },
        _ => Err(Error::Usage("not in the message data phase")),
    }
}

/// 8BITMIME, SMTPUTF8, REQUIRETLS, SIZE, in mox's order, before anything is sent.
fn check_preconditions(ext: &Extensions, tx: &Transaction, tls: bool) -> Result<(), Error> {
    if tx.require_8bitmime && !ext.eight_bit_mime {
        return Err(Error::EightBitMimeUnsupported);
    }
    // RFC 6531: transient (as in mox), another server may offer SMTPUTF8.
    if tx.require_smtputf8 && !ext.smtputf8 {
        return Err(Error::SmtpUtf8Unsupported);
    }
    // RFC 8689 §4.2.1: REQUIRETLS only on a TLS connection to a server announcing it.
    if tx.require_tls && !(tls && ext.require_tls) {
        return Err(Error::RequireTlsUnsupported);
    }
    if let (Some(size), Some(max)) = (tx.size, ext.size)
        && max > 0
        && size > max
    {
        // RFC 1870 §6: the client should not send a message larger than the maximum.
        return Err(Error::Size { size, max });
    }
    Ok(())
}

/// As mox: SIZE when announced, BODY when 8BITMIME is announced, SMTPUTF8, REQUIRETLS.
fn mail_params(ext: &Extensions, tx: &Transaction) -> MailParams {
    MailParams {
        size: ext.size.and(tx.size),
        body: ext.eight_bit_mime.then_some(if tx.require_8bitmime {
            Body::EightBitMime
        } else {
            Body::SevenBit
        }),
        smtputf8: tx.require_smtputf8,
        require_tls: tx.require_tls,
    }
}
