//! The clients side by side, each on one reused connection: the native core, the component,
//! lettre (sync and tokio), Python's smtplib, and a raw pipelined probe.

use crate::common::{NativeConn, open_options};
use host_example::Host;
use host_example::bindings::client::{Envelope, LineEndings, Recipient};
use host_example::bindings::types::TlsMode as WitTlsMode;
use host_example::connector::{TcpConnection, open_stream};
use host_example::spool_impl::SpoolMessage;
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, SmtpTransport, Tokio1Executor, Transport};
use smtpclient::smtp::data::LineEndings as CoreLineEndings;
use smtpclient::smtp::session::{Event, Session, SessionConfig, Timeouts, TlsMode, Transaction};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one row may run: up to `count` messages, but stop after `time` (at least 3).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub count: usize,
    pub time: Duration,
}

impl Budget {
    fn more(&self, sent: usize, start: Instant) -> bool {
        sent < self.count && (sent < 3 || start.elapsed() < self.time)
    }
}

/// Messages sent and the time they took.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub messages: usize,
    pub elapsed: Duration,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64()
    }

    pub fn per_message(&self) -> Duration {
        self.elapsed / self.messages as u32
    }
}

/// A message of at least `size` bytes: headers and 74-byte lines, CRLF throughout.
pub fn message(size: usize) -> Vec<u8> {
    let mut message =
        b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while message.len() < size {
        message.extend_from_slice(line);
    }
    message
}

/// The sans-IO core over a blocking std socket with TCP_NODELAY.
pub fn native(addr: SocketAddr, message: &[u8], budget: Budget) -> Run {
    let mut conn = NativeConn::connect(addr);
    let config = SessionConfig {
        ehlo_hostname: "bench.example".into(),
        tls_mode: TlsMode::Skip,
        timeouts: Timeouts::default(),
        tls: Default::default(),
        tls_results: Default::default(),
        report: Default::default(),
        auth: None,
    };
    let mut session = Session::new(config, Instant::now());
    assert_eq!(conn.pump(&mut session, None), Event::Ready);
    let start = Instant::now();
    let mut sent = 0;
    while budget.more(sent, start) {
        let transaction = Transaction {
            mail_from: "a@example.org".into(),
            recipients: vec!["b@example.net".into()],
            size: Some(message.len() as u64),
            line_endings: CoreLineEndings::Strict,
            ..Transaction::default()
        };
        session
            .start_transaction(Instant::now(), transaction)
            .expect("start");
        match conn.pump(&mut session, Some(message)) {
            Event::TransactionDone(Ok(_)) => {}
            other => panic!("native transaction failed: {other:?}"),
        }
        sent += 1;
    }
    Run {
        messages: sent,
        elapsed: start.elapsed(),
    }
}

/// The component's envelope (the message's size comes from the spool).
pub fn envelope() -> Envelope {
    Envelope {
        mail_from: "a@example.org".into(),
        recipients: vec![Recipient {
            address: "b@example.net".into(),
            notify: None,
            original_recipient: None,
        }],
        // The message's size() stands in.
        size: None,
        require_eightbitmime: false,
        require_smtputf8: false,
        require_tls: false,
        dsn: None,
        line_endings: LineEndings::Strict,
    }
}

/// An instance of the component with a session open to `addr`.
pub struct ComponentSession {
    pub instance: host_example::host::Instance,
    pub session: wasmtime::component::ResourceAny,
}

impl ComponentSession {
    pub async fn open(host: &Host, addr: SocketAddr) -> ComponentSession {
        ComponentSession::try_open(host, addr)
            .await
            .unwrap_or_else(|e| panic!("open failed: {e}"))
    }

    /// [`ComponentSession::open`], with what went wrong as text.
    pub async fn try_open(host: &Host, addr: SocketAddr) -> Result<ComponentSession, String> {
        let mut instance = host.instantiate().await.map_err(|e| e.to_string())?;
        let stream = open_stream(addr, None, Duration::from_secs(5))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let conn = instance
            .store
            .data_mut()
            .table()
            .push(TcpConnection::new(stream))
            .map_err(|e| e.to_string())?;
        let options = open_options(WitTlsMode::Skip, "sink.example", Vec::new());
        let session = instance
            .bindings
            .smtp_client_client()
            .call_open_session(&mut instance.store, conn, &options)
            .await
            .map_err(|e| format!("trap: {e:#}"))?
            .map_err(|f| f.error.message)?;
        Ok(ComponentSession { instance, session })
    }

    /// One delivery of `message`, read from the spool.
    pub async fn deliver(&mut self, envelope: &Envelope, message: SpoolMessage) {
        let message = self
            .instance
            .store
            .data_mut()
            .table()
            .push(message)
            .expect("push");
        self.instance
            .bindings
            .smtp_client_client()
            .session()
            .call_deliver(&mut self.instance.store, self.session, envelope, message)
            .await
            .expect("no trap")
            .unwrap_or_else(|f| panic!("deliver failed: {}", f.error.message));
    }
}

/// The component in wasmtime: one instance, one session.
pub async fn component(host: &Host, addr: SocketAddr, message: &[u8], budget: Budget) -> Run {
    let mut session = ComponentSession::open(host, addr).await;
    let envelope = envelope();
    let message = SpoolMessage::bytes(message);
    let start = Instant::now();
    let mut sent = 0;
    while budget.more(sent, start) {
        session.deliver(&envelope, message.clone()).await;
        sent += 1;
    }
    Run {
        messages: sent,
        elapsed: start.elapsed(),
    }
}

fn lettre_envelope() -> LettreEnvelope {
    LettreEnvelope::new(
        Some("a@example.org".parse().expect("address")),
        vec!["b@example.net".parse().expect("address")],
    )
    .expect("envelope")
}

/// lettre's blocking `SmtpTransport`, a pool of one connection (reused).
pub fn lettre_sync(addr: SocketAddr, message: &[u8], budget: Budget) -> Run {
    let transport = SmtpTransport::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .pool_config(PoolConfig::new().max_size(1))
        .build();
    let envelope = lettre_envelope();
    transport.send_raw(&envelope, message).expect("lettre");
    let start = Instant::now();
    let mut sent = 0;
    while budget.more(sent, start) {
        transport.send_raw(&envelope, message).expect("lettre");
        sent += 1;
    }
    Run {
        messages: sent,
        elapsed: start.elapsed(),
    }
}

/// lettre's tokio `AsyncSmtpTransport`, a pool of one connection (reused).
pub async fn lettre_tokio(addr: SocketAddr, message: &[u8], budget: Budget) -> Run {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .pool_config(PoolConfig::new().max_size(1))
        .build();
    let envelope = lettre_envelope();
    transport
        .send_raw(&envelope, message)
        .await
        .expect("lettre");
    let start = Instant::now();
    let mut sent = 0;
    while budget.more(sent, start) {
        transport
            .send_raw(&envelope, message)
            .await
            .expect("lettre");
        sent += 1;
    }
    Run {
        messages: sent,
        elapsed: start.elapsed(),
    }
}

/// Python's smtplib in a python3 subprocess (the script beside this file); the message goes
/// through `file`.
pub fn smtplib(addr: SocketAddr, file: &Path, budget: Budget) -> Run {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/compare/smtplib_bench.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string())
        .arg(file)
        .arg(budget.count.to_string())
        .arg(budget.time.as_secs_f64().to_string())
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "smtplib: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let messages = words.next().and_then(|w| w.parse().ok()).expect("count");
    let seconds: f64 = words.next().and_then(|w| w.parse().ok()).expect("time");
    Run {
        messages,
        elapsed: Duration::from_secs_f64(seconds),
    }
}

/// The ceiling: MAIL, RCPT, DATA, the message and "." written at once without waiting for
/// 354 (the message has no line starting with "."), then the four replies read.
pub fn probe(addr: SocketAddr, message: &[u8], budget: Budget) -> Run {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut replies = Replies::default();
    replies.expect(&mut stream, 1);
    stream.write_all(b"EHLO bench.example\r\n").expect("write");
    replies.expect(&mut stream, 1);
    let head = b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n";
    let start = Instant::now();
    let mut sent = 0;
    while budget.more(sent, start) {
        stream.write_all(head).expect("write");
        stream.write_all(message).expect("write");
        stream.write_all(b".\r\n").expect("write");
        replies.expect(&mut stream, 4);
        sent += 1;
    }
    Run {
        messages: sent,
        elapsed: start.elapsed(),
    }
}

/// Reads whole replies (a line with a space after the code ends one).
#[derive(Default)]
struct Replies {
    buf: Vec<u8>,
}

impl Replies {
    fn expect(&mut self, stream: &mut TcpStream, mut count: usize) {
        let mut chunk = [0; 4096];
        loop {
            while let Some(eol) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=eol).collect();
                assert!(matches!(line.first(), Some(b'2' | b'3')), "probe refused");
                if line.get(3) == Some(&b' ') {
                    count -= 1;
                }
            }
            if count == 0 {
                return;
            }
            let n = stream.read(&mut chunk).expect("read");
            assert!(n > 0, "sink closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}
