//! A small SMTP server of ours that accepts every message and keeps it in memory: the
//! receiving side of the demo (RFC 5321 server behaviour kept to what a sink needs), with
//! STARTTLS (RFC 3207) on a self-signed certificate made at start when asked for.

use rcgen::{CertifiedKey, PublicKeyData};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// The largest message the sink accepts, announced with SIZE (RFC 1870).
const MAX_SIZE: usize = 50 * 1024 * 1024;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The message after dot-unstuffing (RFC 5321 §4.5.2), CRLF line endings as sent.
    pub data: Vec<u8>,
    /// Whether the transaction ran inside TLS after STARTTLS.
    pub tls: bool,
    /// The address the client connected from.
    pub client: SocketAddr,
}

/// A running sink on 127.0.0.1.
pub struct Sink {
    pub addr: SocketAddr,
    /// The SHA-256 of the certificate's SubjectPublicKeyInfo, when STARTTLS is offered: the
    /// data of a `3 1 1` TLSA record (RFC 6698 §2.1.3, DANE-EE with SPKI selector).
    pub spki_sha256: Option<[u8; 32]>,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

/// A sink could not start.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("cannot make the certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("tls server configuration: {0}")]
    Tls(#[from] rustls::Error),
}

impl Sink {
    /// Listen on 127.0.0.1 with a port chosen by the system; no STARTTLS.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start() -> std::io::Result<Sink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Sink::serve_on(listener, None, None)
    }

    /// Listen on 127.0.0.1 and offer STARTTLS with a fresh self-signed certificate for
    /// `hostname` (an ECDSA P-256 key).
    ///
    /// # Errors
    /// When the listener cannot be bound or the certificate cannot be made.
    pub async fn start_tls(hostname: &str) -> Result<Sink, SinkError> {
        let CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec![hostname.to_string()])?;
        let spki_sha256: [u8; 32] = Sha256::digest(signing_key.subject_public_key_info()).into();
        let key = PrivateKeyDer::try_from(signing_key.serialize_der())
            .map_err(|e| SinkError::Tls(rustls::Error::General(format!("private key: {e}"))))?;
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()?
                .with_no_client_auth()
                .with_single_cert(vec![CertificateDer::from(cert.der().to_vec())], key)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Ok(Sink::serve_on(
            listener,
            Some(TlsAcceptor::from(Arc::new(config))),
            Some(spki_sha256),
        )?)
    }

    fn serve_on(
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
        spki_sha256: Option<[u8; 32]>,
    ) -> std::io::Result<Sink> {
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, client)) = listener.accept().await {
                let store = Arc::clone(&store);
                let tls = tls.clone();
                tokio::spawn(async move {
                    // A client that misbehaves only ends its own connection.
                    let _ended = serve(stream, client, tls, store).await;
                });
            }
        });
        Ok(Sink {
            addr,
            spki_sha256,
            received,
            task,
        })
    }

    /// The `3 1 1 <hex>` TLSA record data matching the certificate, when STARTTLS is offered.
    pub fn tlsa_3_1_1(&self) -> Option<String> {
        self.spki_sha256.map(|hash| {
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            format!("3 1 1 {hex}")
        })
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a session in one layer (plain or TLS) ended.
enum Ended {
    Closed,
    StartTls,
}

async fn serve(
    stream: TcpStream,
    client: SocketAddr,
    tls: Option<TlsAcceptor>,
    store: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    // Replies to pipelined commands are written one by one: without this, Nagle's algorithm
    // holds the second until the client's delayed ACK (40 ms on Linux).
    stream.set_nodelay(true)?;
    let mut plain = BufReader::new(stream);
    plain
        .write_all(b"220 sink.example ESMTP demo sink\r\n")
        .await?;
    let ended = session(
        &mut plain,
        Layer::Plain {
            offer_starttls: tls.is_some(),
        },
        client,
        &store,
    )
    .await?;
    let (Ended::StartTls, Some(acceptor)) = (ended, tls) else {
        return Ok(());
    };
    // RFC 3207 §4.2: nothing the client sent before the handshake may be taken as a command
    // inside TLS; a client that pipelined past STARTTLS is dropped.
    if !plain.buffer().is_empty() {
        return Err(std::io::Error::other(
            "data after STARTTLS before the handshake",
        ));
    }
    let stream = acceptor.accept(plain.into_inner()).await?;
    let mut secure = BufReader::new(stream);
    session(&mut secure, Layer::Tls, client, &store)
        .await
        .map(|_| ())
}

/// How the session's stream is protected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layer {
    Plain { offer_starttls: bool },
    Tls,
}

/// Commands up to QUIT, the end of the stream, or an accepted STARTTLS when offered. The
/// state starts fresh, as on a new connection (RFC 3207 §4.2).
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    layer: Layer,
    client: SocketAddr,
    store: &Mutex<Vec<Received>>,
) -> std::io::Result<Ended> {
    let offer_starttls = layer
        == Layer::Plain {
            offer_starttls: true,
        };
    let mut mail_from = None;
    let mut recipients = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if conn.read_until(b'\n', &mut line).await? == 0 {
            return Ok(Ended::Closed);
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            if offer_starttls {
                b"250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n250 SIZE 52428800\r\n"
            } else {
                b"250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"
            }
        } else if command.starts_with("HELO") {
            b"250 sink.example\r\n"
        } else if command == "STARTTLS" && offer_starttls {
            conn.write_all(b"220 2.0.0 ready to start TLS\r\n").await?;
            conn.flush().await?;
            return Ok(Ended::StartTls);
        } else if command.starts_with("MAIL FROM:") {
            mail_from = Some(path(&text));
            recipients.clear();
            b"250 2.1.0 ok\r\n"
        } else if command.starts_with("RCPT TO:") {
            if mail_from.is_none() {
                b"503 5.5.1 need MAIL first\r\n"
            } else {
                recipients.push(path(&text));
                b"250 2.1.5 ok\r\n"
            }
        } else if command == "DATA" {
            if recipients.is_empty() {
                b"554 5.5.1 no valid recipients\r\n"
            } else {
                conn.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                conn.flush().await?;
                let data = read_data(conn).await?;
                let Some(from) = mail_from.take() else {
                    continue;
                };
                if data.len() > MAX_SIZE {
                    b"552 5.3.4 message too big\r\n"
                } else {
                    if let Ok(mut store) = store.lock() {
                        store.push(Received {
                            mail_from: from,
                            recipients: std::mem::take(&mut recipients),
                            data,
                            tls: layer == Layer::Tls,
                            client,
                        });
                    }
                    b"250 2.0.0 queued\r\n"
                }
            }
        } else if command == "RSET" {
            mail_from = None;
            recipients.clear();
            b"250 2.0.0 ok\r\n"
        } else if command == "NOOP" {
            b"250 2.0.0 ok\r\n"
        } else if command == "QUIT" {
            conn.write_all(b"221 2.0.0 bye\r\n").await?;
            conn.flush().await?;
            return Ok(Ended::Closed);
        } else {
            b"500 5.5.2 unrecognized command\r\n"
        };
        conn.write_all(reply).await?;
        conn.flush().await?;
    }
}

/// The text between `<` and `>` of a MAIL or RCPT line.
fn path(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_string()
}

/// Message data up to the "." line, dot-unstuffed.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut R) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" {
            return Ok(data);
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}
