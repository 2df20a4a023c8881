//! The host as a library: one `Host`, many concurrent deliveries on tokio, per-delivery
//! limits (guest memory, guest CPU, wall clock), a pluggable connector, and the egress policy
//! checked before every connect (the host's own dial and the component's `tcp.connect`).

use host_example::bindings::types::{Domain, ErrorKind, IpAddress, IpDomain};
use host_example::connector::{Connecting, TcpConnection, TcpConnector, open_stream};
use host_example::dns::{DnsBackend, ZoneResolver};
use host_example::egress::AddressPolicy;
use host_example::limits::LimitExceeded;
use host_example::log_impl::Silent;
use host_example::report::Status;
use host_example::send::{SendRequest, TlsMode, send};
use host_example::sink::Sink;
use host_example::spool_impl::SpoolMessage;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig, HostError};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

const MESSAGE: &[u8] = b"Subject: library\r\n\r\nOne of many.\r\n";

/// A platform's host that may reach the loopback sink.
fn host() -> Host {
    let resolver: Arc<dyn DnsBackend> = Arc::new(ZoneResolver::default());
    let mut config = HostConfig::new(resolver, Arc::new(Silent));
    config.egress = Arc::new(AddressPolicy::public_only().allowing("127.0.0.0/8".parse().unwrap()));
    Host::new(EMBEDDED_COMPONENT, config).expect("component loads")
}

fn request(sink: SocketAddr, n: usize) -> SendRequest {
    SendRequest {
        server: sink.ip().to_string(),
        port: sink.port(),
        tls_mode: TlsMode::Skip,
        verify_pkix: false,
        ehlo: "library.example.org".into(),
        from: format!("sender{n}@example.org"),
        to: vec![format!("rcpt{n}@example.net")],
        message: SpoolMessage::bytes(MESSAGE),
        require_8bitmime: false,
        require_smtputf8: false,
        require_tls: false,
        normalize_line_endings: false,
        timeout: Some(Duration::from_secs(10)),
        extra_root_cas: Vec::new(),
        dane_records: None,
        auth: None,
        client_certificate: None,
    }
}

/// A connector whose connections deliver nothing for `delay` after connecting: a slow server
/// (the time is spent blocked in the host, not in the guest).
struct SlowStart {
    delay: Duration,
}

impl TcpConnector for SlowStart {
    fn connect(
        &self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        limit: Duration,
    ) -> Connecting<'_> {
        let delay = self.delay;
        Box::pin(async move {
            let stream = open_stream(remote, local, limit).await?;
            let local = stream.local_addr()?;
            let slow = Slow {
                stream,
                sleep: Some(Box::pin(tokio::time::sleep(delay))),
            };
            Ok(TcpConnection::from_stream(slow, local, remote))
        })
    }
}

struct Slow {
    stream: TcpStream,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl AsyncRead for Slow {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(sleep) = &mut self.sleep {
            ready!(sleep.as_mut().poll(cx));
            self.sleep = None;
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Slow {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

fn slow_start(host: &Host, delay: Duration) -> HostConfig {
    HostConfig {
        connector: Arc::new(SlowStart { delay }),
        ..host.config().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_deliveries_one_over_its_cpu_budget() {
    let sink = Sink::start().await.expect("sink");
    let host = Arc::new(host());
    // The hostile delivery: no CPU budget at all, and a server that keeps it waiting past an
    // epoch tick, so the guest is stopped when it next runs wasm.
    let hostile = Arc::new(host.with_config(HostConfig {
        max_guest_cpu: Duration::ZERO,
        ..slow_start(&host, Duration::from_millis(50))
    }));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..50 {
        let host = if n == 25 {
            Arc::clone(&hostile)
        } else {
            Arc::clone(&host)
        };
        let request = request(sink.addr, n);
        tasks.spawn(async move { (n, host.deadline(send(&host, &request)).await) });
    }
    let mut delivered = 0;
    while let Some(joined) = tasks.join_next().await {
        let (n, result) = joined.expect("the task did not panic");
        if n == 25 {
            match result {
                Err(HostError::Limit(LimitExceeded::Cpu { budget })) => {
                    assert_eq!(budget, Duration::ZERO)
                }
                other => panic!("hostile delivery: {other:?}"),
            }
        } else {
            let report = result.expect("no host error");
            assert_eq!(report.status, Status::Delivered, "delivery {n}: {report:?}");
            delivered += 1;
        }
    }
    assert_eq!(delivered, 49);
    assert_eq!(sink.received().len(), 49);
    eprintln!("49 deliveries and one stopped in {:?}", started.elapsed());
}

#[tokio::test]
async fn memory_cap_fails_only_that_instance() {
    let sink = Sink::start().await.expect("sink");
    let host = host();
    let tiny = host.with_config(HostConfig {
        max_guest_memory: 64 << 10,
        ..host.config().clone()
    });
    match send(&tiny, &request(sink.addr, 0)).await {
        Err(HostError::Limit(LimitExceeded::Memory { limit, desired })) => {
            assert_eq!(limit, 64 << 10);
            assert!(desired > limit);
        }
        other => panic!("{other:?}"),
    }
    let report = send(&host, &request(sink.addr, 1))
        .await
        .expect("host works");
    assert_eq!(report.status, Status::Delivered);
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn time_blocked_in_the_host_is_not_guest_cpu() {
    let sink = Sink::start().await.expect("sink");
    let host = host();
    // Half a second waiting for the greeting against a 100 ms budget.
    let slow = host.with_config(HostConfig {
        max_guest_cpu: Duration::from_millis(100),
        ..slow_start(&host, Duration::from_millis(500))
    });
    let report = send(&slow, &request(sink.addr, 0))
        .await
        .expect("within budget");
    assert_eq!(report.status, Status::Delivered);
}

#[tokio::test]
async fn wall_clock_deadline() {
    let sink = Sink::start().await.expect("sink");
    let host = host();
    let slow = host.with_config(HostConfig {
        max_delivery_time: Duration::from_millis(300),
        ..slow_start(&host, Duration::from_secs(5))
    });
    let started = Instant::now();
    match slow.deadline(send(&slow, &request(sink.addr, 0))).await {
        Err(HostError::Deadline(limit)) => assert_eq!(limit, Duration::from_millis(300)),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    let report = host.deadline(send(&host, &request(sink.addr, 1))).await;
    assert_eq!(report.expect("host works").status, Status::Delivered);
}

#[tokio::test]
async fn egress_policy_on_the_hosts_dial() {
    let sink = Sink::start().await.expect("sink");
    let host = host();
    let no_loopback = host.with_config(HostConfig {
        egress: Arc::new(AddressPolicy::public_only()),
        ..host.config().clone()
    });
    let report = send(&no_loopback, &request(sink.addr, 0))
        .await
        .expect("a report");
    assert_eq!(report.status, Status::Temporary);
    let error = report.error.expect("an error");
    assert!(
        error.message.contains(
            "denied by host policy: address 127.0.0.1 is in the denied range 127.0.0.0/8"
        ),
        "{error:?}"
    );
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn egress_policy_on_the_components_connect() {
    let sink = Sink::start().await.expect("sink");
    let host = host();
    let port_25_only = host.with_config(HostConfig {
        egress: Arc::new(
            AddressPolicy::public_only()
                .allowing("127.0.0.0/8".parse().unwrap())
                .with_ports(&[25]),
        ),
        ..host.config().clone()
    });
    let mut instance = port_25_only.instantiate().await.expect("instance");
    let mx = IpDomain::Domain(Domain {
        ascii: "mx.example.test".into(),
        unicode: None,
    });
    let failure = instance
        .bindings
        .smtp_client_delivery()
        .call_dial(
            &mut instance.store,
            &mx,
            &[IpAddress::Ipv4((127, 0, 0, 1))],
            sink.addr.port(),
            &[],
            &[],
            5000,
        )
        .await
        .expect("no trap")
        .expect_err("denied");
    assert_eq!(failure.error.kind, ErrorKind::Io);
    assert_eq!(
        failure.error.message,
        format!(
            "i/o error: connection denied by host policy: port {} is not allowed",
            sink.addr.port()
        )
    );
}
