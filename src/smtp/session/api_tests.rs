//! Session behaviour that transcripts do not show: getters and the output high-water mark.

use std::time::Instant;

use super::*;
use crate::smtp::reply::ReplyCode;

fn ready_session(now: Instant, ehlo: &[u8]) -> Session {
    let config = SessionConfig {
        ehlo_hostname: "client.example".into(),
        tls_mode: TlsMode::Skip,
        timeouts: Timeouts::default(),
        tls: crate::tls::TlsConfig::default(),
        tls_results: crate::tlsrpt::TlsResults::default(),
        report: crate::tlsrpt::ReportContext::default(),
        auth: None,
    };
    let mut session = Session::new(config, now);
    assert_eq!(session.greeting(), None);
    assert_eq!(session.extensions(), None);
    session.handle_input(now, b"220 mx.example ESMTP\r\n");
    let mut out = Vec::new();
    assert_eq!(session.poll_transmit(&mut out), 21);
    assert_eq!(out, b"EHLO client.example\r\n");
    assert_eq!(session.poll_transmit(&mut out), 0);
    session.handle_input(now, ehlo);
    assert_eq!(session.poll_event(), Some(Event::Ready));
    assert_eq!(session.poll_event(), None);
    session
}

#[test]
fn getters() {
    let now = Instant::now();
    let session = ready_session(now, b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
    let greeting = session.greeting().expect("greeting");
    assert_eq!(greeting.code, ReplyCode::SERVICE_READY);
    assert_eq!(greeting.text_lossy(), ["mx.example ESMTP"]);
    let ext = session.extensions().expect("extensions");
    assert!(ext.pipelining);
    assert_eq!(ext.size, Some(100));
    assert_eq!(ext.keywords, ["PIPELINING", "SIZE"]);
    assert!(!session.is_botched() && !session.is_closed());
}

#[test]
fn message_data_high_water_mark() {
    let now = Instant::now();
    let mut session = ready_session(now, b"250 mx.example\r\n");
    let tx = Transaction {
        mail_from: "a@b.example".into(),
        recipients: vec!["c@d.example".into()],
        ..Transaction::default()
    };
    session.start_transaction(now, tx).expect("start");
    for reply in [b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"] {
        session.handle_input(now, reply);
    }
    let mut out = Vec::new();
    let _ = session.poll_transmit(&mut out);
    let line = [b'x'; 998]
        .iter()
        .chain(b"\r\n")
        .copied()
        .collect::<Vec<u8>>();
    let mut pushed = 0;
    while session.wants_message_data() {
        session.push_message_data(now, &line).expect("push");
        pushed += line.len();
    }
    assert!(pushed >= MESSAGE_DATA_HIGH_WATER);
    assert!(pushed < MESSAGE_DATA_HIGH_WATER + line.len());
    out.clear();
    assert_eq!(session.poll_transmit(&mut out), pushed);
    assert!(session.wants_message_data());
    session.finish_message(now).expect("finish");
    assert!(!session.wants_message_data());
    assert!(session.wants_read());
    session.handle_input(now, b"250 ok\r\n");
    assert!(matches!(
        session.poll_event(),
        Some(Event::TransactionDone(Ok(TransactionOutcome { reply, .. }))) if reply.code == ReplyCode::OK
    ));
}

#[test]
fn commands_are_observed_with_their_reply_codes_and_durations() {
    use crate::event::Event as Observed;
    use std::time::Duration;
    let start = Instant::now();
    let at = |ms: u64| start + Duration::from_millis(ms);
    let config = SessionConfig {
        ehlo_hostname: "client.example".into(),
        tls_mode: TlsMode::Skip,
        timeouts: Timeouts::default(),
        tls: crate::tls::TlsConfig::default(),
        tls_results: crate::tlsrpt::TlsResults::default(),
        report: crate::tlsrpt::ReportContext::default(),
        auth: None,
    };
    let mut session = Session::new(config, start);
    session.handle_input(at(5), b"220 mx.example ESMTP\r\n");
    session.handle_input(at(12), b"250-mx.example\r\n250 PIPELINING\r\n");
    assert_eq!(session.poll_event(), Some(Event::Ready));
    let tx = Transaction {
        mail_from: "a@b.example".into(),
        recipients: vec!["c@d.example".into(), "e@d.example".into()],
        ..Transaction::default()
    };
    session.start_transaction(at(100), tx).expect("start");
    // Pipelined: MAIL, both RCPTs and DATA are timed from the write of the group.
    session.handle_input(at(110), b"250 ok\r\n250 ok\r\n");
    session.handle_input(at(120), b"550 no\r\n354 go\r\n");
    session.finish_message(at(130)).expect("finish");
    session.handle_input(at(170), b"250 queued\r\n");
    session.quit(at(200));
    // No reply to QUIT: its deadline passes.
    session.handle_timeout(at(200) + Timeouts::default().quit);
    let ms = |ms: u64| Duration::from_millis(ms);
    let command = |command, code, duration| Observed::Command {
        command,
        code,
        duration,
    };
    assert_eq!(
        session.take_observed_events(),
        [
            command(CommandKind::Greeting, Some(220), ms(5)),
            command(CommandKind::Ehlo, Some(250), ms(7)),
            command(CommandKind::MailFrom, Some(250), ms(10)),
            command(CommandKind::RcptTo, Some(250), ms(10)),
            command(CommandKind::RcptTo, Some(550), ms(20)),
            command(CommandKind::Data, Some(354), ms(20)),
            command(CommandKind::Data, Some(250), ms(40)),
            command(CommandKind::Quit, None, Timeouts::default().quit),
        ]
    );
    assert!(session.take_observed_events().is_empty());
}

/// Every byte the session writes for `message` pushed in chunks of `chunk` bytes (as
/// buffers when `buffers`), the server offering `ehlo`, and how many `poll_transmit` calls
/// returned bytes.
fn wire_bytes(ehlo: &[u8], message: &[u8], chunk: usize, buffers: bool) -> (Vec<u8>, usize) {
    let now = Instant::now();
    let mut session = ready_session(now, ehlo);
    let tx = Transaction {
        mail_from: "a@b.example".into(),
        recipients: vec!["c@d.example".into()],
        ..Transaction::default()
    };
    session.start_transaction(now, tx).expect("start");
    let chunking = session.extensions().is_some_and(|e| e.chunking);
    if !chunking {
        session.handle_input(now, b"250 ok\r\n250 ok\r\n354 go\r\n");
    }
    let (mut wire, mut writes) = (Vec::new(), 0);
    let mut drain = |session: &mut Session| {
        let mut out = Vec::new();
        while session.poll_transmit(&mut out) > 0 {
            wire.extend_from_slice(&out);
            out.clear();
            writes += 1;
        }
    };
    for piece in message.chunks(chunk) {
        if buffers {
            session
                .push_message_buffer(now, piece.to_vec())
                .expect("push");
        } else {
            session.push_message_data(now, piece).expect("push");
        }
        drain(&mut session);
    }
    session.finish_message(now).expect("finish");
    drain(&mut session);
    (wire, writes)
}

#[test]
fn buffers_are_sent_as_they_are_and_in_order() {
    let mut message = Vec::new();
    for i in 0..2000 {
        // Every 100th line starts with a dot (dot-stuffed after DATA, not with BDAT).
        let dot = if i % 100 == 0 { "." } else { "" };
        message.extend_from_slice(format!("{dot}line {i} of the message\r\n").as_bytes());
    }
    for ehlo in [
        &b"250-mx.example\r\n250 PIPELINING\r\n"[..],
        b"250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n",
    ] {
        for chunk in [10_000, 20_000, message.len()] {
            let (copied, _) = wire_bytes(ehlo, &message, chunk, false);
            let (moved, _) = wire_bytes(ehlo, &message, chunk, true);
            assert_eq!(copied, moved, "chunks of {chunk}");
        }
    }
    // After DATA, a whole message that needs no dot-stuffing, pushed as one buffer, is a
    // write of its own after the commands. (BDAT chunks always are: the session holds each
    // one back until it knows whether it is the last.)
    {
        let ehlo = b"250-mx.example\r\n250 PIPELINING\r\n";
        let plain: Vec<u8> = message
            .iter()
            .map(|&b| if b == b'.' { b'_' } else { b })
            .collect();
        let (_, copied_writes) = wire_bytes(ehlo, &plain, plain.len(), false);
        let (_, moved_writes) = wire_bytes(ehlo, &plain, plain.len(), true);
        assert_eq!(moved_writes, copied_writes + 1);
    }
}
