//! One message on an open session, in as many transactions as its recipients need: at most
//! the server's RCPTMAX per transaction (RFC 9422 §5.1), and those refused with 452 or 552
//! after the first go into a further transaction on the same connection (RFC 5321
//! §4.5.3.1.10). Used by the delivery attempt; the `client` export's `deliver` can use it
//! once its messages can be read more than once (WIT contract 0.2).

use super::ledger::Ledger;
use crate::dns::IpDomain;
use crate::error::Error;
use crate::io::{Clock, Log, Message, SessionDriver, Transport};
use crate::smtp::session::{Event, Transaction, TransactionFailure, TransactionOutcome};

/// Whose recipients a [`send`] settles: message `message` of `ledger`, on `host`.
pub struct Recipients<'a> {
    /// Where the outcomes go.
    pub ledger: &'a mut Ledger,
    /// The message's index in the ledger.
    pub message: usize,
    /// The host the session is on.
    pub host: &'a IpDomain,
}

/// Sends `message` with `transaction` to its pending `recipients` on the session of
/// `driver`; `adjust` may change a failed transaction before it is recorded. Returns the
/// error that ended the connection, if one did.
pub fn send<P, T, M>(
    platform: &mut P,
    driver: &mut SessionDriver<T>,
    (message, transaction): (&M, &Transaction),
    recipients: Recipients<'_>,
    mut adjust: impl FnMut(TransactionFailure) -> TransactionFailure,
) -> Option<Error>
where
    P: Clock + Log,
    T: Transport,
    M: Message,
{
    let rcpt_max = driver
        .session
        .extensions()
        .and_then(|e| e.limits.as_ref())
        .map_or(0, |limits| limits.rcpt_max as usize);
    let Recipients {
        ledger,
        message: m,
        host,
    } = recipients;
    let mut queue = ledger.pending(m);
    while !queue.is_empty() {
        let take = if rcpt_max == 0 {
            queue.len()
        } else {
            rcpt_max.min(queue.len())
        };
        let batch: Vec<usize> = queue.drain(..take).collect();
        match one(platform, driver, message, subset(transaction, &batch)) {
            Ok(outcome) => {
                let again = ledger.record_outcome(m, &batch, outcome, host);
                queue.splice(0..0, again);
            }
            Err(failure) => {
                let failure = adjust(failure);
                ledger.record_failure(m, &batch, &failure, host);
                if driver.session.is_botched() || driver.session.is_closed() {
                    return Some(failure.error);
                }
                if failure.error.is_permanent() {
                    // The same envelope would be refused again (MAIL FROM, say).
                    ledger.record_error(Some(m), &failure.error, Some(host));
                    queue.clear();
                }
            }
        }
    }
    None
}

/// One transaction of `message`, read anew.
fn one<P, T, M>(
    platform: &mut P,
    driver: &mut SessionDriver<T>,
    message: &M,
    tx: Transaction,
) -> Result<TransactionOutcome, TransactionFailure>
where
    P: Clock + Log,
    T: Transport,
    M: Message,
{
    let failure = |error: Error| TransactionFailure {
        error,
        recipients: Vec::new(),
    };
    let mut reader = message.open().map_err(failure)?;
    driver
        .session
        .start_transaction(platform.now(), tx)
        .map_err(failure)?;
    driver.run_until(platform, Some(&mut reader), |event| match event {
        Event::TransactionDone(result) => Some(result),
        _ => None,
    })
}

/// The transaction for the recipients at `batch` (indexes into `transaction`), with their
/// DSN parameters (RFC 3461 §4.1, §4.2).
fn subset(transaction: &Transaction, batch: &[usize]) -> Transaction {
    Transaction {
        recipients: batch
            .iter()
            .map(|&r| transaction.recipients[r].clone())
            .collect(),
        recipient_dsn: batch
            .iter()
            .map(|&r| {
                transaction
                    .recipient_dsn
                    .get(r)
                    .cloned()
                    .unwrap_or_default()
            })
            .collect(),
        ..transaction.clone()
    }
}
