//! A small SMTP server of ours that accepts every message and keeps it in memory: the
//! receiving side of the demo (RFC 5321 server behaviour kept to what a sink needs).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The largest message the sink accepts, announced with SIZE (RFC 1870).
const MAX_SIZE: usize = 50 * 1024 * 1024;

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The message after dot-unstuffing (RFC 5321 §4.5.2), CRLF line endings as sent.
    pub data: Vec<u8>,
}

/// A running sink on 127.0.0.1.
pub struct Sink {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sink {
    /// Listen on 127.0.0.1 with a port chosen by the system.
    ///
    /// # Errors
    /// When the listener cannot be bound.
    pub async fn start() -> std::io::Result<Sink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    // A client that misbehaves only ends its own connection.
                    let _ended = serve(stream, store).await;
                });
            }
        });
        Ok(Sink {
            addr,
            received,
            task,
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

async fn serve(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    // Replies to pipelined commands are written one by one: without this, Nagle's algorithm
    // holds the second until the client's delayed ACK (40 ms on Linux).
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 sink.example ESMTP demo sink\r\n")
        .await?;
    let mut mail_from = None;
    let mut recipients = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"
        } else if command.starts_with("HELO") {
            b"250 sink.example\r\n"
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
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let data = read_data(&mut lines).await?;
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
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"500 5.5.2 unrecognized command\r\n"
        };
        write.write_all(reply).await?;
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
