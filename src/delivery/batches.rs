//! One message on an open session, in as many transactions as its recipients need: at most
//! the server's RCPTMAX per transaction (RFC 9422 §5.1), and those refused with 452 or 552
//! after the first go into a further transaction on the same connection (RFC 5321
//! §4.5.3.1.10). Used by the delivery attempt ([`send`]) and by the `client` export's
//! `deliver` ([`deliver`]), which reads its message again for every transaction.

use std::net::{IpAddr, Ipv4Addr};

use super::ledger::{Ledger, Status};
use crate::dns::IpDomain;
use crate::error::Error;
use crate::io::{Clock, Log, Message, SessionDriver, Transport};
use crate::smtp::reply::Reply;
use crate::smtp::session::{RecipientResult, Transaction, TransactionFailure, TransactionOutcome};

/// Whose recipients a [`send`] settles: message `message` of `ledger`, on `host`.
pub struct Recipients<'a> {
    /// Where the outcomes go.
    pub ledger: &'a mut Ledger,
    /// The message's index in the ledger.
    pub message: usize,
    /// The host the session is on.
    pub host: &'a IpDomain,
    /// Where to keep each recipient's last RCPT reply, by index, when the caller wants them.
    pub rcpt_replies: Option<&'a mut Vec<Option<Reply>>>,
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
        mut rcpt_replies,
    } = recipients;
    let mut keep = |batch: &[usize], results: &[RecipientResult]| {
        if let Some(replies) = rcpt_replies.as_deref_mut() {
            // A transaction that ended before a recipient's RCPT reply leaves its earlier one.
            for (&r, result) in batch.iter().zip(results) {
                if let Some(reply) = &result.reply {
                    replies[r] = Some(reply.clone());
                }
            }
        }
    };
    let mut queue = ledger.pending(m);
    while !queue.is_empty() {
        let take = if rcpt_max == 0 {
            queue.len()
        } else {
            rcpt_max.min(queue.len())
        };
        let batch: Vec<usize> = queue.drain(..take).collect();
        match driver.transaction(platform, subset(transaction, &batch), message) {
            Ok(outcome) => {
                keep(&batch, &outcome.recipients);
                let again = ledger.record_outcome(m, &batch, outcome, host);
                queue.splice(0..0, again);
            }
            Err(failure) => {
                let failure = adjust(failure);
                keep(&batch, &failure.recipients);
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

/// Sends `message` to every recipient of `transaction` on the session of `driver`, in as
/// many transactions as [`send`] needs. One result per recipient, in order, whatever the
/// number of transactions, with its last RCPT reply; a success when the server accepted the
/// message for any of them, with the final reply of the last transaction that delivered.
///
/// # Errors
/// When no recipient was accepted: the error that ended the connection or the last
/// transaction's, with every recipient's result (those never settled are temporary).
pub fn deliver<P, T, M>(
    platform: &mut P,
    driver: &mut SessionDriver<T>,
    message: &M,
    transaction: &Transaction,
) -> Result<TransactionOutcome, TransactionFailure>
where
    P: Clock + Log,
    T: Transport,
    M: Message,
{
    let host = IpDomain::Ip(
        driver
            .transport
            .remote_address()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |address| address.ip()),
    );
    let mut ledger = Ledger::new(vec![transaction.recipients.clone()]);
    let mut rcpt_replies = vec![None; transaction.recipients.len()];
    let mut last_error = None;
    let recipients = Recipients {
        ledger: &mut ledger,
        message: 0,
        host: &host,
        rcpt_replies: Some(&mut rcpt_replies),
    };
    let ended = send(
        platform,
        driver,
        (message, transaction),
        recipients,
        |failure| {
            last_error = Some(failure.error.clone());
            failure
        },
    );
    let error = ended.or(last_error).unwrap_or(Error::NoRecipients);
    ledger.finish(&error);
    let settled = ledger.into_messages().remove(0);
    let final_reply = settled
        .iter()
        .rfind(|r| r.status == Status::Delivered)
        .and_then(|r| r.reply.clone());
    let recipients = settled
        .into_iter()
        .zip(rcpt_replies)
        .map(|(r, reply)| RecipientResult {
            reply,
            accepted: r.status == Status::Delivered,
            permanent: r.status == Status::Permanent,
            address: r.address,
        })
        .collect();
    match final_reply {
        Some(reply) => Ok(TransactionOutcome { recipients, reply }),
        None => Err(TransactionFailure { error, recipients }),
    }
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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::dns::mock::MockResolver;
    use crate::io::Network;
    use crate::io::testing::{Endpoint, Step, TestPlatform};
    use crate::smtp::session::{SessionConfig, Timeouts, TlsMode};

    struct Bytes(&'static [u8]);

    impl Message for Bytes {
        fn size(&self) -> Option<u64> {
            None
        }

        fn read(&self, offset: u64, max: usize) -> Result<Vec<u8>, Error> {
            let start = usize::try_from(offset)
                .unwrap_or(usize::MAX)
                .min(self.0.len());
            Ok(self.0[start..(start + max).min(self.0.len())].to_vec())
        }
    }

    /// `deliver` on a session with a server running `script` after its EHLO reply `ehlo`.
    fn deliver_against(
        ehlo: &[&str],
        script: &[&str],
        to: &[&str],
    ) -> (Result<TransactionOutcome, TransactionFailure>, Vec<String>) {
        let address: SocketAddr = "192.0.2.1:25".parse().unwrap();
        let mut platform = TestPlatform::new(MockResolver::default(), UNIX_EPOCH);
        let line = |text: &str| Step::Send(format!("{text}\r\n").into_bytes());
        let mut steps = vec![
            line("220 mx.example ESMTP"),
            Step::Expect("EHLO client.example".into()),
        ];
        steps.extend(ehlo.iter().map(|l| line(l)));
        for step in script {
            steps.push(match step.split_once(' ') {
                Some(("C:", rest)) => Step::Expect(rest.into()),
                Some(("S:", rest)) => line(rest),
                _ => panic!("bad step {step}"),
            });
        }
        platform
            .network
            .add(address, Endpoint::Accept { steps, tls: None });
        let transport = platform
            .network
            .connect(address, None, Duration::from_secs(1))
            .unwrap();
        let config = SessionConfig {
            ehlo_hostname: "client.example".into(),
            tls_mode: TlsMode::Skip,
            timeouts: Timeouts::default(),
            tls: crate::tls::TlsConfig::default(),
            tls_results: crate::tlsrpt::TlsResults::default(),
            report: crate::tlsrpt::ReportContext::default(),
            auth: None,
        };
        let mut driver = SessionDriver::new(&platform, config, transport);
        driver.open(&mut platform).expect("open");
        let transaction = Transaction {
            mail_from: "a@example.org".into(),
            recipients: to.iter().map(|t| t.to_string()).collect(),
            ..Transaction::default()
        };
        let result = deliver(&mut platform, &mut driver, &Bytes(b"hi\r\n"), &transaction);
        (result, platform.network.problems())
    }

    fn codes(results: &[RecipientResult]) -> Vec<(bool, bool, Option<u16>)> {
        results
            .iter()
            .map(|r| (r.accepted, r.permanent, r.reply.as_ref().map(|r| r.code.0)))
            .collect()
    }

    #[test]
    fn recipients_beyond_rcptmax_go_into_a_further_transaction() {
        let (result, problems) = deliver_against(
            &["250-mx.example", "250 LIMITS RCPTMAX=1"],
            &[
                "C: MAIL FROM:<a@example.org>",
                "S: 250 ok",
                "C: RCPT TO:<b@example.net>",
                "S: 250 2.1.5 b ok",
                "C: DATA",
                "S: 354 go",
                "C: hi",
                "C: .",
                "S: 250 first",
                "C: MAIL FROM:<a@example.org>",
                "S: 250 ok",
                "C: RCPT TO:<c@example.net>",
                "S: 550 5.1.1 no such user",
            ],
            &["b@example.net", "c@example.net"],
        );
        assert!(problems.is_empty(), "{problems:?}");
        let outcome = result.expect("delivered to one");
        assert_eq!(
            codes(&outcome.recipients),
            [(true, false, Some(250)), (false, true, Some(550))]
        );
        assert_eq!(outcome.reply.lines_lossy(), ["250 first"]);
    }

    #[test]
    fn a_452_after_an_accepted_recipient_requeues_it() {
        let (result, problems) = deliver_against(
            &["250 mx.example"],
            &[
                "C: MAIL FROM:<a@example.org>",
                "S: 250 ok",
                "C: RCPT TO:<b@example.net>",
                "S: 250 ok",
                "C: RCPT TO:<c@example.net>",
                "S: 452 4.5.3 too many recipients",
                "C: DATA",
                "S: 354 go",
                "C: hi",
                "C: .",
                "S: 250 first",
                "C: MAIL FROM:<a@example.org>",
                "S: 250 ok",
                "C: RCPT TO:<c@example.net>",
                "S: 250 ok",
                "C: DATA",
                "S: 354 go",
                "C: hi",
                "C: .",
                "S: 250 second",
            ],
            &["b@example.net", "c@example.net"],
        );
        assert!(problems.is_empty(), "{problems:?}");
        let outcome = result.expect("delivered");
        assert_eq!(
            codes(&outcome.recipients),
            [(true, false, Some(250)), (true, false, Some(250))]
        );
        assert_eq!(outcome.reply.lines_lossy(), ["250 second"]);
    }

    #[test]
    fn nothing_delivered_is_a_failure_with_every_recipient() {
        let (result, problems) = deliver_against(
            &["250 mx.example"],
            &[
                "C: MAIL FROM:<a@example.org>",
                "S: 250 ok",
                "C: RCPT TO:<b@example.net>",
                "S: 451 4.3.0 try later",
                "C: RCPT TO:<c@example.net>",
                "S: 550 5.1.1 no such user",
            ],
            &["b@example.net", "c@example.net"],
        );
        assert!(problems.is_empty(), "{problems:?}");
        let failure = result.expect_err("nothing delivered");
        assert_eq!(
            codes(&failure.recipients),
            [(false, false, Some(451)), (false, true, Some(550))]
        );
        assert_eq!(failure.error.kind(), crate::error::ErrorKind::NoRecipients);
    }
}
