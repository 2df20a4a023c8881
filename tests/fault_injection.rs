//! Fault injection on the sans-IO session: one delivery (greeting, EHLO, MAIL, two RCPT,
//! DATA, the message, ".", 250, QUIT) is recorded once as the server's byte stream, cut into
//! the segments the server sent after each client command. It is then replayed against
//! [`Session`] on virtual time, once with the connection cut (EOF) at every byte offset of the
//! server stream, and once with the client's writes failing at every byte offset of the
//! client stream; with and without PIPELINING (RFC 2920).
//!
//! Every run must end in [`Event::Closed`] without a panic or a stall, with a clean error
//! (no timeout was needed to notice the fault) or success, and "delivered" exactly when the
//! final 250 was read.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use smtpclient::error::{Error, ErrorKind};
use smtpclient::smtp::CommandKind;
use smtpclient::smtp::session::{Event, Session, SessionConfig, Timeouts, TlsMode, Transaction};

const MESSAGE: [&[u8]; 2] = [
    b"From: a@example.org\r\nTo: b@example.net\r\nSubject: faults\r\n\r\n",
    b".leading dot\r\nbody line\r\n",
];

/// The server of the recording: one reply per complete command line, message data until
/// ".", as RFC 5321 §4.1.1 and §4.1.1.4 describe.
struct Model {
    pipelining: bool,
    line: Vec<u8>,
    in_data: bool,
}

impl Model {
    const GREETING: &[u8] = b"220 mx.example.net ESMTP fault injection\r\n";

    /// The replies to `bytes` from the client.
    fn receive(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &byte in bytes {
            self.line.push(byte);
            if !self.line.ends_with(b"\r\n") {
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let reply: &[u8] = if self.in_data {
                if line != b".\r\n" {
                    continue;
                }
                self.in_data = false;
                b"250 2.0.0 queued as 1\r\n"
            } else if line.starts_with(b"EHLO ") {
                if self.pipelining {
                    b"250-mx.example.net\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                } else {
                    b"250-mx.example.net\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
                }
            } else if line.starts_with(b"MAIL FROM:") {
                b"250 2.1.0 sender ok\r\n"
            } else if line.starts_with(b"RCPT TO:") {
                b"250 2.1.5 recipient ok\r\n"
            } else if line == b"DATA\r\n" {
                self.in_data = true;
                b"354 end data with <CR><LF>.<CR><LF>\r\n"
            } else if line == b"QUIT\r\n" {
                b"221 2.0.0 bye\r\n"
            } else {
                b"500 5.5.1 unexpected\r\n"
            };
            out.extend_from_slice(reply);
        }
        out
    }
}

/// The server's stream: each segment is sent once the client has written `after` bytes.
struct Recording {
    segments: Vec<(usize, Vec<u8>)>,
    client: Vec<u8>,
    /// The offset in the server stream just past the 250 that accepts the message.
    final_reply_end: usize,
    /// The offset in the client stream just past the final ".\r\n".
    data_end: usize,
}

impl Recording {
    fn server_len(&self) -> usize {
        self.segments.iter().map(|(_, s)| s.len()).sum()
    }
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    /// The server's stream ends (EOF) after this many bytes.
    ServerEofAt(usize),
    /// Writing the client byte at this offset fails.
    ClientWriteFailsAt(usize),
}

/// How a run ended.
#[derive(Debug)]
struct Outcome {
    delivered: bool,
    error: Option<Error>,
    /// Server bytes the session read.
    read: usize,
    client: Vec<u8>,
    timeouts: usize,
}

fn config() -> SessionConfig {
    SessionConfig {
        ehlo_hostname: "client.example.org".into(),
        tls_mode: TlsMode::Skip,
        timeouts: Timeouts::uniform(Duration::from_secs(30)),
        tls: Default::default(),
        tls_results: Default::default(),
        report: Default::default(),
        auth: None,
    }
}

fn transaction() -> Transaction {
    Transaction {
        mail_from: "a@example.org".into(),
        recipients: vec!["b@example.net".into(), "c@example.net".into()],
        size: Some(MESSAGE.iter().map(|c| c.len() as u64).sum()),
        ..Transaction::default()
    }
}

/// The server side of one run: the model (recording) or the recorded segments (replay).
enum Peer<'a> {
    Model(Model, Vec<(usize, Vec<u8>)>),
    Replay(&'a Recording, usize),
}

impl Peer<'_> {
    /// Server bytes that are due after the client wrote `written` bytes, the last of them
    /// being `new`.
    fn due(&mut self, written: usize, new: &[u8]) -> Vec<u8> {
        match self {
            Peer::Model(model, segments) => {
                let out = if written == 0 {
                    Model::GREETING.to_vec()
                } else {
                    model.receive(new)
                };
                if !out.is_empty() {
                    segments.push((written, out.clone()));
                }
                out
            }
            Peer::Replay(recording, next) => {
                let mut out = Vec::new();
                while let Some((after, segment)) = recording.segments.get(*next)
                    && *after <= written
                {
                    out.extend_from_slice(segment);
                    *next += 1;
                }
                out
            }
        }
    }
}

/// Runs one session against `peer` with `fault`; panics on a stall.
fn run(peer: &mut Peer<'_>, fault: Fault) -> Outcome {
    let mut now = Instant::now();
    let mut session = Session::new(config(), now);
    let mut outcome = Outcome {
        delivered: false,
        error: None,
        read: 0,
        client: Vec::new(),
        timeouts: 0,
    };
    let mut inbound: VecDeque<u8> = peer.due(0, &[]).into();
    let (mut eof, mut write_failed, mut message_sent, mut closed) = (false, false, false, false);
    for _ in 0..10_000 {
        let mut progress = false;
        // Writes, byte by byte up to the fault.
        let mut out = Vec::new();
        let _ = session.poll_transmit(&mut out);
        for &byte in &out {
            if write_failed {
                break;
            }
            if matches!(fault, Fault::ClientWriteFailsAt(k) if k == outcome.client.len()) {
                write_failed = true;
                session.handle_transport_error(now, Error::io("write: broken pipe".into()));
                break;
            }
            outcome.client.push(byte);
            inbound.extend(peer.due(outcome.client.len(), &[byte]));
        }
        progress |= !out.is_empty();
        // Reads, up to the cut; nothing is read after a failed write (the driver closes).
        if !write_failed {
            let limit = match fault {
                Fault::ServerEofAt(k) => k.saturating_sub(outcome.read),
                _ => usize::MAX,
            };
            let chunk: Vec<u8> = inbound.drain(..inbound.len().min(limit)).collect();
            if !chunk.is_empty() {
                outcome.read += chunk.len();
                session.handle_input(now, &chunk);
                progress = true;
            }
            if matches!(fault, Fault::ServerEofAt(k) if k == outcome.read) && !eof {
                eof = true;
                session.handle_eof(now);
                progress = true;
            }
        }
        while let Some(event) = session.poll_event() {
            progress = true;
            match event {
                Event::Ready => {
                    // An EOF right behind the EHLO reply botches the session before it starts.
                    if let Err(error) = session.start_transaction(now, transaction()) {
                        outcome.error = Some(error);
                        session.quit(now);
                    }
                }
                Event::TransactionDone(Ok(_)) => {
                    outcome.delivered = true;
                    session.quit(now);
                }
                Event::TransactionDone(Err(failure)) => {
                    outcome.error = Some(failure.error);
                    session.quit(now);
                }
                Event::OpenFailed(error) => {
                    outcome.error = Some(error);
                    session.quit(now);
                }
                Event::ResetDone(result) => panic!("{fault:?}: unexpected reset {result:?}"),
                Event::Closed => closed = true,
            }
        }
        if closed {
            assert!(session.is_closed(), "{fault:?}: Closed but not closed");
            assert!(!session.wants_read(), "{fault:?}: closed but wants to read");
            return outcome;
        }
        if session.wants_message_data() && !message_sent {
            message_sent = true;
            for chunk in MESSAGE {
                if session.push_message_data(now, chunk).is_err() {
                    break;
                }
            }
            let _ = session.finish_message(now);
            progress = true;
        }
        if !progress {
            let Some(deadline) = session.poll_timeout() else {
                panic!("{fault:?}: stalled: no event, no deadline, not closed");
            };
            now = deadline.max(now);
            outcome.timeouts += 1;
            session.handle_timeout(now);
        }
    }
    panic!("{fault:?}: no final state after 10000 steps");
}

fn record(pipelining: bool) -> Recording {
    let model = Model {
        pipelining,
        line: Vec::new(),
        in_data: false,
    };
    let mut peer = Peer::Model(model, Vec::new());
    let outcome = run(&mut peer, Fault::None);
    assert!(outcome.delivered, "recording: {:?}", outcome.error);
    assert!(outcome.error.is_none() && outcome.timeouts == 0);
    let Peer::Model(_, segments) = peer else {
        unreachable!("the model records")
    };
    let server: Vec<u8> = segments.iter().flat_map(|(_, s)| s.clone()).collect();
    let accepted = b"250 2.0.0 queued as 1\r\n";
    let final_reply_end = server
        .windows(accepted.len())
        .position(|w| w == accepted)
        .expect("final reply recorded")
        + accepted.len();
    let data_end = outcome
        .client
        .windows(11)
        .position(|w| w == b"\r\nbody line")
        .expect("message recorded")
        + b"\r\nbody line\r\n.\r\n".len();
    assert_eq!(&outcome.client[data_end - 3..data_end], b".\r\n");
    Recording {
        segments,
        client: outcome.client,
        final_reply_end,
        data_end,
    }
}

/// The checks every faulty run must pass.
fn check(recording: &Recording, fault: Fault, outcome: &Outcome) {
    assert!(
        recording.client.starts_with(&outcome.client),
        "{fault:?}: the client deviated from the recording"
    );
    assert_eq!(outcome.timeouts, 0, "{fault:?}: the fault went unnoticed");
    let final_read = outcome.read >= recording.final_reply_end;
    assert_eq!(
        outcome.delivered, final_read,
        "{fault:?}: delivered={} but final 250 read={final_read} ({:?})",
        outcome.delivered, outcome.error
    );
    match &outcome.error {
        None => assert!(outcome.delivered, "{fault:?}: neither delivered nor failed"),
        Some(error) if error.kind() == ErrorKind::Botched => {
            assert_eq!(
                outcome.client, b"EHLO client.example.org\r\n",
                "{fault:?}: botched outside the open: {error}"
            );
        }
        Some(error) => {
            assert_eq!(error.kind(), ErrorKind::Io, "{fault:?}: {error}");
            assert!(!error.is_permanent(), "{fault:?}: permanent {error}");
            assert!(
                error.command().is_some(),
                "{fault:?}: no command in {error}"
            );
        }
    }
}

fn inject(pipelining: bool) -> (usize, usize) {
    let recording = record(pipelining);
    let server_len = recording.server_len();
    let mut commands = std::collections::BTreeSet::new();
    for k in 0..=server_len {
        let fault = Fault::ServerEofAt(k);
        let outcome = run(&mut Peer::Replay(&recording, 0), fault);
        check(&recording, fault, &outcome);
        if let Some(command) = outcome.error.as_ref().and_then(Error::command) {
            commands.insert(command.as_str());
        }
    }
    let expected: Vec<&str> = [
        CommandKind::Greeting,
        CommandKind::Ehlo,
        CommandKind::MailFrom,
        CommandKind::RcptTo,
        CommandKind::Data,
    ]
    .iter()
    .map(|c| c.as_str())
    .collect();
    for command in &expected {
        assert!(commands.contains(command), "no cut during {command}");
    }
    let client_len = recording.client.len();
    for k in 0..=client_len {
        let fault = Fault::ClientWriteFailsAt(k);
        let outcome = run(&mut Peer::Replay(&recording, 0), fault);
        check(&recording, fault, &outcome);
        // A write can only fail on a byte before QUIT when the message was not sent whole.
        if k < recording.data_end {
            assert!(!outcome.delivered, "{fault:?}: delivered a partial message");
        }
    }
    (server_len + 1, client_len + 1)
}

#[test]
fn cut_at_every_offset_without_pipelining() {
    let (server, client) = inject(false);
    eprintln!("without pipelining: {server} server cuts, {client} client write faults");
    assert!(server > 150 && client > 150, "{server} {client}");
}

#[test]
fn cut_at_every_offset_with_pipelining() {
    let (server, client) = inject(true);
    eprintln!("with pipelining: {server} server cuts, {client} client write faults");
    assert!(server > 150 && client > 150, "{server} {client}");
}
