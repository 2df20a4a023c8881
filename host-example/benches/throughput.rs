//! Messages per second on one reused connection to a loopback sink: the sans-IO core driven
//! natively, and the component in wasmtime, side by side. Run with
//! `cargo bench -p host-example --bench throughput` (`BENCH_MESSAGES=N` to change the count).
//!
//! The sink is the demo server (`host_example::sink`), a tokio task in this process; both
//! clients talk to it over real loopback sockets with TCP_NODELAY.

mod common;

use common::{NativeConn, open_options};
use host_example::bindings::client::{Envelope, LineEndings, Recipient};
use host_example::bindings::types::TlsMode as WitTlsMode;
use host_example::connector::{TcpConnection, open_stream};
use host_example::dns::{Resolver, ZoneResolver};
use host_example::log_impl::Silent;
use host_example::sink::Sink;
use host_example::spool_impl::SpoolMessage;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use smtpclient::smtp::data::LineEndings as CoreLineEndings;
use smtpclient::smtp::session::{Event, Session, SessionConfig, Timeouts, TlsMode, Transaction};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn message(size: usize) -> Vec<u8> {
    let mut message =
        b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bench\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while message.len() < size {
        message.extend_from_slice(line);
    }
    message
}

/// The core over a blocking std socket: the same pump the component's driver does.
fn native(addr: SocketAddr, message: &[u8], count: usize) -> Duration {
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
    for _ in 0..count {
        let transaction = Transaction {
            mail_from: "a@example.org".into(),
            recipients: vec!["b@example.net".into()],
            size: Some(message.len() as u64),
            require_8bitmime: false,
            require_smtputf8: false,
            require_tls: false,
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
    }
    start.elapsed()
}

/// The component in wasmtime: one instance, one session, `count` deliveries.
async fn component(host: &Host, addr: SocketAddr, message: &[u8], count: usize) -> Duration {
    let mut instance = host.instantiate().await.expect("instantiate");
    let stream = open_stream(addr, None, Duration::from_secs(5))
        .await
        .expect("connect");
    let conn = instance
        .store
        .data_mut()
        .table()
        .push(TcpConnection::new(stream))
        .expect("push");
    let client = instance.bindings.smtp_client_client();
    let options = open_options(WitTlsMode::Skip, "sink.example", Vec::new());
    let session = client
        .call_open_session(&mut instance.store, conn, &options)
        .await
        .expect("no trap")
        .unwrap_or_else(|f| panic!("open failed: {}", f.error.message));
    let envelope = Envelope {
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
    };
    let spooled = SpoolMessage::bytes(message);
    let start = Instant::now();
    for _ in 0..count {
        let stream = instance
            .store
            .data_mut()
            .table()
            .push(spooled.clone())
            .expect("push");
        client
            .session()
            .call_deliver(&mut instance.store, session, &envelope, stream)
            .await
            .expect("no trap")
            .unwrap_or_else(|f| panic!("deliver failed: {}", f.error.message));
    }
    start.elapsed()
}

fn main() {
    let count: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sink = runtime.block_on(Sink::start()).expect("sink");
    let host = Host::new(
        EMBEDDED_COMPONENT,
        HostConfig::command_line(
            Arc::new(Resolver::Zone(ZoneResolver::default())),
            Arc::new(Silent),
        ),
    )
    .expect("host");
    println!("messages per second, one reused connection, loopback sink, {count} messages each");
    println!("| size | native core | component | component / native |");
    println!("|---|---|---|---|");
    for size in [1024, 100 * 1024] {
        let body = message(size);
        let n = if size > 10_000 { count / 4 } else { count };
        let addr = sink.addr;
        let native_time = native(addr, &body, n);
        let component_time = runtime.block_on(component(&host, addr, &body, n));
        let rate = |d: Duration| n as f64 / d.as_secs_f64();
        println!(
            "| {} KiB | {:.0} | {:.0} | {:.2} |",
            size / 1024,
            rate(native_time),
            rate(component_time),
            rate(component_time) / rate(native_time)
        );
    }
}
