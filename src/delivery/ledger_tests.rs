use super::*;
use crate::smtp::command::CommandKind;
use crate::smtp::session::RecipientResult;

fn host(name: &str) -> IpDomain {
    IpDomain::Domain(crate::dns::Domain::parse(name).expect("host"))
}

fn reply(code: u16) -> Reply {
    Reply {
        code: ReplyCode(code),
        enhanced: None,
        lines: vec![format!("{code} text").into_bytes()],
    }
}

fn result(address: &str, code: u16, accepted: bool) -> RecipientResult {
    RecipientResult {
        address: address.into(),
        reply: Some(reply(code)),
        accepted,
        permanent: !accepted && code >= 500 && code != 552,
    }
}

fn ledger(n: usize) -> Ledger {
    Ledger::new(vec![(0..n).map(|i| format!("r{i}@example.org")).collect()])
}

#[test]
fn an_outcome_settles_each_recipient_and_requeues_too_many() {
    let mut ledger = ledger(5);
    let outcome = TransactionOutcome {
        recipients: vec![
            result("r0", 250, true),
            result("r1", 452, false),
            result("r2", 550, false),
            result("r3", 450, false),
            result("r4", 552, false),
        ],
        reply: reply(250),
    };
    let again = ledger.record_outcome(0, &[0, 1, 2, 3, 4], outcome, &host("mx"));
    assert_eq!(again, vec![1, 4]);
    let status: Vec<_> = ledger.recipients(0).iter().map(|r| r.status).collect();
    assert_eq!(
        status,
        [
            Status::Delivered,
            Status::Pending,
            Status::Permanent,
            Status::Temporary,
            Status::Pending
        ]
    );
    assert_eq!(ledger.recipients(0)[0].reply(), Some(&reply(250)));
    assert_eq!(ledger.recipients(0)[2].reply(), Some(&reply(550)));
    assert_eq!(
        ledger.recipients(0)[2].reply,
        None,
        "kept once, in the error"
    );
    assert_eq!(ledger.pending(0), vec![1, 4]);
}

#[test]
fn a_too_many_reply_to_the_first_recipient_is_not_requeued() {
    let mut ledger = ledger(1);
    let outcome = TransactionOutcome {
        recipients: vec![result("r0", 452, false)],
        reply: reply(250),
    };
    assert!(
        ledger
            .record_outcome(0, &[0], outcome, &host("mx"))
            .is_empty()
    );
    assert_eq!(ledger.recipients(0)[0].status, Status::Temporary);
}

#[test]
fn a_failed_transaction_keeps_temporary_recipients_pending() {
    let mut ledger = ledger(2);
    let failure = TransactionFailure {
        error: Error::NoRecipients,
        recipients: vec![result("r0", 550, false), result("r1", 451, false)],
    };
    ledger.record_failure(0, &[0, 1], &failure, &host("mx1"));
    assert_eq!(ledger.recipients(0)[0].status, Status::Permanent);
    assert_eq!(ledger.recipients(0)[1].status, Status::Pending);
    assert_eq!(ledger.recipients(0)[1].reply(), Some(&reply(451)));
    assert_eq!(ledger.recipients(0)[1].host, Some(host("mx1")));
}

#[test]
fn a_permanent_transaction_error_settles_the_batch() {
    let mut ledger = ledger(2);
    let failure = TransactionFailure {
        error: Error::Status {
            command: CommandKind::MailFrom,
            reply: reply(550),
        },
        recipients: Vec::new(),
    };
    ledger.record_failure(0, &[0, 1], &failure, &host("mx1"));
    assert!(
        ledger
            .recipients(0)
            .iter()
            .all(|r| r.status == Status::Permanent)
    );
    assert!(!ledger.any_pending());
}

#[test]
fn errors_outside_transactions_and_the_end_of_the_attempt() {
    let mut ledger = Ledger::new(vec![vec!["a@x".into()], vec!["b@x".into()]]);
    ledger.record_error(Some(1), &Error::RequireTlsUnsupported, Some(&host("mx1")));
    assert_eq!(
        ledger.recipients(1)[0].error,
        Some(Error::RequireTlsUnsupported)
    );
    assert_eq!(ledger.recipients(0)[0].error, None);
    let timeout = Error::timeout(None);
    ledger.record_error(None, &timeout, None);
    assert!(ledger.any_pending());
    ledger.finish(&Error::internal("unused"));
    assert!(
        ledger
            .messages()
            .iter()
            .flatten()
            .all(|r| r.status == Status::Temporary)
    );
    assert_eq!(ledger.recipients(0)[0].error, Some(timeout));
}
