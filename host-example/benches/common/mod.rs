//! What the benches share: the sans-IO core pumped over a blocking std socket (the same loop
//! the component's driver runs), and the component's open options.

use host_example::bindings::client::OpenOptions;
use host_example::bindings::types::{Domain, TlsMode};
use smtpclient::smtp::session::{Event, Session};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

/// A connection the native core is driven over.
pub struct NativeConn {
    stream: TcpStream,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl NativeConn {
    pub fn connect(addr: SocketAddr) -> NativeConn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        NativeConn {
            stream,
            out: Vec::new(),
            buf: vec![0; 64 * 1024],
        }
    }

    /// Runs `session` until its next event, feeding it the message `data` when it asks.
    pub fn pump(&mut self, session: &mut Session, data: Option<&[u8]>) -> Event {
        let mut offset = 0;
        loop {
            self.out.clear();
            if session.poll_transmit(&mut self.out) > 0 {
                self.stream.write_all(&self.out).expect("write");
                continue;
            }
            if let Some(event) = session.poll_event() {
                return event;
            }
            if let Some(data) = data.filter(|_| session.wants_message_data()) {
                let now = Instant::now();
                if offset < data.len() {
                    let end = (offset + 64 * 1024).min(data.len());
                    session
                        .push_message_data(now, &data[offset..end])
                        .expect("data");
                    offset = end;
                } else {
                    session.finish_message(now).expect("finish");
                }
                continue;
            }
            let n = self.stream.read(&mut self.buf).expect("read");
            if n == 0 {
                session.handle_eof(Instant::now());
            } else {
                session.handle_input(Instant::now(), &self.buf[..n]);
            }
        }
    }
}

pub fn domain(name: &str) -> Domain {
    Domain {
        ascii: name.into(),
        unicode: None,
    }
}

/// Options for the component's `open`: EHLO `bench.example`, no AUTH, no DANE.
pub fn open_options(tls_mode: TlsMode, remote: &str, extra_root_cas: Vec<Vec<u8>>) -> OpenOptions {
    OpenOptions {
        tls_mode,
        verify_pkix: !extra_root_cas.is_empty(),
        ehlo_hostname: domain("bench.example"),
        remote_hostname: Some(domain(remote)),
        auth: None,
        dane_records: None,
        dane_more_hostnames: Vec::new(),
        ignore_tls_verify_errors: false,
        extra_root_cas,
        client_certificate: None,
        timeouts: None,
        tls_results: None,
    }
}
