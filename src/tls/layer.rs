//! A sans-IO TLS layer over [`rustls::ClientConnection`]: ciphertext in, plaintext out, and
//! plaintext in, ciphertext out, all through caller-owned buffers (STYLE §1.1, §7.3).

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

use rustls::ClientConnection;

use super::tlsa::Tlsa;
use super::verifier::{SmtpVerifier, Verification};

/// How much plaintext is taken out of rustls at a time.
const READ_CHUNK: usize = 16 * 1024;

/// One TLS connection.
#[derive(Debug)]
pub(crate) struct TlsLayer {
    conn: ClientConnection,
    verifier: Arc<SmtpVerifier>,
    /// The peer sent close_notify.
    closed: bool,
}

impl TlsLayer {
    pub(crate) fn new(mut conn: ClientConnection, verifier: Arc<SmtpVerifier>) -> Self {
        // The session bounds what it queues (the message-data high-water mark); rustls must
        // not refuse plaintext the session already accepted.
        conn.set_buffer_limit(None);
        TlsLayer {
            conn,
            verifier,
            closed: false,
        }
    }

    /// Feeds ciphertext from the socket; decrypted bytes are appended to `plain`.
    ///
    /// # Errors
    /// The TLS error; the layer is unusable afterwards (rustls errors are sticky).
    pub(crate) fn receive(
        &mut self,
        mut bytes: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<(), rustls::Error> {
        while !bytes.is_empty() && !self.closed {
            let n = self
                .conn
                .read_tls(&mut bytes)
                .map_err(|e| rustls::Error::General(e.to_string()))?;
            self.conn.process_new_packets()?;
            self.drain(plain);
            if n == 0 {
                break;
            }
        }
        Ok(())
    }

    fn drain(&mut self, plain: &mut Vec<u8>) {
        let mut buf = [0u8; READ_CHUNK];
        loop {
            match self.conn.reader().read(&mut buf) {
                Ok(0) => {
                    self.closed = true;
                    return;
                }
                Ok(n) => plain.extend_from_slice(&buf[..n]),
                // WouldBlock: nothing more for now; UnexpectedEof cannot happen before EOF.
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.closed = true;
                    return;
                }
            }
        }
    }

    /// Encrypts `plain` (buffered until the handshake completes).
    pub(crate) fn write(&mut self, plain: &[u8]) {
        // With no buffer limit, writing to rustls cannot fail or stop short.
        let _ = self.conn.writer().write_all(plain);
    }

    /// Appends the ciphertext to send to `out`.
    pub(crate) fn transmit(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            match self.conn.write_tls(out) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// What the verifier found, once the certificate was seen.
    pub(crate) fn verification(&self) -> Option<Verification> {
        self.verifier.outcome()
    }

    /// The TLS state after the handshake.
    pub(crate) fn state(&self) -> Option<TlsState> {
        if self.conn.is_handshaking() {
            return None;
        }
        let verification = self.verification();
        Some(TlsState {
            version: match self.conn.protocol_version()? {
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
                _ => "unknown",
            },
            cipher_suite: self
                .conn
                .negotiated_cipher_suite()?
                .suite()
                .as_str()
                .unwrap_or("unknown"),
            peer_certificates: self
                .conn
                .peer_certificates()
                .map(|certs| certs.iter().map(|c| c.to_vec()).collect())
                .unwrap_or_default(),
            dane_verified_record: verification
                .as_ref()
                .and_then(|v| v.dane.as_ref()?.verified.clone()),
            pkix_valid: verification.is_some_and(|v| v.pkix.is_ok()),
        })
    }

    /// RFC 9266 §2 tls-exporter channel binding: 32 bytes exported with the label
    /// "EXPORTER-Channel-Binding" and an empty context. Only for TLS 1.3: RFC 9266 §3 "the
    /// 'tls-exporter' channel binding ... MUST NOT be used ... unless ... extended master
    /// secret", which rustls's TLS 1.2 does not let us confirm; so none on TLS 1.2.
    pub(crate) fn channel_binding(&self) -> Option<Vec<u8>> {
        if self.conn.is_handshaking()
            || self.conn.protocol_version()? != rustls::ProtocolVersion::TLSv1_3
        {
            return None;
        }
        self.conn
            .export_keying_material(vec![0u8; 32], b"EXPORTER-Channel-Binding", Some(&[]))
            .ok()
    }
}

/// What TLS looks like on a session (the WIT `tls-state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsState {
    /// "TLSv1.2" or "TLSv1.3".
    pub version: &'static str,
    /// The cipher suite as rustls names it, e.g. "TLS13_AES_128_GCM_SHA256".
    pub cipher_suite: &'static str,
    /// The server's chain, leaf first, DER.
    pub peer_certificates: Vec<Vec<u8>>,
    /// The TLSA record that verified the server, when DANE did.
    pub dane_verified_record: Option<Tlsa>,
    /// The chain verified with PKIX for the remote host name.
    pub pkix_valid: bool,
}
