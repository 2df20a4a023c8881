//! A scripted SMTP server on 127.0.0.1 (tokio): it sends what its script says, when the
//! script says, and checks that the client's lines start as expected. Scripts are data:
//! [`parse_script`] reads the text form that `tests/hostile/*.scn` use.
//!
//! ```text
//! S: text            a line; CRLF is appended (escapes: \r \n \t \0 \\ \xHH)
//! S~ text            bytes as they are
//! S*N: text          the line N times
//! S~*N text          the bytes N times
//! S/MS: text         the line byte by byte, MS milliseconds apart
//! C: PREFIX          the client's next line starts with PREFIX (ASCII case-insensitive)
//! C: .               the client's message data up to and including the final "."
//! sleep: SECONDS     wait
//! stop-reading: S    sleep: the server neither reads nor writes, the client's writes back up
//! close              close the connection now (the end of the script closes it too)
//! drain              read and discard until the client closes
//! auth-loop: N       up to N times: read a client line and answer 334 with a CRAM-MD5
//!                    challenge; a "*" (RFC 4954 §4 cancel) is answered 501 and ends the loop
//! scram: bad-signature | bad-nonce | server-error
//!                    answer the client's SCRAM AUTH line (RFC 5802) with a server-first
//!                    message, then a server-final message with a wrong signature; or a
//!                    server-first message whose nonce does not extend the client's; a
//!                    following "*" is answered 501. server-error: the client's final
//!                    message is answered "e=invalid-proof" (RFC 5802 §7), and the "*"
//!                    that follows with 535 5.7.8, as a server refusing a wrong password does
//! deliver            the rest of a plain delivery: EHLO, MAIL, RCPT, DATA, ".", QUIT
//! ```
//!
//! When the client closes the connection the script ends quietly: the client's typed error
//! is what the tests check. A client line that does not match is a script failure.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One step of a script.
#[derive(Debug, Clone)]
pub enum Step {
    Send(Vec<u8>),
    SendSlowly(Vec<u8>, Duration),
    Expect(String),
    ExpectData,
    Sleep(Duration),
    Close,
    Drain,
    AuthLoop(usize),
    Scram(ScramFault),
}

/// How the SCRAM exchange goes wrong.
#[derive(Debug, Clone, Copy)]
pub enum ScramFault {
    BadSignature,
    BadNonce,
    ServerError,
}

/// RFC 2195 §2's example challenge, base64.
pub const CRAM_CHALLENGE: &str = "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+";

/// Decodes the escapes of a script line.
pub fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).expect("\\xHH escape"));
            }
            other => panic!("bad escape \\{other:?}"),
        }
    }
    out
}

fn line(text: &str) -> Vec<u8> {
    let mut bytes = unescape(text);
    bytes.extend_from_slice(b"\r\n");
    bytes
}

/// The steps of a plain delivery after the greeting.
fn deliver() -> Vec<Step> {
    let s = |t: &str| Step::Send(line(t));
    let c = |t: &str| Step::Expect(t.to_string());
    vec![
        c("EHLO "),
        s("250-mx.example.net\r\n250-8BITMIME\r\n250 SIZE 100000000"),
        c("MAIL FROM:"),
        s("250 2.1.0 ok"),
        c("RCPT TO:"),
        s("250 2.1.5 ok"),
        c("DATA"),
        s("354 go ahead"),
        Step::ExpectData,
        s("250 2.0.0 queued"),
        c("QUIT"),
        s("221 2.0.0 bye"),
    ]
}

/// Parses one script directive; `None` when `text` is not one.
pub fn parse_step(text: &str) -> Option<Vec<Step>> {
    let seconds = |v: &str| Duration::from_secs_f64(v.trim().parse().expect("seconds"));
    let step = if let Some(rest) = text.strip_prefix("S: ") {
        Step::Send(line(rest))
    } else if let Some(rest) = text.strip_prefix("S~ ") {
        Step::Send(unescape(rest))
    } else if let Some(rest) = text.strip_prefix("S*") {
        let (count, rest) = rest.split_once(": ").expect("S*N: text");
        Step::Send(line(rest).repeat(count.parse().expect("count")))
    } else if let Some(rest) = text.strip_prefix("S~*") {
        let (count, rest) = rest.split_once(' ').expect("S~*N text");
        Step::Send(unescape(rest).repeat(count.parse().expect("count")))
    } else if let Some(rest) = text.strip_prefix("S/") {
        let (ms, rest) = rest.split_once(": ").expect("S/MS: text");
        Step::SendSlowly(line(rest), Duration::from_millis(ms.parse().expect("ms")))
    } else if text == "C: ." {
        Step::ExpectData
    } else if let Some(rest) = text.strip_prefix("C: ") {
        Step::Expect(rest.to_string())
    } else if let Some(rest) = text.strip_prefix("sleep:") {
        Step::Sleep(seconds(rest))
    } else if let Some(rest) = text.strip_prefix("stop-reading:") {
        Step::Sleep(seconds(rest))
    } else if text == "close" {
        Step::Close
    } else if text == "drain" {
        Step::Drain
    } else if let Some(rest) = text.strip_prefix("auth-loop:") {
        Step::AuthLoop(rest.trim().parse().expect("auth-loop: N"))
    } else if text == "deliver" {
        return Some(deliver());
    } else if let Some(rest) = text.strip_prefix("scram:") {
        Step::Scram(match rest.trim() {
            "bad-signature" => ScramFault::BadSignature,
            "bad-nonce" => ScramFault::BadNonce,
            "server-error" => ScramFault::ServerError,
            other => panic!("unknown scram fault {other}"),
        })
    } else {
        return None;
    };
    Some(vec![step])
}

/// A listening scripted server; [`Scripted::serve`] runs the script on one connection.
pub struct Scripted {
    listener: TcpListener,
}

impl Scripted {
    pub async fn bind() -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        Scripted { listener }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().expect("local address").port()
    }

    /// Accepts one connection, sets `accepted` and runs `steps`; `Err` when the client sent
    /// an unexpected line.
    pub async fn serve(
        self,
        steps: Vec<Step>,
        accepted: Arc<OnceLock<Instant>>,
    ) -> Result<(), String> {
        let (stream, _) = self.listener.accept().await.map_err(|e| e.to_string())?;
        let _ = accepted.set(Instant::now());
        let mut conn = Conn {
            stream: BufReader::new(stream),
        };
        for step in steps {
            match conn.step(step).await {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(Fault::ClientGone) => return Ok(()),
                Err(Fault::Script(message)) => return Err(message),
            }
        }
        Ok(())
    }
}

enum Fault {
    /// The client closed the connection (or reset it).
    ClientGone,
    Script(String),
}

impl From<std::io::Error> for Fault {
    fn from(_: std::io::Error) -> Self {
        Fault::ClientGone
    }
}

struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    /// Runs one step; `Ok(false)`: the script closed the connection.
    async fn step(&mut self, step: Step) -> Result<bool, Fault> {
        match step {
            Step::Send(bytes) => self.stream.get_mut().write_all(&bytes).await?,
            Step::SendSlowly(bytes, pause) => {
                for byte in bytes {
                    self.stream.get_mut().write_all(&[byte]).await?;
                    tokio::time::sleep(pause).await;
                }
            }
            Step::Expect(prefix) => {
                let got = self.line().await?;
                let matches = got.len() >= prefix.len()
                    && got[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes());
                if !matches {
                    return Err(Fault::Script(format!(
                        "expected a line starting {prefix:?}, got {:?}",
                        String::from_utf8_lossy(&got)
                    )));
                }
            }
            Step::ExpectData => while self.line().await? != b".\r\n" {},
            Step::Sleep(pause) => tokio::time::sleep(pause).await,
            Step::Close => return Ok(false),
            Step::Drain => loop {
                self.line().await?;
            },
            Step::AuthLoop(rounds) => {
                for _ in 0..rounds {
                    if self.line().await? == b"*\r\n" {
                        self.send_line("501 5.7.0 cancelled").await?;
                        break;
                    }
                    self.send_line(&format!("334 {CRAM_CHALLENGE}")).await?;
                }
            }
            Step::Scram(fault) => self.scram(fault).await?,
        }
        Ok(true)
    }

    /// The next line from the client, with its CRLF; EOF is [`Fault::ClientGone`].
    async fn line(&mut self) -> Result<Vec<u8>, Fault> {
        let mut line = Vec::new();
        let read = (&mut self.stream)
            .take(1 << 20)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Err(Fault::ClientGone);
        }
        Ok(line)
    }

    async fn send_line(&mut self, text: &str) -> Result<(), Fault> {
        self.stream.get_mut().write_all(&line(text)).await?;
        Ok(())
    }

    /// SCRAM (RFC 5802 §5): reads "AUTH SCRAM-… <client-first>", answers, and goes wrong.
    async fn scram(&mut self, fault: ScramFault) -> Result<(), Fault> {
        let auth = self.line().await?;
        let auth = String::from_utf8_lossy(&auth);
        let script = |m: &str| Fault::Script(format!("{m}: {auth:?}"));
        let initial = auth
            .trim_end()
            .split(' ')
            .nth(2)
            .ok_or_else(|| script("no initial response"))?;
        let client_first = STANDARD
            .decode(initial)
            .map_err(|_| script("initial response is not base64"))?;
        let client_first = String::from_utf8_lossy(&client_first).into_owned();
        let nonce = client_first
            .split(',')
            .find_map(|field| field.strip_prefix("r="))
            .ok_or_else(|| script("no client nonce"))?;
        let nonce = match fault {
            ScramFault::BadSignature | ScramFault::ServerError => format!("{nonce}srvnonce"),
            ScramFault::BadNonce => "someoneelses-nonce".to_string(),
        };
        let server_first = format!(
            "r={nonce},s={},i=4096",
            STANDARD.encode(b"sixteen byte salt")
        );
        self.send_line(&format!("334 {}", STANDARD.encode(server_first)))
            .await?;
        let (server_final, cancelled) = match fault {
            ScramFault::BadSignature => (
                Some(format!("v={}", STANDARD.encode([0x5a; 32]))),
                "501 5.7.0 cancelled",
            ),
            ScramFault::ServerError => (
                Some("e=invalid-proof".to_string()),
                "535 5.7.8 authentication credentials invalid",
            ),
            ScramFault::BadNonce => (None, "501 5.7.0 cancelled"),
        };
        if let Some(server_final) = server_final {
            self.line().await?;
            self.send_line(&format!("334 {}", STANDARD.encode(server_final)))
                .await?;
        }
        if self.line().await? == b"*\r\n" {
            self.send_line(cancelled).await?;
        }
        Ok(())
    }
}
