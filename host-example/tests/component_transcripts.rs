//! Transcript tests of the core (`tests/transcripts/*.smtp`, see the core's
//! `transcript_tests.rs` for the format) played again through the built component in wasmtime:
//! the server side of a case runs over a real TCP socket on 127.0.0.1, the client side drives
//! the component's `client.session` (open, deliver, reset, close), and the outcome must be the
//! one the case expects of the native session.
//!
//! Only cases that fit a real socket are listed: no virtual time, no synchronous errors of the
//! core API, no SCRAM (the component draws its own nonce), message data in one chunk (the
//! component reads the message in 1 MiB chunks, so one BDAT carries it), and no recipient
//! refused with 452 or 552 after an accepted one (the component's `deliver` sends those again
//! in a further transaction, which a one-transaction case does not script: tests/contract.rs
//! checks it). `state:` and `deadline:` lines are the native test's business and are skipped
//! here.

/// The scripted server's escapes (`\r \n \t \0 \\ \xHH`), shared with the hostile suite.
#[allow(
    dead_code,
    reason = "this test uses only the escapes of the script format"
)]
#[path = "support/scripted.rs"]
mod scripted;

use command_line::request::SaslMechanism;
use host_example::bindings::client::{
    AddressType, AuthOptions, DsnNotify, DsnOptions, Envelope, LineEndings, NotifyConditions,
    OpenOptions, OriginalRecipient, Recipient, RecipientResult, Timeouts,
};
use host_example::bindings::types::{Domain, SmtpError, TlsMode};
use host_example::convert::sasl_mechanism;
use host_example::dns::{Resolver, ZoneResolver};
use host_example::host::Instance;
use host_example::log_impl::Silent;
use host_example::spool_impl::SpoolMessage;
use host_example::{EMBEDDED_COMPONENT, Host, HostConfig};
use scripted::unescape;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wasmtime::component::ResourceAny;

/// The cases played through the component: (file, case name).
const CASES: &[(&str, &str)] = &[
    (
        "pipelining",
        "happy path, pipelined, with deadlines per reply",
    ),
    (
        "pipelining",
        "no recipient accepted but DATA got 354: \".\" ends it, then no-recipients (E16)",
    ),
    (
        "bdat",
        "single chunk, pipelined: MAIL, RCPT and BDAT LAST in one flight, no dot-stuffing",
    ),
    ("bdat", "empty message: BDAT 0 LAST"),
    (
        "bdat",
        "every RCPT refused, pipelined, the chunk already sent: its reply is read, then the failure",
    ),
    (
        "bdat",
        "MAIL refused, pipelined: the RCPT and BDAT replies are read, MAIL's is the error",
    ),
    (
        "bdat",
        "421 during the chunks, pipelined: the server closes",
    ),
    (
        "pipelining",
        "421 mid-transaction, pipelined: the server answers RCPT with 421 and closes",
    ),
    (
        "dsn",
        "dsn offered, pipelined: every parameter, xtext for \"+\", \"=\" and space",
    ),
    (
        "dsn",
        "dsn not offered: the parameters are dropped, the message still goes",
    ),
    ("auth", "plain with cleartext allowed, then a transaction"),
    (
        "auth",
        "C15 PLAIN (mox's TestClient): two transactions with RSET between",
    ),
];

/// How long any one wait may take before the case fails.
const WAIT: Duration = Duration::from_secs(10);

fn file(name: &str) -> String {
    let path = format!(
        "{}/../tests/transcripts/{name}.smtp",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of case `name` in `text`, comments and blank lines dropped.
fn case_lines(text: &str, name: &str) -> Vec<String> {
    let mut lines = None;
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(header) = line.strip_prefix("=== ") {
            if lines.is_some() {
                break;
            }
            if header == name {
                lines = Some(Vec::new());
            }
        } else if let Some(lines) = &mut lines
            && !line.is_empty()
            && !line.starts_with('#')
        {
            lines.push(line.to_string());
        }
    }
    lines.unwrap_or_else(|| panic!("no case {name:?}"))
}

/// One step of the scripted server.
#[derive(Debug)]
enum ServerStep {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Read exactly these bytes from the client.
    Expect(Vec<u8>),
    /// Close the connection (`> eof`).
    Close,
}

/// The server side of a case: `S:`/`S~` lines to write, `C:` lines to read, `> eof`.
fn server_script(lines: &[String]) -> Vec<ServerStep> {
    let mut steps: Vec<ServerStep> = Vec::new();
    for line in lines {
        let (bytes, send) = if let Some(text) = line.strip_prefix("S:") {
            let mut bytes = unescape(text.strip_prefix(' ').unwrap_or(text));
            bytes.extend_from_slice(b"\r\n");
            (bytes, true)
        } else if let Some(text) = line.strip_prefix("S~ ") {
            (unescape(text), true)
        } else if let Some(text) = line.strip_prefix("C:") {
            let mut bytes = unescape(text.strip_prefix(' ').unwrap_or(text));
            bytes.extend_from_slice(b"\r\n");
            (bytes, false)
        } else {
            if line == "> eof" {
                steps.push(ServerStep::Close);
            }
            continue;
        };
        match (steps.last_mut(), send) {
            (Some(ServerStep::Send(previous)), true)
            | (Some(ServerStep::Expect(previous)), false) => {
                previous.extend_from_slice(&bytes);
            }
            (_, true) => steps.push(ServerStep::Send(bytes)),
            (_, false) => steps.push(ServerStep::Expect(bytes)),
        }
    }
    steps
}

/// Plays the server script on the first connection to `listener`; afterwards the client may
/// only send QUIT (the test closes every session it opened), then close.
async fn serve(listener: TcpListener, steps: Vec<ServerStep>) -> Result<(), String> {
    let (mut socket, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .map_err(|_| "no connection".to_string())?
        .map_err(|e| e.to_string())?;
    for step in steps {
        match step {
            ServerStep::Send(bytes) => socket.write_all(&bytes).await.map_err(|e| e.to_string())?,
            ServerStep::Expect(want) => {
                let mut got = vec![0; want.len()];
                let read = tokio::time::timeout(WAIT, socket.read_exact(&mut got)).await;
                if !matches!(read, Ok(Ok(_))) {
                    return Err(format!(
                        "waiting for {:?}: {read:?}",
                        String::from_utf8_lossy(&want)
                    ));
                }
                if got != want {
                    return Err(format!(
                        "client sent {:?}, want {:?}",
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&want)
                    ));
                }
            }
            ServerStep::Close => return Ok(()),
        }
    }
    let mut rest = Vec::new();
    loop {
        let mut buf = [0; 512];
        let n = match tokio::time::timeout(WAIT, socket.read(&mut buf)).await {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(format!("after the script: {e}")),
            Err(_) => return Err("client did not close".into()),
        };
        if n == 0 {
            break;
        }
        rest.extend_from_slice(&buf[..n]);
        if rest == b"QUIT\r\n" {
            rest.clear();
            socket
                .write_all(b"221 bye\r\n")
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "client sent more: {:?}",
            String::from_utf8_lossy(&rest)
        ))
    }
}

/// `kind=… permanent=… command=… code=… enhanced=…`, with the core's names.
fn error_tokens(error: &SmtpError) -> String {
    let mut s = format!(
        "kind={} permanent={} command={}",
        kebab(&variant(format!("{:?}", error.kind))),
        error.permanent,
        error
            .command
            .map_or("-".into(), |c| variant(format!("{c:?}"))
                .to_ascii_lowercase())
    );
    if let Some(reply) = &error.reply {
        s += &format!(
            " code={} enhanced={}",
            reply.code,
            reply.enhanced.as_deref().unwrap_or("-")
        );
    }
    s
}

/// The variant of a bindgen enum's `Debug` ("ErrorKind::NoRecipients" → "NoRecipients").
fn variant(debug: String) -> String {
    debug.rsplit("::").next().unwrap_or_default().to_string()
}

/// "NoRecipients" → "no-recipients".
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn recipients_token(recipients: &[RecipientResult]) -> String {
    let each: Vec<String> = recipients
        .iter()
        .map(|r| {
            let mut s = r.reply.as_ref().map_or("-".into(), |r| r.code.to_string());
            if r.accepted {
                s.push('+');
            }
            if r.permanent {
                s.push('!');
            }
            s
        })
        .collect();
    format!("rcpts={}", each.join(","))
}

/// Whether `got` satisfies the expectation `want`: the same first word, every other token
/// of `want` among those of `got` (as the native runner checks).
fn matches(got: &str, want: &str) -> bool {
    let tokens: Vec<&str> = got.split_whitespace().collect();
    let mut want = want.split_whitespace();
    want.next() == tokens.first().copied() && want.all(|t| tokens.contains(&t))
}

fn domain(name: &str) -> Domain {
    Domain {
        ascii: name.into(),
        unicode: None,
    }
}

/// The open options of the `config:` lines.
fn open_options(lines: &[String]) -> OpenOptions {
    let ms = u32::try_from(WAIT.as_millis()).expect("ms");
    let mut options = OpenOptions {
        tls_mode: TlsMode::Opportunistic,
        verify_pkix: false,
        ehlo_hostname: domain("localhost"),
        remote_hostname: None,
        auth: None,
        dane_records: None,
        dane_more_hostnames: Vec::new(),
        ignore_tls_verify_errors: false,
        extra_root_cas: Vec::new(),
        client_certificate: None,
        timeouts: Some(Timeouts {
            greeting_ms: Some(ms),
            command_ms: Some(ms),
            data_init_ms: Some(ms),
            data_block_ms: Some(ms),
            data_end_ms: Some(ms),
            tls_handshake_ms: Some(ms),
            quit_ms: Some(ms),
        }),
        tls_results: None,
    };
    for line in lines {
        let Some(config) = line.strip_prefix("config:") else {
            continue;
        };
        for token in config.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            let auth = || AuthOptions {
                username: String::new(),
                secret: String::new(),
                mechanisms: Vec::new(),
                allow_cleartext_without_tls: false,
            };
            match key {
                "tls" if value == "skip" => options.tls_mode = TlsMode::Skip,
                "auth" => {
                    let (user, password) = value.split_once(':').expect("auth=USER:PASSWORD");
                    let auth = options.auth.get_or_insert_with(auth);
                    auth.username = user.into();
                    auth.secret = password.into();
                }
                "mechs" => {
                    options.auth.get_or_insert_with(auth).mechanisms = value
                        .split(',')
                        .map(|name| {
                            sasl_mechanism(
                                SaslMechanism::from_name(name).expect("a known mechanism"),
                            )
                        })
                        .collect();
                }
                "cleartext" => {
                    options
                        .auth
                        .get_or_insert_with(auth)
                        .allow_cleartext_without_tls = true;
                }
                _ => panic!("config {key} does not fit the component test"),
            }
        }
    }
    options
}

/// The envelope of a `> start` line.
fn envelope(args: &str) -> Envelope {
    let mut envelope = Envelope {
        mail_from: String::new(),
        recipients: Vec::new(),
        size: None,
        require_eightbitmime: false,
        require_smtputf8: false,
        require_tls: false,
        dsn: None,
        line_endings: LineEndings::Strict,
    };
    for token in args.split_whitespace() {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        let value = String::from_utf8(unescape(value)).expect("utf-8");
        match key {
            "from" => envelope.mail_from = value,
            "to" => envelope.recipients.push(Recipient {
                address: value,
                notify: None,
                original_recipient: None,
            }),
            "size" => envelope.size = Some(value.parse().expect("size")),
            "8bitmime" => envelope.require_eightbitmime = true,
            "smtputf8" => envelope.require_smtputf8 = true,
            "requiretls" => envelope.require_tls = true,
            "normalize" => envelope.line_endings = LineEndings::Normalize,
            "ret" => dsn(&mut envelope).return_full = Some(value.eq_ignore_ascii_case("full")),
            "envid" => dsn(&mut envelope).envelope_id = Some(value),
            "notify" => last(&mut envelope).notify = Some(notify(&value)),
            "orcpt" => {
                let (kind, address) = value.split_once(';').expect("orcpt=TYPE;ADDRESS");
                last(&mut envelope).original_recipient = Some(OriginalRecipient {
                    address_type: match kind.to_ascii_lowercase().as_str() {
                        "rfc822" => AddressType::Rfc822,
                        "utf-8" => AddressType::Utf8,
                        other => panic!("orcpt type {other} does not fit the component test"),
                    },
                    address: address.into(),
                });
            }
            _ => panic!("start option {key} does not fit the component test"),
        }
    }
    envelope
}

/// NOTIFY as the transcripts write it: NEVER, or conditions separated by commas.
fn notify(value: &str) -> DsnNotify {
    if value.eq_ignore_ascii_case("never") {
        return DsnNotify::Never;
    }
    let mut conditions = NotifyConditions::empty();
    for condition in value.split(',') {
        conditions |= match condition.to_ascii_uppercase().as_str() {
            "SUCCESS" => NotifyConditions::SUCCESS,
            "FAILURE" => NotifyConditions::FAILURE,
            "DELAY" => NotifyConditions::DELAY,
            other => panic!("notify {other} does not fit the component test"),
        };
    }
    DsnNotify::On(conditions)
}

/// The DSN options of the envelope, created on first use.
fn dsn(envelope: &mut Envelope) -> &mut DsnOptions {
    envelope.dsn.get_or_insert(DsnOptions {
        return_full: None,
        envelope_id: None,
    })
}

/// The recipient the NOTIFY or ORCPT option belongs to.
fn last(envelope: &mut Envelope) -> &mut Recipient {
    envelope.recipients.last_mut().expect("to= before")
}

/// The client side of a case, driving the component.
struct Client<'a> {
    instance: &'a mut Instance,
    session: Option<ResourceAny>,
    envelope: Option<Envelope>,
    message: Vec<u8>,
}

impl Client<'_> {
    async fn open(&mut self, options: &OpenOptions, port: u16) -> String {
        let host_conn = self.dial(port).await;
        let client = self.instance.bindings.smtp_client_client();
        let opened = client
            .call_open_session(&mut self.instance.store, host_conn, options)
            .await
            .expect("open trapped");
        match opened {
            Ok(session) => {
                self.session = Some(session);
                "ready".into()
            }
            Err(failure) => format!("open-failed {}", error_tokens(&failure.error)),
        }
    }

    async fn dial(
        &mut self,
        port: u16,
    ) -> wasmtime::component::Resource<host_example::connector::TcpConnection> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let connection = host_example::connector::TcpConnection::new(stream);
        self.instance
            .store
            .data_mut()
            .table()
            .push(connection)
            .expect("table")
    }

    async fn deliver(&mut self) -> String {
        let envelope = self.envelope.take().expect("> start before the outcome");
        let session = self.session.expect("an open session");
        // The size is the envelope's when the case gives one (`size=`), else unknown: a
        // transcript's SIZE= parameter is only ever the one it declares.
        let spooled = SpoolMessage::bytes(std::mem::take(&mut self.message)).without_size();
        let message = self
            .instance
            .store
            .data_mut()
            .table()
            .push(spooled)
            .expect("table");
        let client = self.instance.bindings.smtp_client_client();
        let delivered = client
            .session()
            .call_deliver(&mut self.instance.store, session, &envelope, message)
            .await
            .expect("deliver trapped");
        match delivered {
            Ok(success) => format!(
                "done ok code={} {}",
                success.reply.code,
                recipients_token(&success.recipients)
            ),
            Err(failure) => format!(
                "done err {} {}",
                error_tokens(&failure.error),
                recipients_token(&failure.recipients)
            ),
        }
    }

    async fn reset(&mut self) -> String {
        let session = self.session.expect("an open session");
        let client = self.instance.bindings.smtp_client_client();
        match client
            .session()
            .call_reset(&mut self.instance.store, session)
            .await
            .expect("reset trapped")
        {
            Ok(()) => "reset ok".into(),
            Err(error) => format!("reset err {}", error_tokens(&error)),
        }
    }

    async fn close(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let client = self.instance.bindings.smtp_client_client();
        let _closed = client
            .session()
            .call_close(&mut self.instance.store, session)
            .await
            .expect("close trapped");
        session
            .resource_drop_async(&mut self.instance.store)
            .await
            .expect("drop");
    }

    /// What the component did for the expectation `want` (the first word says which call).
    async fn observe(&mut self, want: &str, options: &OpenOptions, port: u16) -> String {
        match want.split_whitespace().next() {
            Some("ready" | "open-failed") => self.open(options, port).await,
            Some("done") if self.envelope.is_some() => self.deliver().await,
            Some("reset") => self.reset().await,
            Some("closed") => {
                self.close().await;
                "closed".into()
            }
            _ => String::new(),
        }
    }
}

/// Plays one case; returns what went wrong.
async fn play(host: &Host, file_name: &str, name: &str) -> Result<(), String> {
    let lines = case_lines(&file(file_name), name);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let server = tokio::spawn(serve(listener, server_script(&lines)));
    let options = open_options(&lines);
    let mut instance = host.instantiate().await.map_err(|e| e.to_string())?;
    let mut client = Client {
        instance: &mut instance,
        session: None,
        envelope: None,
        message: Vec::new(),
    };
    for line in &lines {
        if let Some(args) = line.strip_prefix("> start") {
            client.envelope = Some(envelope(args));
            client.message.clear();
        } else if let Some(text) = line
            .strip_prefix("> data ")
            .or(line.strip_prefix("> chunk "))
        {
            client.message.extend(unescape(text));
        } else if let Some(want) = line.strip_prefix("expect:") {
            let want = want.trim();
            let got = client.observe(want, &options, port).await;
            if !matches(&got, want) {
                return Err(format!("expected {want:?}, got {got:?}"));
            }
        }
    }
    client.close().await;
    drop(instance);
    server
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("server: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_through_the_component() {
    let host = Host::new(
        EMBEDDED_COMPONENT,
        HostConfig::command_line(
            Arc::new(Resolver::Zone(ZoneResolver::default())),
            Arc::new(Silent),
        ),
    )
    .expect("host");
    let mut failures = Vec::new();
    for (file_name, name) in CASES {
        if let Err(error) = play(&host, file_name, name).await {
            failures.push(format!("{file_name}/{name}: {error}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{} transcript cases through the component", CASES.len());
}
