//! Self-test of the real-peer support (`tests/support`): proves that the peers start and work
//! where the suite runs (CI: as root, in a private network namespace). Plain std sockets only,
//! no code of the project, so a failure here is about the peer setup.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use support::{Aiosmtpd, Certs, Dns, DnsConfig, Postfix, peers_enabled};

/// A minimal SMTP client: sends a command, reads the (multi-line) reply.
struct Raw {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Raw {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    /// Reads one reply; returns (code, all lines).
    fn reply(&mut self) -> (u16, Vec<String>) {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).expect("reading a reply");
            assert!(line.ends_with("\r\n"), "reply line without CRLF: {line:?}");
            let done = line.as_bytes().get(3) == Some(&b' ');
            lines.push(line.trim_end().to_string());
            if done {
                let code = lines[0][..3].parse().expect("reply code");
                return (code, lines);
            }
        }
    }

    fn cmd(&mut self, bytes: &[u8]) -> (u16, Vec<String>) {
        self.w.write_all(bytes).expect("write");
        self.reply()
    }

    fn expect(&mut self, bytes: &[u8], code: u16) -> Vec<String> {
        let (got, lines) = self.cmd(bytes);
        assert_eq!(
            got,
            code,
            "{:?} -> {lines:?}",
            String::from_utf8_lossy(bytes)
        );
        lines
    }
}

/// The message as the client sends it (dot-stuffed), and as the peer must store it.
const WIRE: &[u8] = b"From: a@example.org\r\nTo: b@example.test\r\nSubject: peer self-test\r\n\r\n\
..leading dot\r\nline with trailing space \r\n\r\nlast line\r\n.\r\n";
const STORED: &[u8] =
    b"From: a@example.org\r\nTo: b@example.test\r\nSubject: peer self-test\r\n\r\n\
.leading dot\r\nline with trailing space \r\n\r\nlast line\r\n";

#[test]
fn aiosmtpd_stores_a_message_byte_exact() {
    if !peers_enabled("aiosmtpd") {
        return;
    }
    let started = Instant::now();
    let peer = Aiosmtpd::start(&["--ehlo-add", "PIPELINING", "--ehlo-drop", "SMTPUTF8"]);
    eprintln!("aiosmtpd peer started in {:?}", started.elapsed());

    let mut c = Raw::connect(peer.addr());
    let (code, greeting) = c.reply();
    assert_eq!(code, 220, "{greeting:?}");
    let ehlo = c.expect(b"EHLO client.example.org\r\n", 250);
    assert!(ehlo.iter().any(|l| l.ends_with("PIPELINING")), "{ehlo:?}");
    assert!(!ehlo.iter().any(|l| l.contains("SMTPUTF8")), "{ehlo:?}");
    c.expect(b"MAIL FROM:<a@example.org> BODY=8BITMIME\r\n", 250);
    c.expect(b"RCPT TO:<b@example.test>\r\n", 250);
    let rejected = c.expect(b"RCPT TO:<reject550@example.test>\r\n", 550);
    assert!(rejected[0].starts_with("550 5.1.1"), "{rejected:?}");
    c.expect(b"RCPT TO:<defer451@example.test>\r\n", 451);
    c.expect(b"DATA\r\n", 354);
    c.expect(WIRE, 250);
    // A second transaction whose data is refused: nothing stored.
    c.expect(b"MAIL FROM:<a@example.org>\r\n", 250);
    c.expect(b"RCPT TO:<dataerr554@example.test>\r\n", 250);
    c.expect(b"DATA\r\n", 354);
    c.expect(b"x\r\n.\r\n", 554);
    c.expect(b"QUIT\r\n", 221);

    let msgs = peer.messages();
    assert_eq!(msgs.len(), 1, "stored: {msgs:?}");
    let m = &msgs[0];
    assert_eq!(
        m.eml,
        STORED,
        "stored {:?}",
        String::from_utf8_lossy(&m.eml)
    );
    assert_eq!(m.meta["mail_from"], "a@example.org");
    assert_eq!(m.meta["rcpt_tos"], serde_json::json!(["b@example.test"]));
    assert_eq!(m.meta["mail_options"], serde_json::json!(["BODY=8BITMIME"]));
    assert_eq!(m.meta["helo"], "client.example.org");
    assert_eq!(m.meta["tls"], serde_json::Value::Null);
    assert_eq!(m.meta["size"], STORED.len());
}

#[test]
fn aiosmtpd_offers_starttls_and_implicit_tls() {
    if !peers_enabled("aiosmtpd") {
        return;
    }
    let certs = Certs::generate();
    let (cert, key) = (certs.cert(), certs.key());
    let peer = Aiosmtpd::start(&[
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--tls-port",
        "0",
        "--auth",
        "user@example.test:secret",
    ]);
    let tls_port = peer.tls_port().expect("TLS_PORT printed");
    assert_ne!(tls_port, peer.port());
    let mut c = Raw::connect(peer.addr());
    c.reply();
    let ehlo = c.expect(b"EHLO client.example.org\r\n", 250);
    assert!(ehlo.iter().any(|l| l.ends_with("STARTTLS")), "{ehlo:?}");
    // AUTH only after TLS
    assert!(!ehlo.iter().any(|l| l.contains("AUTH")), "{ehlo:?}");
    c.expect(b"STARTTLS\r\n", 220);
    // The implicit-TLS listener accepts connections (the handshake needs a TLS client).
    TcpStream::connect(("127.0.0.1", tls_port)).expect("implicit TLS port listens");
}

#[test]
fn postfix_accepts_mail_into_its_maildir() {
    if !peers_enabled("postfix") {
        return;
    }
    let started = Instant::now();
    let pf = Postfix::start();
    eprintln!("postfix started in {:?}", started.elapsed());
    let mut c = Raw::connect(SocketAddr::from(([127, 0, 0, 1], pf.smtp_port())));
    let (code, greeting) = c.reply();
    assert_eq!(code, 220, "{greeting:?}");
    let ehlo = c.expect(b"EHLO client.example.org\r\n", 250);
    for ext in ["PIPELINING", "STARTTLS", "SMTPUTF8", "CHUNKING", "8BITMIME"] {
        assert!(ehlo.iter().any(|l| l.ends_with(ext)), "{ext} in {ehlo:?}");
    }
    c.expect(b"MAIL FROM:<a@example.org>\r\n", 250);
    c.expect(b"RCPT TO:<reject550@example.test>\r\n", 550);
    c.expect(b"RCPT TO:<b@example.test>\r\n", 250);
    c.expect(b"DATA\r\n", 354);
    c.expect(WIRE, 250);
    c.expect(b"QUIT\r\n", 221);
    let msgs = pf.wait_messages(1);
    assert_eq!(msgs.len(), 1, "maillog:\n{}", pf.log());
    let text = String::from_utf8_lossy(&msgs[0]);
    assert!(text.contains("Delivered-To: b@example.test\n"), "{text}");
    // Postfix stores LF line endings and dot-unstuffs.
    assert!(
        text.ends_with("\n.leading dot\nline with trailing space \n\nlast line\n"),
        "{text}"
    );

    let mut s = Raw::connect(SocketAddr::from(([127, 0, 0, 1], pf.submission_port())));
    s.reply();
    let ehlo = s.expect(b"EHLO client.example.org\r\n", 250);
    assert!(ehlo.iter().any(|l| l.ends_with("STARTTLS")), "{ehlo:?}");
    assert!(
        !ehlo.iter().any(|l| l.contains("AUTH")),
        "no AUTH before TLS: {ehlo:?}"
    );
}

/// Sends one DNS query over UDP (with EDNS DO) and returns (rcode, AD flag, answer count).
fn dns_query(server: SocketAddr, name: &str, qtype: u16) -> (u8, bool, u16) {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]; // RD, 1 question, 1 additional
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]); // IN
    q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]); // OPT: 1232 bytes, DO
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.send_to(&q, server).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).expect("DNS answer");
    assert!(n >= 12 && buf[..2] == [0x12, 0x34], "bad answer");
    (
        buf[3] & 0x0f,
        buf[3] & 0x20 != 0,
        u16::from_be_bytes([buf[6], buf[7]]),
    )
}

#[test]
fn dns_peer_validates_dnssec() {
    if !peers_enabled("dns") {
        return;
    }
    let started = Instant::now();
    let dns = Dns::start_with(None, &DnsConfig::default());
    eprintln!("dns peers started in {:?}", started.elapsed());
    let r = dns.resolver();
    // (rcode, AD, answers): NOERROR = 0, SERVFAIL = 2, NXDOMAIN = 3, REFUSED = 5
    for (name, qtype) in [("example.test", 15), ("_25._tcp.mx.example.test", 52)] {
        let (rc, ad, n) = dns_query(r, name, qtype);
        assert_eq!((rc, ad), (0, true), "{name} type {qtype}");
        assert!(n >= 1, "{name}: answers"); // the record (+ its RRSIG)
    }
    assert!(!dns_query(r, "insecure.test", 15).1, "insecure: no AD");
    assert_eq!(dns_query(r, "bogus.test", 15).0, 2, "bogus: SERVFAIL");
    assert_eq!(
        dns_query(r, "example.com", 1).0,
        5,
        "outside test.: REFUSED"
    );
    assert_eq!(dns.tlsa311().len(), 64);
}
