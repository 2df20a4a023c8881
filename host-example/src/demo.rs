//! `demo`: an offline, self-contained run. A message goes through the component to an SMTP
//! server of ours on 127.0.0.1; the transcript, the report and the received message are
//! printed, and the received bytes are compared with the sent ones.
//!
//! The host-tool issue (#7) extends it with STARTTLS, an in-memory DNSSEC zone and DANE.

use crate::bindings::types::TlsMode;
use crate::cli::{fail, load_host, print_report};
use crate::dns::{Resolver, ZoneResolver};
use crate::host::HostConfig;
use crate::log_impl::Stderr;
use crate::report::exit;
use crate::send::{MessageSource, SendRequest, send};
use crate::sink::Sink;
use std::path::Path;
use std::sync::Arc;

/// The demo message: a header, a dot at a line start (to show dot-stuffing) and UTF-8.
const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: hello from a WebAssembly component\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
This message went through the smtpclient component running in wasmtime.\r\n\
.A line starting with a dot is dot-stuffed on the wire and restored by the server.\r\n\
\xc3\x9cnicode is fine with 8BITMIME.\r\n";

/// Run the demo; returns the exit code.
pub async fn run(component: Option<&Path>) -> u8 {
    let sink = match Sink::start().await {
        Ok(sink) => sink,
        Err(error) => {
            return fail(
                exit::SOFTWARE,
                &format!("cannot start the demo server: {error}"),
            );
        }
    };
    let resolver = match ZoneResolver::parse("") {
        Ok(zone) => Resolver::Zone(zone),
        Err(error) => return fail(exit::SOFTWARE, &format!("demo zone: {error}")),
    };
    let config = HostConfig::command_line(Arc::new(resolver), Arc::new(Stderr { verbosity: 1 }));
    let host = match load_host(component, config) {
        Ok(host) => host,
        Err(code) => return code,
    };
    eprintln!("demo: SMTP server of ours listening on {}", sink.addr);
    eprintln!("demo: sending through the component (transcript below)");
    let request = SendRequest {
        auth: None,
        server: sink.addr.ip().to_string(),
        port: sink.addr.port(),
        tls_mode: TlsMode::Skip,
        verify_pkix: false,
        ehlo: "demo.example.org".into(),
        from: "alice@example.org".into(),
        to: vec!["bob@example.net".into()],
        message: MessageSource::Bytes(MESSAGE.to_vec()),
        require_8bitmime: true,
        require_smtputf8: false,
        require_tls: false,
        normalize_line_endings: false,
        timeout: None,
        extra_root_cas: Vec::new(),
        dane_records: None,
    };
    let report = match send(&host, &request).await {
        Ok(report) => report,
        Err(error) => return fail(exit::SOFTWARE, &error.to_string()),
    };
    eprintln!("demo: report");
    let code = print_report(&report, true);
    let received = sink.received();
    match received.first() {
        Some(message) if message.data == MESSAGE => {
            eprintln!(
                "demo: the server stored {} bytes from {} for {:?}, identical to what was sent",
                message.data.len(),
                message.mail_from,
                message.recipients
            );
            code
        }
        Some(_) => fail(
            exit::SOFTWARE,
            "the server stored different bytes than were sent",
        ),
        None => fail(exit::SOFTWARE, "the server received no message"),
    }
}
