//! `demo`: an offline, self-contained MX delivery with DANE. An SMTP server of ours on
//! 127.0.0.1 offers STARTTLS with a certificate made at start; an in-memory zone, authentic
//! as if DNSSEC-signed, publishes `example.net MX 10 mx.example.net`, its address and a
//! `3 1 1` TLSA record for that certificate. The component looks up the MX, the address and
//! the TLSA records, starts TLS and verifies the certificate by DANE-EE; the transcript, the
//! report and the received message are printed, and the received bytes are compared with the
//! sent ones.

use super::load_host;
use crate::deliver::{DeliverRequest, TlsLevel, deliver};
use crate::dns::{Resolver, ZoneResolver};
use crate::host::HostConfig;
use crate::log_impl::Stderr;
use crate::sink::Sink;
use crate::spool_impl::SpoolMessage;
use command_line::exit::{self, fail};
use command_line::print::print_report;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The demo message: a header, a dot at a line start (to show dot-stuffing) and UTF-8.
const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: hello from a WebAssembly component\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
This message went through the smtpclient component running in wasmtime.\r\n\
.A line starting with a dot is dot-stuffed on the wire and restored by the server.\r\n\
\xc3\x9cnicode is fine with 8BITMIME.\r\n";

/// The MX host's name, also the name on the server's certificate.
const MX_HOST: &str = "mx.example.net";

/// The demo zone: MX, address and a DANE-EE record (RFC 7672 §3.1.1) for `tlsa`. TLSA is
/// looked up at port 25 whatever port the demo dials (RFC 7672 §2.2.3 names the SMTP port).
fn zone(tlsa: &str) -> String {
    format!(
        "$ORIGIN example.net.\n\
         @ IN MX 10 mx\n\
         mx IN A 127.0.0.1\n\
         _25._tcp.mx IN TLSA {tlsa}\n"
    )
}

/// Runs the demo and returns its exit code.
pub async fn run(component: Option<&Path>) -> u8 {
    let sink = match Sink::start_tls(MX_HOST).await {
        Ok(sink) => sink,
        Err(error) => {
            return fail(
                exit::SOFTWARE,
                &format!("cannot start the demo server: {error}"),
            );
        }
    };
    let Some(tlsa) = sink.tlsa_3_1_1() else {
        return fail(exit::SOFTWARE, "the demo server has no certificate");
    };
    let zone = zone(&tlsa);
    let resolver = match ZoneResolver::parse(&zone) {
        Ok(zone) => Resolver::Zone(zone),
        Err(error) => return fail(exit::SOFTWARE, &format!("demo zone: {error}")),
    };
    let config = HostConfig::command_line(
        Arc::new(crate::dns::Shown(resolver)),
        Arc::new(Stderr { verbosity: 1 }),
    );
    let host = match load_host(component, config) {
        Ok(host) => host,
        Err(code) => return code,
    };
    eprintln!(
        "demo: SMTP server of ours on {} with STARTTLS, a certificate made just now",
        sink.addr
    );
    eprintln!("demo: in-memory zone, DNSSEC-authentic:");
    for line in zone.lines() {
        eprintln!("demo:   {line}");
    }
    eprintln!(
        "demo: delivering to bob@example.net through the component (DNS lookups and transcript below)"
    );
    let request = DeliverRequest {
        from: "alice@example.org".into(),
        to: vec!["bob@example.net".into()],
        message: SpoolMessage::bytes(MESSAGE),
        port: sink.addr.port(),
        ehlo: "demo.example.org".into(),
        tls_level: TlsLevel::Dane,
        // The demo's server listens on loopback.
        allow_private_addresses: true,
        relay: None,
        tls_required_no: false,
        extra_roots: Vec::new(),
        timeout: Some(Duration::from_secs(10)),
        deadline: Some(Duration::from_secs(30)),
        client_certificate: None,
        attempt_number: 0,
        eight_bit_mime: true,
        smtputf8: false,
        require_tls: false,
    };
    let report = match deliver(&host, &request, None).await {
        Ok(report) => report,
        Err(error) => return fail(exit::SOFTWARE, &error.to_string()),
    };
    match &report.tls {
        Some(tls) => eprintln!(
            "demo: {} {}; certificate verified by DANE: {}",
            tls.version,
            tls.cipher,
            tls.dane_verified_record.as_deref().unwrap_or("no")
        ),
        None => eprintln!("demo: no TLS"),
    }
    eprintln!("demo: report");
    let code = print_report(&report, true);
    let received = sink.received();
    match received.first() {
        Some(message) if message.data == MESSAGE && message.tls => {
            eprintln!(
                "demo: the server stored {} bytes from {} for {:?}, received inside TLS, identical to what was sent",
                message.data.len(),
                message.mail_from,
                message.recipients
            );
            code
        }
        Some(message) if !message.tls => fail(
            exit::SOFTWARE,
            "the server received the message without TLS",
        ),
        Some(_) => fail(
            exit::SOFTWARE,
            "the server stored different bytes than were sent",
        ),
        None => fail(exit::SOFTWARE, "the server received no message"),
    }
}
