//! The host as a library: load the component once, run deliveries concurrently on tokio
//! with a platform's limits, and plug in one's own DNS.
//!
//! `cargo run --release -p host-example --example embed` (offline: the server is the
//! in-process sink on 127.0.0.1).

use host_example::dns::{Answer, DnsBackend, IpFamily, Lookup, LookupError, Mx, Tlsa};
use host_example::egress::AddressPolicy;
use host_example::log_impl::Silent;
use host_example::send::TlsMode;
use host_example::send::{SendRequest, send};
use host_example::sink::Sink;
use host_example::spool_impl::SpoolMessage;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use std::future::ready;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

/// An embedder's own DNS: every name is 127.0.0.1, nothing else exists.
struct Loopback;

fn not_found<'a, T: Send + 'a>() -> Lookup<'a, T> {
    Box::pin(ready(Err(LookupError::NotFound { authentic: false })))
}

impl DnsBackend for Loopback {
    fn lookup_cname<'a>(&'a self, _name: &'a str) -> Lookup<'a, String> {
        not_found()
    }
    fn lookup_mx<'a>(&'a self, _name: &'a str) -> Lookup<'a, Mx> {
        not_found()
    }
    fn lookup_ip<'a>(&'a self, _name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        if matches!(family, IpFamily::V6) {
            return not_found();
        }
        Box::pin(ready(Ok(Answer {
            records: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            authentic: false,
        })))
    }
    fn lookup_tlsa<'a>(
        &'a self,
        _port: u16,
        _protocol: &'a str,
        _host: &'a str,
    ) -> Lookup<'a, Tlsa> {
        not_found()
    }
    fn lookup_txt<'a>(&'a self, _name: &'a str) -> Lookup<'a, Vec<u8>> {
        not_found()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sink = Sink::start().await?;
    let config = HostConfig {
        // A platform denies internal addresses; this example's server is on loopback.
        egress: Arc::new(AddressPolicy::public_only().allowing("127.0.0.0/8".parse()?)),
        max_guest_memory: 32 << 20,
        max_guest_cpu: Duration::from_secs(2),
        max_delivery_time: Duration::from_secs(60),
        ..HostConfig::new(Arc::new(Loopback), Arc::new(Silent))
    };
    // Compiles the component once (about 1 s, 20 ms from wasmtime's cache).
    let host = Arc::new(Host::new(EMBEDDED_COMPONENT, config)?);
    let mut deliveries = tokio::task::JoinSet::new();
    for n in 0..10 {
        let host = Arc::clone(&host);
        let request = SendRequest {
            server: "sink.example".into(),
            port: sink.addr.port(),
            tls_mode: TlsMode::Skip,
            verify_pkix: false,
            ehlo: "platform.example".into(),
            from: "sender@example.org".into(),
            to: vec![format!("rcpt{n}@example.net")],
            message: SpoolMessage::bytes(&b"Subject: hi\r\n\r\nHello.\r\n"[..]),
            require_8bitmime: false,
            require_smtputf8: false,
            require_tls: false,
            normalize_line_endings: false,
            timeout: None,
            extra_root_cas: Vec::new(),
            dane_records: None,
            auth: None,
            client_certificate: None,
        };
        // Each delivery gets its own instance; a trap or a limit fails only that one.
        deliveries.spawn(async move { host.deadline(send(&host, &request)).await });
    }
    while let Some(done) = deliveries.join_next().await {
        match done? {
            Ok(report) => println!("{:?} {:?}", report.status, report.recipients[0].address),
            Err(error) => println!("failed: {error}"),
        }
    }
    println!("the sink holds {} messages", sink.received().len());
    Ok(())
}
