//! The scriptable SMTP peer `tests/peers/aiosmtpd_peer.py` as a child process.
//!
//! ```ignore
//! let peer = Aiosmtpd::start(&["--ehlo-add", "PIPELINING"]);
//! // ... deliver to 127.0.0.1:peer.port() ...
//! let msgs = peer.wait_messages(1);
//! assert_eq!(msgs[0].eml, b"Subject: x\r\n\r\nbody\r\n");
//! assert_eq!(msgs[0].meta["rcpt_tos"][0], "b@example.test");
//! ```
//! Arguments of the peer (see the script's docstring): `--cert C --key K` (STARTTLS),
//! `--tls-port 0` (also implicit TLS, see [`Aiosmtpd::tls_port`]), `--require-starttls`,
//! `--auth user:pass`, `--auth-required`, `--size N`, `--no-smtputf8`, `--ehlo-add EXT`,
//! `--ehlo-drop EXT`, `--rcpt-reply LOCAL=REPLY`, `--data-reply LOCAL=REPLY`.
//! Built-in scripted recipients: `reject550@` `defer451@` `reject552@` `hangrcpt@` at RCPT,
//! `dataerr554@` `datadefer421@` `hang@` at the end of DATA.

use super::{TempDir, peer_dir, peer_python};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(20);
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// One message the peer accepted.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// Exactly the bytes between DATA and the final dot (CRLF kept, dot-unstuffed).
    pub eml: Vec<u8>,
    /// mail_from, rcpt_tos, mail_options, rcpt_options, rcpts [{address, options}], helo,
    /// tls ([version, cipher] or null), tls_via ("starttls"/"implicit"/null), auth, peer, size.
    pub meta: serde_json::Value,
}

/// A running `aiosmtpd_peer.py`. Dropping it kills the process and removes its directory
/// (kept when the test is panicking: the path is printed).
#[derive(Debug)]
pub struct Aiosmtpd {
    child: Child,
    port: u16,
    tls_port: Option<u16>,
    out: PathBuf,
    stderr: PathBuf,
    dir: Option<TempDir>,
}

impl Aiosmtpd {
    /// Starts the peer on 127.0.0.1 with a free port (`--port 0`) and `--out <tempdir>`, plus
    /// `args`; waits (up to 20 s) until it listens. Panics with the peer's stderr if it fails.
    pub fn start(args: &[&str]) -> Aiosmtpd {
        let dir = TempDir::new("aiosmtpd");
        let out = dir.path().join("out");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("creating the peer's stderr log");
        let script = peer_dir().join("aiosmtpd_peer.py");
        let python = peer_python();
        let started = Instant::now();
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["--port", "0", "--out"])
            .arg(&out)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} {}: {e}", python.display(), script.display()));

        // Read stdout on a thread: `TLS_PORT n` (optional), then `PORT n` = ready.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut port = None;
        let mut tls_port = None;
        let deadline = started + START_TIMEOUT;
        while port.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let mut words = line.split_whitespace();
                    let key = words.next();
                    let value = words.next().and_then(|p| p.parse::<u16>().ok());
                    match (key, value) {
                        (Some("PORT"), Some(p)) => port = Some(p),
                        (Some("TLS_PORT"), Some(p)) => tls_port = Some(p),
                        _ => {}
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                    panic!(
                        "aiosmtpd peer did not start within {START_TIMEOUT:?} ({}; exit {status:?}): \
                         {} {} --port 0 --out {} {}\nstderr:\n{log}",
                        match e {
                            mpsc::RecvTimeoutError::Timeout => "timeout",
                            mpsc::RecvTimeoutError::Disconnected => "its stdout closed",
                        },
                        python.display(),
                        script.display(),
                        out.display(),
                        args.join(" ")
                    );
                }
            }
        }
        Aiosmtpd {
            child,
            port: port.expect("loop ends with a port"),
            tls_port,
            out,
            stderr: stderr_path,
            dir: Some(dir),
        }
    }

    /// The plain/STARTTLS port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The implicit-TLS port, when started with `--tls-port 0`.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Where the messages are written (`<n>.eml` + `<n>.json`).
    pub fn out_dir(&self) -> &Path {
        &self.out
    }

    /// What the peer wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The messages accepted so far, in order, without waiting.
    pub fn messages_now(&self) -> Vec<StoredMessage> {
        let mut out = Vec::new();
        for n in 1.. {
            // The .json is written (renamed into place) after the .eml: its presence means done.
            let json = self.out.join(format!("{n}.json"));
            let Ok(meta) = std::fs::read(&json) else {
                break;
            };
            let eml = std::fs::read(self.out.join(format!("{n}.eml")))
                .unwrap_or_else(|e| panic!("reading {n}.eml: {e}"));
            let meta = serde_json::from_slice(&meta)
                .unwrap_or_else(|e| panic!("parsing {}: {e}", json.display()));
            out.push(StoredMessage { eml, meta });
        }
        out
    }

    /// The messages accepted so far; waits up to 10 s for the first one (an empty result means
    /// none came). Use [`Aiosmtpd::wait_messages`] when more than one is expected.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.wait_messages(1)
    }

    /// Waits up to 10 s until at least `n` messages are there and returns all of them (maybe
    /// fewer than `n` when the time ran out).
    pub fn wait_messages(&self, n: usize) -> Vec<StoredMessage> {
        let deadline = Instant::now() + MESSAGE_TIMEOUT;
        loop {
            let msgs = self.messages_now();
            if msgs.len() >= n || Instant::now() >= deadline {
                return msgs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Keep the messages and the peer's stderr of a failing test.
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            eprintln!("aiosmtpd peer directory kept: {}", dir.keep().display());
        }
    }
}
