//! The benchmark's sink: a tokio server on 127.0.0.1 that costs far less than the clients. It
//! reads whatever has arrived, answers every complete command in it with one write, and
//! discards message data (scanned for the end of data, never stored), so 10 MiB and 100 MiB
//! messages need no memory. `host_example::sink::Sink` keeps every message and reads line by
//! line, which a 10 MiB row would turn into a benchmark of the sink.
//!
//! Every table talks to the sink in a process of its own ([`SinkProcess`]: this bench's own
//! binary started again with [`SINK_PROCESS`] set). In the measured process, an async client
//! and the sink would share tokio's workers and hand each other data with no kernel wake-up,
//! which flatters the async clients.

use crate::proxy::DelayProxy;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Set in the environment of the child process that serves a sink: its [`SinkOptions`].
pub const SINK_PROCESS: &str = "BENCH_SINK_PROCESS";

/// How the sink treats its connections.
#[derive(Debug, Clone, Copy, Default)]
pub struct SinkOptions {
    /// Set TCP_QUICKACK after every read: ACK at once instead of delaying up to 40 ms, so a
    /// client without TCP_NODELAY is not held by Nagle's algorithm (tcp(7)).
    pub quickack: bool,
    /// Offer CHUNKING and accept BDAT (RFC 3030 §2).
    pub chunking: bool,
    /// Put the delaying proxy ([`DelayProxy`]) in front, holding every chunk this long in
    /// each direction.
    pub one_way_delay: Option<Duration>,
}

impl SinkOptions {
    /// The options as the child's environment carries them: "quickack chunking delay=10".
    fn encode(&self) -> String {
        let mut words = Vec::new();
        if self.quickack {
            words.push("quickack".to_string());
        }
        if self.chunking {
            words.push("chunking".to_string());
        }
        if let Some(delay) = self.one_way_delay {
            words.push(format!("delay={}", delay.as_millis()));
        }
        words.join(" ")
    }

    fn decode(text: &str) -> SinkOptions {
        let mut options = SinkOptions::default();
        for word in text.split_whitespace() {
            match word {
                "quickack" => options.quickack = true,
                "chunking" => options.chunking = true,
                _ => {
                    let millis = word
                        .strip_prefix("delay=")
                        .and_then(|m| m.parse().ok())
                        .unwrap_or_else(|| panic!("bad sink option {word:?}"));
                    options.one_way_delay = Some(Duration::from_millis(millis));
                }
            }
        }
        options
    }
}

/// A sink (behind its proxy, if any) in a child process, ended when dropped.
pub struct SinkProcess {
    child: Child,
    /// Where clients connect: the sink, or the proxy in front of it.
    pub addr: SocketAddr,
}

impl SinkProcess {
    pub fn start(options: SinkOptions) -> SinkProcess {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env(SINK_PROCESS, options.encode())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the sink process");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("sink address");
        let addr = line.trim().parse().expect("a socket address");
        SinkProcess { child, addr }
    }
}

impl Drop for SinkProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ended = self.child.wait();
    }
}

/// In the child: serve the sink `options` describes, print the address to connect to, and
/// end when the parent closes stdin.
pub fn serve_process(runtime: &tokio::runtime::Runtime, options: &str) {
    crate::scale::raise_nofile();
    let options = SinkOptions::decode(options);
    let sink = runtime.block_on(FastSink::start(options));
    let proxy = options
        .one_way_delay
        .map(|delay| runtime.block_on(DelayProxy::start(sink.addr, delay)));
    println!("{}", proxy.as_ref().map_or(sink.addr, |proxy| proxy.addr));
    std::io::stdout().flush().expect("stdout");
    // Blocks until the parent is done (or gone).
    let _eof = std::io::stdin().read_line(&mut String::new());
}

/// A running sink.
struct FastSink {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl FastSink {
    async fn start(options: SinkOptions) -> FastSink {
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
