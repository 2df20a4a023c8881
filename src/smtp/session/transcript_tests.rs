//! Transcript tests: scripted server replies as data (`tests/transcripts/*.smtp`), replayed
//! against [`Session`] with every server chunk fed whole, one byte at a time and in
//! pseudo-random splits, on virtual time.
//!
//! Format, one directive per line (`#` starts a comment):
//!
//! ```text
//! === name                 starts a case
//! config: tls=skip ehlo=localhost timeout=SECONDS split=whole   (whole: only unsplit input)
//! config: auth=USER:PASSWORD mechs=A,B cleartext nonce=BASE64    (AUTH, RFC 4954)
//! S: text                  server line; CRLF is appended   (escapes: \r \n \t \\ \xHH)
//! S~ text                  server bytes as they are
//! C: text                  what the client must have sent (consecutive lines concatenated)
//! > start from=A to=B to=C size=N 8bitmime smtputf8 requiretls normalize
//!         ret=full|hdrs envid=ID notify=LIST orcpt=TYPE;ADDR   (DSN; notify and orcpt
//!         apply to the `to` before them, notify before orcpt)
//! > data TEXT              message data (escapes as above), split like the server input
//! > chunk TEXT             message data pushed as one chunk, however the input is split
//! > finish | reset | quit | eof | io-error
//! @ +Ns                    advance the clock, then handle_timeout
//! expect: TYPE key=value…  the next event or synchronous error; listed keys must match
//! state: key=value…        botched= closed= read= data= auth=MECHANISM|-
//! deadline: +Ns | none     poll_timeout relative to now
//! ```
//!
//! Every case must list all events; client bytes not matched by `C:` lines fail the case.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::io::testing::unescape;
use crate::sasl::Credentials;
use crate::smtp::data::LineEndings;
use crate::smtp::dsn::{MailDsn, RcptDsn};

#[derive(Debug, Clone, Copy)]
enum Split {
    Whole,
    Bytewise,
    Random(u64),
}

impl Split {
    /// Cuts `bytes` into chunks.
    fn chunks(self, bytes: &[u8]) -> Vec<&[u8]> {
        match self {
            Self::Whole => vec![bytes],
            Self::Bytewise => bytes.chunks(1).collect(),
            Self::Random(seed) => {
                let mut state = seed;
                let mut out = Vec::new();
                let mut rest = bytes;
                while !rest.is_empty() {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let n = ((state >> 33) % 9 + 1) as usize;
                    let (chunk, tail) = rest.split_at(n.min(rest.len()));
                    out.push(chunk);
                    rest = tail;
                }
                out
            }
        }
    }
}

fn error_tokens(error: &Error) -> String {
    let mut s = format!(
        "kind={} permanent={} command={}",
        error.kind(),
        error.is_permanent(),
        error.command().map_or("-", CommandKind::as_str)
    );
    if let Some(reply) = error.reply() {
        s += &format!(
            " code={} enhanced={}",
            reply.code,
            reply.enhanced.map_or("-".into(), |e| e.to_string())
        );
    }
    s
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

fn observe(event: Event) -> String {
    match event {
        Event::Ready => "ready".into(),
        Event::OpenFailed(e) => format!("open-failed {}", error_tokens(&e)),
        Event::TransactionDone(Ok(o)) => format!(
            "done ok code={} {}",
            o.reply.code,
            recipients_token(&o.recipients)
        ),
        Event::TransactionDone(Err(f)) => format!(
            "done err {} {}",
            error_tokens(&f.error),
            recipients_token(&f.recipients)
        ),
        Event::ResetDone(Ok(())) => "reset ok".into(),
        Event::ResetDone(Err(e)) => format!("reset err {}", error_tokens(&e)),
        Event::Closed => "closed".into(),
    }
}

struct Runner {
    case: String,
    split: Split,
    now: Instant,
    config: SessionConfig,
    session: Option<Session>,
    server: Vec<u8>,
    client: Vec<u8>,
    observed: VecDeque<String>,
    line: usize,
    /// The case depends on bytes arriving together.
    whole_only: bool,
}

impl Runner {
    fn fail(&self, message: &str) -> ! {
        panic!(
            "case {} ({:?}), line {}: {message}",
            self.case, self.split, self.line
        )
    }

    fn session(&mut self) -> &mut Session {
        if self.session.is_none() {
            self.session = Some(Session::new(self.config.clone(), self.now));
        }
        self.session.as_mut().expect("session")
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.session().poll_event() {
            let text = observe(event);
            self.observed.push_back(text);
        }
    }

    fn flush_server(&mut self) {
        if self.server.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.server);
        let now = self.now;
        for chunk in self.split.chunks(&bytes) {
            self.session().handle_input(now, chunk);
        }
        self.drain_events();
    }

    fn flush_client(&mut self) {
        let want = std::mem::take(&mut self.client);
        let mut got = Vec::new();
        let _ = self.session().poll_transmit(&mut got);
        if got != want {
            self.fail(&format!(
                "client sent {:?}, want {:?}",
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            ));
        }
    }

    fn sync_result(&mut self, result: Result<(), Error>) {
        if let Err(e) = result {
            self.observed
                .push_back(format!("error {}", error_tokens(&e)));
        }
        self.drain_events();
    }

    fn action(&mut self, args: &str) {
        let now = self.now;
        let (verb, rest) = args.split_once(' ').unwrap_or((args, ""));
        match verb {
            "start" => {
                let mut tx = Transaction::default();
                let (mut ret, mut envid) = (None, None);
                for token in rest.split_whitespace() {
                    let (key, value) = token.split_once('=').unwrap_or((token, ""));
                    let value = String::from_utf8(unescape(value)).expect("utf-8");
                    match key {
                        "from" => tx.mail_from = value,
                        "to" => tx.recipients.push(value),
                        "size" => tx.size = Some(value.parse().expect("size")),
                        "8bitmime" => tx.require_8bitmime = true,
                        "smtputf8" => tx.require_smtputf8 = true,
                        "requiretls" => tx.require_tls = true,
                        "normalize" => tx.line_endings = LineEndings::Normalize,
                        "ret" => ret = Some(value.parse().expect("ret")),
                        "envid" => envid = Some(value),
                        "notify" | "orcpt" => {
                            let index = tx.recipients.len().checked_sub(1).expect("to= first");
                            tx.recipient_dsn.resize_with(index + 1, RcptDsn::default);
                            let old = &tx.recipient_dsn[index];
                            let (notify, orcpt) = match key {
                                "notify" => (Some(value.parse().expect("notify")), None),
                                _ => (old.notify(), Some(value)),
                            };
                            let orcpt = orcpt.as_deref().map(|v| v.split_once(';').expect("T;A"));
                            tx.recipient_dsn[index] =
                                RcptDsn::new(notify, orcpt).expect("rcpt dsn");
                        }
                        _ => self.fail(&format!("unknown start option {key}")),
                    }
                }
                tx.dsn = MailDsn::new(ret, envid.as_deref()).expect("mail dsn");
                let result = self.session().start_transaction(now, tx);
                self.sync_result(result);
            }
            "data" => {
                let bytes = unescape(rest);
                let split = self.split;
                for chunk in split.chunks(&bytes) {
                    let result = self.session().push_message_data(now, chunk);
                    let failed = result.is_err();
                    self.sync_result(result);
                    if failed {
                        break;
                    }
                }
            }
            "chunk" => {
                let result = self.session().push_message_data(now, &unescape(rest));
                self.sync_result(result);
            }
            "finish" => {
                let result = self.session().finish_message(now);
                self.sync_result(result);
            }
            "reset" => {
                let result = self.session().reset(now);
                self.sync_result(result);
            }
            "quit" => {
                self.session().quit(now);
                self.drain_events();
            }
            "eof" => {
                self.session().handle_eof(now);
                self.drain_events();
            }
            "io-error" => {
                self.session()
                    .handle_transport_error(now, Error::io("connection reset".into()));
                self.drain_events();
            }
            _ => self.fail(&format!("unknown action {verb}")),
        }
    }

    fn expect(&mut self, want: &str) {
        let Some(got) = self.observed.pop_front() else {
            self.fail(&format!("expected {want:?}, got nothing"));
        };
        let got_tokens: Vec<&str> = got.split_whitespace().collect();
        let mut want_tokens = want.split_whitespace();
        let kind_matches = want_tokens.next() == got_tokens.first().copied();
        let missing: Vec<&str> = want_tokens.filter(|t| !got_tokens.contains(t)).collect();
        if !kind_matches || !missing.is_empty() {
            self.fail(&format!("expected {want:?}, got {got:?}"));
        }
    }

    fn state(&mut self, want: &str) {
        let s = self.session();
        let got = format!(
            "botched={} closed={} read={} data={} auth={}",
            s.is_botched(),
            s.is_closed(),
            s.wants_read(),
            s.wants_message_data(),
            s.authenticated().unwrap_or("-")
        );
        let tokens: Vec<&str> = got.split_whitespace().collect();
        if want.split_whitespace().any(|t| !tokens.contains(&t)) {
            self.fail(&format!("state {got:?}, want {want:?}"));
        }
    }

    fn deadline(&mut self, want: &str) {
        let now = self.now;
        let got = self.session().poll_timeout();
        let want = match want {
            "none" => None,
            _ => Some(now + parse_duration(want.trim_start_matches('+'))),
        };
        if got != want {
            self.fail(&format!(
                "deadline {:?}, want {:?}",
                got.map(|d| d - now),
                want.map(|d| d - now)
            ));
        }
    }

    fn configure(&mut self, args: &str) {
        for token in args.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            match key {
                "tls" => {
                    self.config.tls_mode = match value {
                        "immediate" => TlsMode::Immediate,
                        "starttls" => TlsMode::RequiredStartTls,
                        "opportunistic" => TlsMode::Opportunistic,
                        "skip" => TlsMode::Skip,
                        _ => self.fail("bad tls mode"),
                    }
                }
                "ehlo" => {
                    self.config.ehlo_hostname = String::from_utf8(unescape(value)).expect("utf-8")
                }
                "timeout" => self.config.timeouts = Timeouts::uniform(parse_duration(value)),
                "split" if value == "whole" => self.whole_only = true,
                "auth" => {
                    let (user, password) = value.split_once(':').expect("auth=USER:PASSWORD");
                    self.auth().credentials = Credentials::password(user, password);
                }
                "mechs" => self.auth().mechanisms = value.split(',').map(Into::into).collect(),
                "cleartext" => self.auth().allow_cleartext_without_tls = true,
                "nonce" => self.auth().client_nonce = STANDARD.decode(value).expect("base64"),
                _ => self.fail(&format!("unknown config {key}")),
            }
        }
    }

    /// The AUTH configuration, created on first use.
    fn auth(&mut self) -> &mut AuthConfig {
        self.config.auth.get_or_insert_with(|| AuthConfig {
            credentials: Credentials::password("", ""),
            mechanisms: Vec::new(),
            allow_cleartext_without_tls: false,
            client_nonce: Vec::new(),
        })
    }

    fn run(&mut self, lines: &[(usize, &str)]) {
        for &(number, line) in lines {
            self.line = number;
            if let Some(text) = line.strip_prefix("S: ").or(line.strip_prefix("S:")) {
                if !self.client.is_empty() {
                    self.flush_client();
                }
                self.session();
                self.server.extend(unescape(text));
                self.server.extend_from_slice(b"\r\n");
                continue;
            }
            if let Some(text) = line.strip_prefix("S~ ") {
                if !self.client.is_empty() {
                    self.flush_client();
                }
                self.session();
                self.server.extend(unescape(text));
                continue;
            }
            if let Some(text) = line.strip_prefix("C: ").or(line.strip_prefix("C:")) {
                self.flush_server();
                self.client.extend(unescape(text));
                self.client.extend_from_slice(b"\r\n");
                continue;
            }
            self.flush_server();
            if !self.client.is_empty() {
                self.flush_client();
            }
            if let Some(args) = line.strip_prefix("config:") {
                self.configure(args);
                if self.whole_only && !matches!(self.split, Split::Whole) {
                    return;
                }
                continue;
            }
            if self.session.is_none() {
                self.session();
                self.drain_events();
            }
            if let Some(args) = line.strip_prefix("> ") {
                self.action(args);
            } else if let Some(delta) = line.strip_prefix("@ +") {
                self.now += parse_duration(delta);
                let now = self.now;
                self.session().handle_timeout(now);
                self.drain_events();
            } else if let Some(want) = line.strip_prefix("expect:") {
                self.expect(want.trim());
            } else if let Some(want) = line.strip_prefix("state:") {
                self.state(want.trim());
            } else if let Some(want) = line.strip_prefix("deadline:") {
                self.deadline(want.trim());
            } else {
                self.fail(&format!("unknown directive {line:?}"));
            }
        }
        self.flush_server();
        self.flush_client();
        if let Some(extra) = self.observed.pop_front() {
            self.fail(&format!("unexpected event {extra:?}"));
        }
    }
}

/// "300s", "5m", "10ms".
fn parse_duration(text: &str) -> Duration {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        Duration::from_millis(ms.parse().expect("ms"))
    } else if let Some(s) = text.strip_suffix('s') {
        Duration::from_secs(s.parse().expect("seconds"))
    } else if let Some(m) = text.strip_suffix('m') {
        Duration::from_secs(60 * m.parse::<u64>().expect("minutes"))
    } else {
        Duration::from_secs(text.parse().expect("seconds"))
    }
}

/// Splits a file into cases: (name, numbered lines).
fn cases(text: &str) -> Vec<(String, Vec<(usize, &str)>)> {
    let mut cases: Vec<(String, Vec<(usize, &str)>)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push((name.to_string(), Vec::new()));
        } else if line.is_empty() || line.starts_with('#') {
            continue;
        } else if let Some((_, lines)) = cases.last_mut() {
            lines.push((i + 1, line));
        } else {
            panic!("line {} outside a case", i + 1);
        }
    }
    cases
}

fn run_file(file: &str, text: &str) {
    let cases = cases(text);
    assert!(!cases.is_empty(), "{file}: no cases");
    let splits = [
        Split::Whole,
        Split::Bytewise,
        Split::Random(1),
        Split::Random(2),
        Split::Random(3),
    ];
    for (name, lines) in &cases {
        for split in splits {
            let mut runner = Runner {
                case: format!("{file}/{name}"),
                split,
                now: Instant::now(),
                config: SessionConfig {
                    ehlo_hostname: "localhost".into(),
                    tls_mode: TlsMode::Opportunistic,
                    timeouts: Timeouts::default(),
                    tls: crate::tls::TlsConfig::default(),
                    tls_results: crate::tlsrpt::TlsResults::default(),
                    report: crate::tlsrpt::ReportContext::default(),
                    auth: None,
                },
                session: None,
                server: Vec::new(),
                client: Vec::new(),
                observed: VecDeque::new(),
                line: 0,
                whole_only: false,
            };
            runner.run(lines);
        }
    }
}

macro_rules! transcript_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            let file = stringify!($name).replace('_', "-");
            let text = include_str!(concat!(
                "../../../tests/transcripts/",
                stringify!($name),
                ".smtp"
            ));
            run_file(&file, text);
        }
    )*};
}

transcript_tests!(
    open,
    transaction,
    pipelining,
    data,
    timeouts,
    mox_errors,
    mox_client,
    auth,
    dsn,
    bdat
);
