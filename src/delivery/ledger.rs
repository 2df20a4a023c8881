//! What became of every recipient of every message during one delivery attempt, and which
//! recipients go into the next transaction (RFC 5321 §4.5.3.1.10: 452 or 552 after the
//! first, as mox's queue does).

use crate::dns::IpDomain;
use crate::error::Error;
use crate::smtp::reply::{Reply, ReplyCode};
use crate::smtp::session::{TransactionFailure, TransactionOutcome};

/// A recipient's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not settled yet: the next transaction or host may deliver it.
    Pending,
    /// Accepted with the message (RFC 5321 §4.2.5).
    Delivered,
    /// Refused for now by a server that took the message for others; not tried on another
    /// host in this attempt (as mox's queue does).
    Temporary,
    /// Refused for good.
    Permanent,
}

/// One recipient of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward path as given.
    pub address: String,
    pub status: Status,
    /// A reply that is not the error's own (kept once, see [`Recipient::reply`]): the final
    /// reply when delivered, or the RCPT reply of a transaction that failed otherwise.
    pub reply: Option<Reply>,
    /// The last error, when not delivered.
    pub error: Option<Error>,
    /// The host that decided it or gave the last error.
    pub host: Option<IpDomain>,
}

impl Recipient {
    /// The reply that decided it: the final reply when delivered, else the reply of its
    /// error or the RCPT reply.
    #[must_use]
    pub fn reply(&self) -> Option<&Reply> {
        self.reply.as_ref().or_else(|| self.error.as_ref()?.reply())
    }
}

/// Every recipient of every message of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    messages: Vec<Vec<Recipient>>,
}

impl Ledger {
    /// All recipients pending, `recipients[m]` being those of message `m`.
    #[must_use]
    pub fn new(recipients: Vec<Vec<String>>) -> Self {
        let messages = recipients
            .into_iter()
            .map(|list| {
                list.into_iter()
                    .map(|address| Recipient {
                        address,
                        status: Status::Pending,
                        reply: None,
                        error: None,
                        host: None,
                    })
                    .collect()
            })
            .collect();
        Ledger { messages }
    }

    /// The recipients of message `m`.
    #[must_use]
    pub fn recipients(&self, m: usize) -> &[Recipient] {
        &self.messages[m]
    }

    /// The messages' recipients.
    #[must_use]
    pub fn messages(&self) -> &[Vec<Recipient>] {
        &self.messages
    }

    /// The messages' recipients, taken out.
    #[must_use]
    pub fn into_messages(self) -> Vec<Vec<Recipient>> {
        self.messages
    }

    /// The indexes of the pending recipients of message `m`.
    #[must_use]
    pub fn pending(&self, m: usize) -> Vec<usize> {
        (0..self.messages[m].len())
            .filter(|&r| self.messages[m][r].status == Status::Pending)
            .collect()
    }

    /// Some recipient of some message is still pending.
    #[must_use]
    pub fn any_pending(&self) -> bool {
        self.messages
            .iter()
            .flatten()
            .any(|r| r.status == Status::Pending)
    }

    /// Records a transaction of message `m` to `batch` (indexes, in the order sent) that the
    /// server accepted for some recipients. Returns the recipients to send again in a further
    /// transaction on the same connection: those after the first refused with 452 or 552, the
    /// "too many recipients" replies of RFC 5321 §4.5.3.1.10.
    pub fn record_outcome(
        &mut self,
        m: usize,
        batch: &[usize],
        outcome: TransactionOutcome,
        host: &IpDomain,
    ) -> Vec<usize> {
        let mut again = Vec::new();
        for (i, (&r, result)) in batch.iter().zip(outcome.recipients).enumerate() {
            let recipient = &mut self.messages[m][r];
            recipient.host = Some(host.clone());
            if result.accepted {
                recipient.status = Status::Delivered;
                recipient.reply = Some(outcome.reply.clone());
                recipient.error = None;
                continue;
            }
            let too_many = result
                .reply
                .as_ref()
                .is_some_and(|reply| is_too_many(reply.code));
            recipient.reply = None;
            recipient.error = result.reply.map(rcpt_error);
            if i > 0 && too_many {
                again.push(r);
            } else if result.permanent {
                recipient.status = Status::Permanent;
            } else {
                recipient.status = Status::Temporary;
            }
        }
        again
    }

    /// Records a transaction of message `m` to `batch` that delivered nothing. Recipients the
    /// server refused permanently are settled; with a permanent error (e.g. MAIL FROM
    /// refused with 5xx) every recipient of the batch is; the others stay pending for the next
    /// host.
    pub fn record_failure(
        &mut self,
        m: usize,
        batch: &[usize],
        failure: &TransactionFailure,
        host: &IpDomain,
    ) {
        let permanent = failure.error.is_permanent();
        for (i, &r) in batch.iter().enumerate() {
            let recipient = &mut self.messages[m][r];
            recipient.host = Some(host.clone());
            let result = failure.recipients.get(i);
            let reply = result.and_then(|res| res.reply.clone());
            match reply {
                // Refused for good at RCPT; an accepted recipient shares the transaction's
                // fate below.
                Some(reply)
                    if result.is_some_and(|res| res.permanent) && reply.code.class() != 2 =>
                {
                    recipient.error = Some(rcpt_error(reply));
                    recipient.reply = None;
                    recipient.status = Status::Permanent;
                }
                reply => {
                    // The transaction's error may be this very reply (one recipient refused).
                    recipient.reply = reply.filter(|reply| failure.error.reply() != Some(reply));
                    recipient.error = Some(failure.error.clone());
                    if permanent || result.is_some_and(|res| res.permanent) {
                        recipient.status = Status::Permanent;
                    }
                }
            }
        }
    }

    /// Records an error that stopped message `m` (or, with `None`, every message) before or
    /// outside a transaction on `host`: every pending recipient keeps it as its last error,
    /// and is settled when it is permanent.
    pub fn record_error(&mut self, m: Option<usize>, error: &Error, host: Option<&IpDomain>) {
        self.settle(m, error, host, error.is_permanent());
    }

    /// Settles every pending recipient of message `m` for good with `error`, whatever its
    /// own permanence: the message itself cannot go anywhere (an invalid envelope, or
    /// REQUIRETLS that no host could meet, RFC 8689 §4.1).
    pub fn fail_for_good(&mut self, m: usize, error: &Error) {
        self.settle(Some(m), error, None, true);
    }

    fn settle(
        &mut self,
        m: Option<usize>,
        error: &Error,
        host: Option<&IpDomain>,
        permanent: bool,
    ) {
        let messages = match m {
            Some(m) => &mut self.messages[m..=m],
            None => &mut self.messages[..],
        };
        for recipient in messages.iter_mut().flatten() {
            if recipient.status != Status::Pending {
                continue;
            }
            recipient.error = Some(error.clone());
            recipient.reply = None;
            recipient.host = host.cloned();
            if permanent {
                recipient.status = Status::Permanent;
            }
        }
    }

    /// Ends the attempt: what is still pending failed temporarily, with its last error (or
    /// `fallback` when it never got one).
    pub fn finish(&mut self, fallback: &Error) {
        for recipient in self.messages.iter_mut().flatten() {
            if recipient.status == Status::Pending {
                recipient.status = Status::Temporary;
                if recipient.error.is_none() {
                    recipient.error = Some(fallback.clone());
                }
            }
        }
    }
}

/// RFC 5321 §4.5.3.1.10: 452 "too many recipients", and 552 which clients treat the same.
fn is_too_many(code: ReplyCode) -> bool {
    code == ReplyCode::INSUFFICIENT_STORAGE || code == ReplyCode::EXCEEDED_STORAGE
}

fn rcpt_error(reply: Reply) -> Error {
    Error::Status {
        command: crate::smtp::command::CommandKind::RcptTo,
        reply,
    }
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
