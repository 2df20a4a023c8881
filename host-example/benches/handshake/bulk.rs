//! TLS bulk data: messages of 100 KiB and 10 MiB sent over STARTTLS on one connection, for
//! each TLS 1.3 cipher suite (the server offers only that one), by the component, the native
//! core and plain rustls (rustcrypto, the core's provider; ring, with the CPU's AES
//! instructions, for reference). Each client runs on the main thread and is measured by that
//! thread's CPU time; the server (rustls with ring, threads of this process) is not counted.
//! The figure is message bytes per second of client CPU time: what encrypting them costs, with
//! SMTP around it.

use crate::common::{NativeConn, open_options};
use crate::{SERVER_NAME, ServerCert, native_config, read_line, read_reply, thread_cpu};
use host_example::Host;
use host_example::bindings::client::{Envelope, LineEndings, Recipient};
use host_example::bindings::types::TlsMode as WitTlsMode;
use host_example::connector::{TcpConnection, open_stream};
use host_example::spool_impl::SpoolMessage;
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use smtpclient::smtp::data::LineEndings as CoreLineEndings;
use smtpclient::smtp::session::{Event, Session, Transaction};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The target for the component's TLS bulk throughput, MiB/s of client CPU.
const TARGET_MIB_S: f64 = 300.0;

/// Message sizes and how many of each one connection sends.
const SIZES: [(usize, &str, usize); 2] = [
    (100 * 1024, "100 KiB", 100),
    (10 * 1024 * 1024, "10 MiB", 4),
];

/// A message of at least `size` bytes: headers and 74-byte lines, CRLF throughout.
fn message(size: usize) -> Vec<u8> {
    let mut message = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: bulk\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n";
    while message.len() < size {
        message.extend_from_slice(line);
    }
    message
}

/// A STARTTLS server offering `suites` (picking by the client's order, rustls's default):
/// EHLO, STARTTLS, then any number of
/// transactions whose data it discards, until QUIT.
fn start_server(cert: &ServerCert, suites: Vec<rustls::SupportedCipherSuite>) -> SocketAddr {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = suites;
    let config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("tls 1.3")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der.clone()], cert.key.clone_key())
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let config = config.clone();
            let stream = stream.expect("accept");
            std::thread::spawn(move || serve_one(stream, config));
        }
    });
    addr
}

fn serve_one(mut stream: TcpStream, config: Arc<ServerConfig>) {
    stream.set_nodelay(true).expect("nodelay");
    stream
        .write_all(b"220 mx.bench.example ESMTP\r\n")
        .expect("write");
    read_line(&mut stream);
    stream
        .write_all(b"250-mx.bench.example\r\n250 STARTTLS\r\n")
        .expect("write");
    assert_eq!(read_line(&mut stream), "STARTTLS\r\n");
    stream.write_all(b"220 2.0.0 go ahead\r\n").expect("write");
    let conn = ServerConnection::new(config).expect("server connection");
    let mut tls = BufReader::with_capacity(256 * 1024, rustls::StreamOwned::new(conn, stream));
    let mut line = String::new();
    loop {
        line.clear();
        if tls.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let reply: &[u8] = match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
            "EHLO" => b"250-mx.bench.example\r\n250-PIPELINING\r\n250 SIZE 1073741824\r\n",
            "DATA" => {
                tls.get_mut().write_all(b"354 go ahead\r\n").expect("write");
                discard_data(&mut tls);
                b"250 2.0.0 accepted\r\n"
            }
            "QUIT" => {
                let _ = tls.get_mut().write_all(b"221 2.0.0 bye\r\n");
                return;
            }
            _ => b"250 2.0.0 ok\r\n",
        };
        if tls.get_mut().write_all(reply).is_err() {
            return;
        }
    }
}

/// Reads message data up to and including CRLF "." CRLF (RFC 5321 §4.1.1.4); the data
/// never starts with "." here.
fn discard_data(tls: &mut impl BufRead) {
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let buf = tls.fill_buf().expect("read");
        assert!(!buf.is_empty(), "client closed during data");
        let mut window = std::mem::take(&mut tail);
        let keep = window.len();
        window.extend_from_slice(&buf[..buf.len().min(5)]);
        let end = memchr::memmem::find(&window, b"\r\n.\r\n")
            .map(|at| at + 5 - keep)
            .or_else(|| memchr::memmem::find(buf, b"\r\n.\r\n").map(|at| at + 5));
        if let Some(end) = end {
            tls.consume(end);
            return;
        }
        tail = buf[buf.len().saturating_sub(4)..].to_vec();
        let n = buf.len();
        tls.consume(n);
    }
}

/// Plain rustls with `provider` over a std socket: the same dialogue, one connection.
fn rustls_client(
    addr: SocketAddr,
    provider: CryptoProvider,
    cert: &ServerCert,
    data: &[u8],
    count: usize,
) {
    let mut roots = RootCertStore::empty();
    roots.add(cert.der.clone()).expect("root");
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut plain = BufReader::new(stream);
    read_reply(&mut plain);
    plain
        .get_mut()
        .write_all(b"EHLO bench.example\r\n")
        .unwrap();
    read_reply(&mut plain);
    plain.get_mut().write_all(b"STARTTLS\r\n").unwrap();
    assert!(read_reply(&mut plain).starts_with("220"));
    let name = ServerName::try_from(SERVER_NAME).expect("name");
    let conn = ClientConnection::new(Arc::new(config), name).expect("client connection");
    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, plain.into_inner()));
    tls.get_mut().write_all(b"EHLO bench.example\r\n").unwrap();
    assert!(read_reply(&mut tls).starts_with("250"));
    for _ in 0..count {
        tls.get_mut()
            .write_all(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
            .unwrap();
        for _ in 0..3 {
            read_reply(&mut tls);
        }
        tls.get_mut().write_all(data).unwrap();
        tls.get_mut().write_all(b".\r\n").unwrap();
        assert!(read_reply(&mut tls).starts_with("250"));
    }
    tls.get_mut().write_all(b"QUIT\r\n").unwrap();
    read_reply(&mut tls);
}

/// The core over a std socket, configured by [`native_config`].
fn native_core(addr: SocketAddr, cert: &ServerCert, data: &[u8], count: usize) -> String {
    let mut conn = NativeConn::connect(addr);
    let mut session = Session::new(native_config(cert), Instant::now());
    assert_eq!(conn.pump(&mut session, None), Event::Ready);
    let suite = session.tls_state().expect("tls").cipher_suite;
    for _ in 0..count {
        let transaction = Transaction {
            mail_from: "a@example.org".into(),
            recipients: vec!["b@example.net".into()],
            size: Some(data.len() as u64),
            line_endings: CoreLineEndings::Strict,
            ..Transaction::default()
        };
        session
            .start_transaction(Instant::now(), transaction)
            .expect("start");
        match conn.pump(&mut session, Some(data)) {
            Event::TransactionDone(Ok(_)) => {}
            other => panic!("native transaction failed: {other:?}"),
        }
    }
    session.quit(Instant::now());
    assert_eq!(conn.pump(&mut session, None), Event::Closed);
    suite.to_string()
}

/// The component in wasmtime: `open` (STARTTLS, PKIX), `deliver` `count` times, `close`.
async fn component(host: &Host, addr: SocketAddr, cert: &ServerCert, data: &[u8], count: usize) {
    let mut instance = host.instantiate().await.expect("instantiate");
    let options = open_options(
        WitTlsMode::RequiredStarttls,
        SERVER_NAME,
        vec![cert.der.to_vec()],
    );
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
        size: None,
        require_eightbitmime: false,
        require_smtputf8: false,
        require_tls: false,
        dsn: None,
        line_endings: LineEndings::Strict,
    };
    let message = SpoolMessage::bytes(data.to_vec());
    for _ in 0..count {
        let message = instance
            .store
            .data_mut()
            .table()
            .push(message.clone())
            .expect("push");
        client
            .session()
            .call_deliver(&mut instance.store, session, &envelope, message)
            .await
            .expect("no trap")
            .unwrap_or_else(|f| panic!("deliver failed: {}", f.error.message));
    }
    client
        .session()
        .call_close(&mut instance.store, session)
        .await
        .expect("no trap")
        .expect("close");
    session
        .resource_drop_async(&mut instance.store)
        .await
        .expect("drop");
}

/// Client CPU MiB/s of `run`, which sends `bytes` message bytes; the median of 3 runs.
fn mib_per_cpu_second(bytes: usize, mut run: impl FnMut()) -> f64 {
    let mut rates: Vec<f64> = (0..3)
        .map(|_| {
            let start = thread_cpu();
            run();
            bytes as f64 / (1024.0 * 1024.0) / (thread_cpu() - start).as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[1]
}

pub fn table(runtime: &Runtime, host: &Host) {
    let cert = ServerCert::ecdsa();
    use rustls::crypto::ring::cipher_suite::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384, TLS13_CHACHA20_POLY1305_SHA256,
    };
    let all = vec![
        TLS13_AES_128_GCM_SHA256,
        TLS13_AES_256_GCM_SHA384,
        TLS13_CHACHA20_POLY1305_SHA256,
    ];
    // Each suite alone, then all three: each client gets the first of its own order.
    let offers = [
        vec![TLS13_AES_128_GCM_SHA256],
        vec![TLS13_AES_256_GCM_SHA384],
        vec![TLS13_CHACHA20_POLY1305_SHA256],
        all,
    ];
    println!();
    println!(
        "TLS bulk data over STARTTLS (TLS 1.3, the server offering one suite or all three), one \
         connection per row; the native core takes AES-128-GCM first, the component ChaCha20-Poly1305; MiB \
         of message per second of client thread CPU, median of 3 (target for the \
         component: {TARGET_MIB_S:.0})"
    );
    println!(
        "| cipher suite | size | rustls + ring | rustls + rustcrypto | native core | component | component target |"
    );
    println!("|---|---|---|---|---|---|---|");
    for suites in offers {
        let name = match &suites[..] {
            [one] => format!("{:?}", one.suite()),
            _ => "all three, the client's order".to_string(),
        };
        let only = (suites.len() == 1).then(|| name.clone());
        let addr = start_server(&cert, suites);
        for (size, size_name, count) in SIZES {
            let data = message(size);
            let bytes = data.len() * count;
            let ring = mib_per_cpu_second(bytes, || {
                rustls_client(
                    addr,
                    rustls::crypto::ring::default_provider(),
                    &cert,
                    &data,
                    count,
                );
            });
            let rustcrypto = mib_per_cpu_second(bytes, || {
                rustls_client(addr, rustls_rustcrypto::provider(), &cert, &data, count);
            });
            let mut negotiated = String::new();
            let native = mib_per_cpu_second(bytes, || {
                negotiated = native_core(addr, &cert, &data, count);
            });
            if let Some(only) = &only {
                assert_eq!(&negotiated, only, "the server's only suite");
            }
            let component = mib_per_cpu_second(bytes, || {
                runtime.block_on(component(host, addr, &cert, &data, count));
            });
            let met = if component >= TARGET_MIB_S {
                "met"
            } else {
                "not met"
            };
            println!(
                "| {name} | {size_name} | {ring:.0} | {rustcrypto:.0} | {native:.0} | {component:.0} | {met} |"
            );
        }
    }
}
