//! CPU time of a TLS 1.3 handshake (STARTTLS, X25519, PKIX with a test root) in the component
//! against native rustls, then TLS bulk data (the `bulk` module). Run with
//! `cargo bench -p host-example --bench handshake` (`BENCH_HANDSHAKES=N` to change the count,
//! default 200; `BENCH_TLS_BULK=0` skips the bulk table).
//!
//! The server is a small STARTTLS responder on 127.0.0.1 (std threads, rustls with ring, TLS 1.3
//! and X25519 only) in this process. Each client runs on the main thread, one connection per
//! handshake (greeting, EHLO, STARTTLS, handshake, EHLO, QUIT), and is measured by that thread's
//! CPU time (`CLOCK_THREAD_CPUTIME_ID`), so the server's work is not counted:
//!
//! - rustls + ring: rustls with its ring provider over a std socket (the baseline);
//! - rustls + rustcrypto: the same with the provider the core uses;
//! - native core: the sans-IO `smtpclient` session over a std socket;
//! - component: the same core compiled to wasm32-wasip2, in wasmtime, `open` then `close`.

#[path = "../common/mod.rs"]
mod common;

mod bulk;

use common::{NativeConn, open_options};
use host_example::bindings::types::TlsMode as WitTlsMode;
use host_example::connector::{TcpConnection, open_stream};
use host_example::dns::{Resolver, ZoneResolver};
use host_example::log_impl::Silent;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256};
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use smtpclient::smtp::session::{Event, Session, SessionConfig, Timeouts, TlsMode};
use smtpclient::tls::TlsConfig;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The name in the server's certificate, and the client's remote host name.
const SERVER_NAME: &str = "mx.bench.example";

/// The CPU time the calling thread has used.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A self-signed server certificate for [`SERVER_NAME`].
struct ServerCert {
    name: &'static str,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl ServerCert {
    fn ecdsa() -> ServerCert {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("ecdsa key");
        Self::sign("ECDSA P-256", key)
    }

    fn rsa() -> ServerCert {
        let pem = include_str!("../../../src/tls/testdata/rsa2048.pem");
        let key = KeyPair::from_pkcs8_pem_and_sign_algo(pem, &PKCS_RSA_SHA256).expect("rsa key");
        Self::sign("RSA-2048", key)
    }

    fn sign(name: &'static str, key: KeyPair) -> ServerCert {
        let params = CertificateParams::new(vec![SERVER_NAME.into()]).expect("params");
        let cert = params.self_signed(&key).expect("self-signed");
        ServerCert {
            name,
            der: cert.der().clone(),
            key: PrivateKeyDer::try_from(key.serialize_der()).expect("pkcs8"),
        }
    }
}

/// Reads one line (CRLF included) a byte at a time, so nothing after it is consumed.
fn read_line(stream: &mut impl Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8];
    while !line.ends_with(b"\r\n") {
        if stream.read(&mut byte).expect("read") == 0 {
            break;
        }
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// One client: greeting, EHLO, STARTTLS, the handshake, EHLO and QUIT over TLS.
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
    let mut tls = rustls::StreamOwned::new(conn, stream);
    if !read_line(&mut tls).starts_with("EHLO") {
        return;
    }
    tls.write_all(b"250 mx.bench.example\r\n").expect("write");
    read_line(&mut tls);
    let _ = tls.write_all(b"221 2.0.0 bye\r\n");
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// The server on a free port of 127.0.0.1, a thread per connection.
fn start_server(cert: &ServerCert) -> SocketAddr {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = vec![rustls::crypto::ring::kx_group::X25519];
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

/// Reads a reply (RFC 5321 §4.2.1: lines until one with a space after the code).
fn read_reply(stream: &mut impl BufRead) -> String {
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).expect("read reply");
        if line.as_bytes().get(3) != Some(&b'-') {
            return line;
        }
    }
}

/// rustls with `provider` over a std socket, with the same dialogue as the core.
fn rustls_client(addr: SocketAddr, config: &Arc<ClientConfig>) {
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
    let conn = ClientConnection::new(config.clone(), name).expect("client connection");
    let mut tls = BufReader::new(rustls::StreamOwned::new(conn, plain.into_inner()));
    tls.get_mut().write_all(b"EHLO bench.example\r\n").unwrap();
    assert!(read_reply(&mut tls).starts_with("250"));
    tls.get_mut().write_all(b"QUIT\r\n").unwrap();
    read_reply(&mut tls);
}

/// One configuration for all connections, without session resumption as the core: with it,
/// every handshake after the first would resume from the server's ticket and skip the
/// certificate and its signature, which no SMTP client of ours does.
fn rustls_config(provider: CryptoProvider, cert: &ServerCert) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(cert.der.clone()).expect("root");
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// The core's session configuration: STARTTLS required, PKIX with the server certificate as
/// root.
fn native_config(cert: &ServerCert) -> SessionConfig {
    let wall = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock");
    SessionConfig {
        ehlo_hostname: "bench.example".into(),
        tls_mode: TlsMode::RequiredStartTls,
        timeouts: Timeouts::default(),
        tls: TlsConfig {
            remote_hostname: SERVER_NAME.into(),
            verify_pkix: true,
            extra_roots: vec![cert.der.to_vec()],
            wall_clock: UnixTime::since_unix_epoch(wall),
            ..TlsConfig::default()
        },
        tls_results: Default::default(),
        report: Default::default(),
        auth: None,
    }
}

/// The core over a std socket, configured by [`native_config`].
fn native_core(addr: SocketAddr, cert: &ServerCert) {
    let mut conn = NativeConn::connect(addr);
    let mut session = Session::new(native_config(cert), Instant::now());
    match conn.pump(&mut session, None) {
        Event::Ready => {}
        other => panic!("native open failed: {other:?}"),
    }
    assert_eq!(session.tls_state().map(|s| s.version), Some("TLSv1.3"));
    session.quit(Instant::now());
    assert_eq!(conn.pump(&mut session, None), Event::Closed);
}

/// The component in wasmtime: `open` (STARTTLS, PKIX) then `close`, on one instance.
async fn component(host: &Host, addr: SocketAddr, cert: &ServerCert, count: usize) {
    let mut instance = host.instantiate().await.expect("instantiate");
    let options = open_options(
        WitTlsMode::RequiredStarttls,
        SERVER_NAME,
        vec![cert.der.to_vec()],
    );
    for _ in 0..count {
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
}

/// Rounds per row; the table shows the median (by CPU time).
const ROUNDS: usize = 3;

/// One client row: runs that many handshakes.
type Run<'a> = Box<dyn Fn(usize) + 'a>;

/// Thread CPU time and wall time of `run`.
fn measure(run: impl FnOnce()) -> (Duration, Duration) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    run();
    (thread_cpu() - cpu, wall.elapsed())
}

fn main() {
    let count: usize = std::env::var("BENCH_HANDSHAKES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let host = Host::new(
        EMBEDDED_COMPONENT,
        HostConfig::command_line(
            Arc::new(Resolver::Zone(ZoneResolver::default())),
            Arc::new(Silent),
        ),
    )
    .expect("host");
    println!(
        "TLS 1.3 handshakes (STARTTLS, X25519, PKIX), {count} sequential connections each, \
         median of {ROUNDS} rounds taken in turns; client thread CPU time"
    );
    println!("| server key | client | handshakes/s | CPU ms/handshake | CPU / native core |");
    println!("|---|---|---|---|---|");
    for cert in [ServerCert::ecdsa(), ServerCert::rsa()] {
        let addr = start_server(&cert);
        let ring = rustls_config(rustls::crypto::ring::default_provider(), &cert);
        let rustcrypto = rustls_config(rustls_rustcrypto::provider(), &cert);
        let rows: [(&str, Run<'_>); 4] = [
            (
                "rustls + ring",
                Box::new(|n| (0..n).for_each(|_| rustls_client(addr, &ring))),
            ),
            (
                "rustls + rustcrypto",
                Box::new(|n| (0..n).for_each(|_| rustls_client(addr, &rustcrypto))),
            ),
            (
                "native core",
                Box::new(|n| (0..n).for_each(|_| native_core(addr, &cert))),
            ),
            (
                "component",
                Box::new(|n| runtime.block_on(component(&host, addr, &cert, n))),
            ),
        ];
        // Every row runs ROUNDS times, the rows taking turns; the median round is shown.
        let mut rounds: Vec<Vec<(Duration, Duration)>> = vec![Vec::new(); rows.len()];
        for (_, run) in &rows {
            // Warm up: caches, the component's first instance, the server's threads.
            run(count / 10 + 1);
        }
        for _ in 0..ROUNDS {
            for ((_, run), measured) in rows.iter().zip(&mut rounds) {
                measured.push(measure(|| run(count)));
            }
        }
        let results: Vec<_> = rows
            .iter()
            .zip(rounds)
            .map(|((name, _), mut measured)| {
                measured.sort();
                let (cpu, wall) = measured[measured.len() / 2];
                (*name, cpu, wall)
            })
            .collect();
        let native = results[2].1;
        for (name, cpu, wall) in results {
            println!(
                "| {} | {name} | {:.0} | {:.2} | {:.2} |",
                cert.name,
                count as f64 / wall.as_secs_f64(),
                cpu.as_secs_f64() * 1000.0 / count as f64,
                cpu.as_secs_f64() / native.as_secs_f64()
            );
        }
    }
    if std::env::var("BENCH_TLS_BULK").as_deref() != Ok("0") {
        bulk::table(&runtime, &host);
    }
}
