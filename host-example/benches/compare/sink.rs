//! The benchmark's sink: a tokio server on 127.0.0.1 that costs far less than the clients. It
//! reads whatever has arrived, answers every complete command in it with one write, and
//! discards message data (scanned for the end of data, never stored), so 10 MiB and 100 MiB
//! messages need no memory. `host_example::sink::Sink` keeps every message and reads line by
//! line, which a 10 MiB row would turn into a benchmark of the sink.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How the sink treats its connections.
#[derive(Debug, Clone, Copy)]
pub struct SinkOptions {
    /// Set TCP_QUICKACK after every read: ACK at once instead of delaying up to 40 ms, so a
    /// client without TCP_NODELAY is not held by Nagle's algorithm (tcp(7)).
    pub quickack: bool,
    /// Offer CHUNKING and accept BDAT (RFC 3030 §2).
    pub chunking: bool,
}

/// A running sink.
pub struct FastSink {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FastSink {
    pub async fn start(options: SinkOptions) -> FastSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    // A client that goes away only ends its own connection.
                    let _ended = serve(stream, options).await;
                });
            }
        });
        FastSink { addr, task }
    }
}

impl Drop for FastSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn set_quickack(stream: &TcpStream) {
    let one: libc::c_int = 1;
    // SAFETY: a valid socket and an int option of the right size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Where the sink is in the conversation.
enum State {
    Commands,
    /// After DATA: discarding until CRLF "." CRLF (RFC 5321 §4.1.1.4); `tail` holds the last
    /// bytes seen, `start` is true before any data (the end may come as "." CRLF at once).
    Data {
        tail: Vec<u8>,
        start: bool,
    },
    /// Inside a BDAT chunk of `left` bytes; `last` if it carried LAST (RFC 3030 §2).
    Chunk {
        left: usize,
        last: bool,
    },
}

async fn serve(mut stream: TcpStream, options: SinkOptions) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream
        .write_all(b"220 sink.example ESMTP bench sink\r\n")
        .await?;
    let mut buf = vec![0; 256 * 1024];
    let mut pending = Vec::new();
    let mut out = Vec::new();
    let mut state = State::Commands;
    loop {
        let n = stream.read(&mut buf).await?;
        if options.quickack {
            set_quickack(&stream);
        }
        if n == 0 {
            return Ok(());
        }
        let mut input = &buf[..n];
        while !input.is_empty() {
            match &mut state {
                State::Data { tail, start } => {
                    let mut window = std::mem::take(tail);
                    let keep = window.len();
                    window.extend_from_slice(&input[..input.len().min(5)]);
                    let end = find_end(&window, *start)
                        .map(|e| e - keep)
                        .or_else(|| find_end(input, *start && keep == 0));
                    match end {
                        Some(end) => {
                            input = &input[end..];
                            out.extend_from_slice(b"250 2.0.0 accepted\r\n");
                            state = State::Commands;
                        }
                        None => {
                            let mut rest = if input.len() >= 4 {
                                input[input.len() - 4..].to_vec()
                            } else {
                                let mut rest = window[..keep].to_vec();
                                rest.extend_from_slice(input);
                                rest
                            };
                            let cut = rest.len().saturating_sub(4);
                            rest.drain(..cut);
                            *tail = rest;
                            *start = false;
                            input = &[];
                        }
                    }
                }
                State::Chunk { left, last } => {
                    let take = (*left).min(input.len());
                    input = &input[take..];
                    *left -= take;
                    if *left == 0 {
                        out.extend_from_slice(if *last {
                            b"250 2.0.0 accepted\r\n"
                        } else {
                            b"250 2.0.0 chunk ok\r\n"
                        });
                        state = State::Commands;
                    }
                }
                State::Commands => {
                    let Some(eol) = input.iter().position(|&b| b == b'\n') else {
                        pending.extend_from_slice(input);
                        input = &[];
                        continue;
                    };
                    pending.extend_from_slice(&input[..=eol]);
                    input = &input[eol + 1..];
                    let line = String::from_utf8_lossy(&pending).to_ascii_uppercase();
                    pending.clear();
                    state = command(line.trim_end(), options, &mut out);
                    if line.starts_with("QUIT") {
                        stream.write_all(&out).await?;
                        return Ok(());
                    }
                }
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
    }
}

/// The reply to one command line, and the state after it.
fn command(line: &str, options: SinkOptions, out: &mut Vec<u8>) -> State {
    if line.starts_with("EHLO") {
        out.extend_from_slice(b"250-sink.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n");
        if options.chunking {
            out.extend_from_slice(b"250-CHUNKING\r\n");
        }
        out.extend_from_slice(b"250 SIZE 1073741824\r\n");
    } else if line == "DATA" {
        out.extend_from_slice(b"354 go ahead\r\n");
        return State::Data {
            tail: Vec::new(),
            start: true,
        };
    } else if let Some(args) = line.strip_prefix("BDAT ").filter(|_| options.chunking) {
        let mut words = args.split_ascii_whitespace();
        if let Some(Ok(left)) = words.next().map(str::parse::<usize>) {
            let last = words.next() == Some("LAST");
            if left > 0 {
                return State::Chunk { left, last };
            }
            out.extend_from_slice(b"250 2.0.0 accepted\r\n");
        } else {
            out.extend_from_slice(b"501 5.5.4 bad chunk size\r\n");
        }
    } else if line.starts_with("QUIT") {
        out.extend_from_slice(b"221 2.0.0 bye\r\n");
    } else if line.starts_with("MAIL")
        || line.starts_with("RCPT")
        || line == "RSET"
        || line == "NOOP"
        || line.starts_with("HELO")
    {
        out.extend_from_slice(b"250 2.0.0 ok\r\n");
    } else {
        out.extend_from_slice(b"500 5.5.2 unrecognized command\r\n");
    }
    State::Commands
}

/// The offset just past the end-of-data marker in `data`: CRLF "." CRLF, or "." CRLF at the
/// very start of the data (an empty message).
fn find_end(data: &[u8], start: bool) -> Option<usize> {
    if start && data.starts_with(b".\r\n") {
        return Some(3);
    }
    memchr::memmem::find(data, b"\r\n.\r\n").map(|p| p + 5)
}
