//! Delivery scenarios: whole attempts as data (`tests/delivery/*.scn`), run natively on
//! virtual time against a DNS table and scripted servers ([`crate::io::testing`]).
//!
//! Format, one directive per line (`#` starts a comment, blank lines are ignored):
//!
//! ```text
//! === name                       starts a scenario
//! cert: NAME ca|self|expired NAMES...   a certificate: signed by the scenario's CA (which
//!                                the request trusts with roots=ca), self-signed, or
//!                                CA-signed and expired
//! dns: all-authentic             every answer is DNSSEC-authentic (else none is)
//! dns: authentic|inauthentic TYPE NAME   an exception (types: cname mx ip tlsa txt)
//! dns: mx NAME PREF EXCHANGE | empty-mx NAME | a NAME IP | aaaa NAME IP
//! dns: cname NAME TARGET | txt NAME TEXT | tlsa NAME U S M DATA
//!                                DATA is hex, or {spki:CERT} / {cert:CERT}: the SHA-256 of
//!                                the certificate's key or of the certificate
//! dns: fail TYPE NAME servfail|nxdomain|nxdomain-authentic|refused [ede=N]
//! server IP:PORT [cert=NAME]     the next connection to IP:PORT meets this script:
//! S: text                        server line (CRLF appended; escapes \r \n \t \\ \xHH)
//! S~ text                        server bytes as they are
//! C: text                        the line the client must send next
//! tls                            the server starts TLS with its cert
//! pause MS                       the server says nothing for MS milliseconds (virtual time)
//! hang                           the server says nothing any more (the script's end)
//! close                          the server closes the connection
//! refuse IP:PORT | timeout IP:PORT       the next connection is refused, or times out
//! request: next-hop=D [tls=LEVEL] [tls-required-no] [roots=ca] [seed=N] [port=N]
//!          [family=any|v4|v6] [local=IP] [attempt=N] [dmarc] [allow-private]
//!          [address-limit=N] [session-limit=N] [deadline=MS] [timeout=MS]
//!          [connect-timeout=MS]
//!          [relay=HOST:PORT [relay-tls=immediate|starttls|opportunistic|none]
//!           [relay-verify] [relay-tlsa=U:S:M:DATA] [relay-auth=USER:SECRET[:MECH]]]
//! show: events                   the report lists the observed events too (`event ...`)
//! show: elapsed                  the report ends with the attempt's virtual duration
//! message: from=A to=B... [requiretls] [smtputf8] [8bitmime] [data=TEXT]
//! report: LINE                   the rendered report, line by line, in full (see `render`)
//! ```
//!
//! Every scenario lists its whole report; every script must run to its end and every
//! scripted endpoint must be used.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

use super::{Outgoing, Relay, Report, Request, TlsLevel, deliver};
use crate::dns::mock::MockResolver;
use crate::dns::{Domain, IpDomain, IpFamily, LookupError};
use crate::error::Error;
use crate::event::{DialOutcome, Event};
use crate::io::Message;
use crate::io::testing::{Endpoint, Step, TestPlatform, unescape};
use crate::sasl::Credentials;
use crate::smtp::session::Transaction;
use crate::smtp::session::{AuthConfig, Timeouts, TlsMode};
use crate::tls::Tlsa;
use crate::tls::testing::{self, Alg, Ca, Cert};
use crate::tlsrpt::PolicyResult;

/// A message held in memory.
struct Bytes(Vec<u8>);

impl Message for Bytes {
    fn size(&self) -> Option<u64> {
        None
    }

    fn read(&self, offset: u64, max: usize) -> Result<Vec<u8>, Error> {
        let start = usize::try_from(offset).map_or(self.0.len(), |o| o.min(self.0.len()));
        let end = start.saturating_add(max).min(self.0.len());
        Ok(self.0[start..end].to_vec())
    }
}

/// One scenario being read.
struct Scenario {
    name: String,
    ca: Ca,
    certs: BTreeMap<String, Cert>,
    /// The certificates signed by `ca`.
    signed: Vec<String>,
    resolver: MockResolver,
    tlsa: BTreeMap<String, Vec<Tlsa>>,
    endpoints: Vec<(SocketAddr, Endpoint)>,
    request: Option<Request>,
    messages: Vec<(Vec<String>, Transaction, Vec<u8>)>,
    /// The report lists the events.
    show_events: bool,
    /// The report ends with the attempt's duration on virtual time.
    show_elapsed: bool,
    report: Vec<String>,
}

impl Scenario {
    fn new(name: &str) -> Self {
        Scenario {
            name: name.to_string(),
            ca: Ca::new("scenario ca"),
            certs: BTreeMap::new(),
            signed: Vec::new(),
            resolver: MockResolver::default(),
            tlsa: BTreeMap::new(),
            endpoints: Vec::new(),
            request: None,
            messages: Vec::new(),
            show_events: false,
            show_elapsed: false,
            report: Vec::new(),
        }
    }

    fn fail(&self, message: &str) -> ! {
        panic!("scenario {:?}: {message}", self.name)
    }

    fn cert(&mut self, args: &str) {
        let mut words = args.split_whitespace();
        let name = words.next().expect("cert name").to_string();
        let kind = words.next().expect("cert kind");
        let names: Vec<&str> = words.collect();
        let cert = match kind {
            "ca" => self.ca.leaf(&names, Alg::Ecdsa, false),
            "expired" => self.ca.leaf(&names, Alg::Ecdsa, true),
            "self" => testing::self_signed(&names, Alg::Ecdsa, false),
            other => self.fail(&format!("unknown cert kind {other}")),
        };
        if kind != "self" {
            self.signed.push(name.clone());
        }
        self.certs.insert(name, cert);
    }

    fn tls_config(&self, name: &str) -> Arc<ServerConfig> {
        let Some(cert) = self.certs.get(name) else {
            self.fail(&format!("no cert {name}"))
        };
        let provider = Arc::new(rustls_rustcrypto::provider());
        let key = provider
            .key_provider
            .load_private_key(cert.private_key())
            .expect("key");
        // A certificate signed by the scenario's CA comes with the CA (for DANE-TA).
        let mut chain: Vec<CertificateDer<'static>> = vec![cert.der.clone()];
        if self.signed.iter().any(|s| s == name) {
            chain.push(self.ca.cert.der.clone());
        }
        let certified = Arc::new(CertifiedKey::new(chain, key));
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(certified)));
        Arc::new(config)
    }

    /// `{spki:NAME}` and `{cert:NAME}` as hex, else the text.
    fn tlsa_data(&self, text: &str) -> String {
        let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
            return text.to_string();
        };
        let (what, name) = inner.split_once(':').expect("{what:cert}");
        let cert = match name {
            "ca" => &self.ca.cert,
            _ => self
                .certs
                .get(name)
                .unwrap_or_else(|| self.fail(&format!("no cert {name}"))),
        };
        let digest = match what {
            "spki" => Sha256::digest(cert.spki()),
            "cert" => Sha256::digest(cert.der.as_ref()),
            other => self.fail(&format!("unknown tlsa placeholder {other}")),
        };
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn dns(&mut self, args: &str) {
        let words: Vec<&str> = args.split_whitespace().collect();
        let r = std::mem::take(&mut self.resolver);
        self.resolver = match words.as_slice() {
            ["all-authentic"] => r.all_authentic(true),
            ["authentic", kind, name] => r.authentic(&format!("{kind} {name}")),
            ["inauthentic", kind, name] => r.inauthentic(&format!("{kind} {name}")),
            ["mx", name, pref, exchange] => r.mx(name, pref.parse().expect("pref"), exchange),
            ["empty-mx", name] => r.empty_mx(name),
            ["a", name, ip] => r.a(name, ip),
            ["aaaa", name, ip] => r.aaaa(name, ip),
            ["cname", name, target] => r.cname(name, target),
            ["txt", name, ..] => {
                let text = args.splitn(3, ' ').nth(2).expect("txt text");
                r.txt(name, text)
            }
            ["tlsa", name, usage, selector, matching, data] => {
                let text = format!("{usage} {selector} {matching} {}", self.tlsa_data(data));
                let record = Tlsa::parse(&text).expect("tlsa");
                self.tlsa.entry(name.to_string()).or_default().push(record);
                r
            }
            ["fail", kind, name, how, rest @ ..] => {
                let ede = rest
                    .iter()
                    .find_map(|w| w.strip_prefix("ede="))
                    .map(|n| n.parse().expect("ede"));
                let error = match *how {
                    "servfail" => LookupError::Temporary {
                        extended_error: ede,
                        message: "servfail".into(),
                    },
                    "nxdomain" => LookupError::NotFound { authentic: false },
                    "nxdomain-authentic" => LookupError::NotFound { authentic: true },
                    "refused" => LookupError::Permanent {
                        message: "refused".into(),
                    },
                    other => self.fail(&format!("unknown failure {other}")),
                };
                r.fail_with(&format!("{kind} {name}"), error)
            }
            _ => self.fail(&format!("bad dns line {args:?}")),
        };
    }

    fn request(&mut self, args: &str) {
        let mut request: Option<Request> = None;
        for token in args.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            if key == "next-hop" {
                let next_hop = match value.parse::<IpAddr>() {
                    Ok(ip) => IpDomain::Ip(ip),
                    Err(_) => IpDomain::Domain(Domain::parse(value).expect("next hop")),
                };
                let mut new = Request::new(next_hop, "client.example");
                new.shuffle_seed = 1;
                request = Some(new);
                continue;
            }
            let Some(r) = request.as_mut() else {
                self.fail("next-hop= comes first")
            };
            match key {
                "tls" => {
                    r.tls_level = match value {
                        "may" => TlsLevel::May,
                        "encrypt" => TlsLevel::Encrypt,
                        "dane" => TlsLevel::Dane,
                        "dane-only" => TlsLevel::DaneOnly,
                        "verify" => TlsLevel::Verify,
                        "secure" => TlsLevel::Secure,
                        other => self.fail(&format!("unknown level {other}")),
                    }
                }
                "tls-required-no" => r.tls_required_no = true,
                "roots" => r.extra_roots = vec![self.ca.cert.der.to_vec()],
                "seed" => r.shuffle_seed = value.parse().expect("seed"),
                "port" => r.port = value.parse().expect("port"),
                "family" => {
                    r.ip_family = match value {
                        "v4" => IpFamily::V4,
                        "v6" => IpFamily::V6,
                        _ => IpFamily::Any,
                    }
                }
                "local" => r.local_addresses.push(value.parse().expect("local ip")),
                "attempt" => r.attempt_number = Some(value.parse().expect("attempt")),
                "dmarc" => r.dmarc_report = true,
                "allow-private" => r.allow_private_addresses = true,
                "address-limit" => r.mx_address_limit = value.parse().expect("limit"),
                "session-limit" => r.mx_session_limit = value.parse().expect("limit"),
                "deadline" => r.deadline = Some(millis(value)),
                "timeout" => r.timeouts = Timeouts::uniform(millis(value)),
                "connect-timeout" => r.connect_timeout = millis(value),
                "relay" => {
                    let (host, port) = value.rsplit_once(':').expect("relay=HOST:PORT");
                    let host = match host.parse::<IpAddr>() {
                        Ok(ip) => IpDomain::Ip(ip),
                        Err(_) => IpDomain::Domain(Domain::parse(host).expect("relay host")),
                    };
                    r.relay = Some(Relay {
                        host,
                        port: port.parse().expect("relay port"),
                        tls_mode: TlsMode::Opportunistic,
                        verify_pkix: false,
                        dane_records: None,
                        auth: None,
                    });
                }
                "relay-tls" | "relay-verify" | "relay-tlsa" | "relay-auth" => {
                    let relay = r.relay.as_mut().expect("relay= first");
                    match key {
                        "relay-tls" => {
                            relay.tls_mode = match value {
                                "immediate" => TlsMode::Immediate,
                                "starttls" => TlsMode::RequiredStartTls,
                                "opportunistic" => TlsMode::Opportunistic,
                                "none" => TlsMode::Skip,
                                other => self.fail(&format!("unknown relay tls {other}")),
                            }
                        }
                        "relay-verify" => relay.verify_pkix = true,
                        "relay-tlsa" => {
                            let fields: Vec<&str> = value.splitn(4, ':').collect();
                            let [usage, selector, matching, data] = fields[..] else {
                                self.fail("relay-tlsa=U:S:M:DATA")
                            };
                            let text =
                                format!("{usage} {selector} {matching} {}", self.tlsa_data(data));
                            let record = Tlsa::parse(&text).expect("tlsa");
                            relay.dane_records.get_or_insert_with(Vec::new).push(record);
                        }
                        _ => {
                            let mut parts = value.splitn(3, ':');
                            let user = parts.next().expect("user");
                            let secret = parts.next().expect("relay-auth=USER:SECRET");
                            relay.auth = Some(AuthConfig {
                                credentials: Credentials::password(user, secret),
                                mechanisms: parts.next().map(str::to_string).into_iter().collect(),
                                allow_cleartext_without_tls: false,
                                client_nonce: b"fixed-nonce-for-scenarios".to_vec(),
                            });
                        }
                    }
                }
                other => self.fail(&format!("unknown request option {other}")),
            }
        }
        self.request = request;
    }

    fn message(&mut self, args: &str) {
        let mut tx = Transaction::default();
        let mut data = b"Subject: test\r\n\r\nhello\r\n".to_vec();
        for token in args.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            match key {
                "from" => tx.mail_from = value.to_string(),
                "to" => tx.recipients.push(value.to_string()),
                "requiretls" => tx.require_tls = true,
                "smtputf8" => tx.require_smtputf8 = true,
                "8bitmime" => tx.require_8bitmime = true,
                "data" => data = unescape(value),
                other => self.fail(&format!("unknown message option {other}")),
            }
        }
        self.messages.push((tx.recipients.clone(), tx, data));
    }
}

/// Presents one certificate whatever the client asks.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Reads the scenarios of one file.
fn parse(text: &str) -> Vec<Scenario> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    // The server block being read: its address, cert and steps.
    let mut block: Option<(SocketAddr, Option<String>, Vec<Step>)> = None;
    let close_block =
        |scenario: &mut Scenario, block: &mut Option<(SocketAddr, Option<String>, Vec<Step>)>| {
            if let Some((address, cert, steps)) = block.take() {
                let tls = cert.map(|name| scenario.tls_config(&name));
                scenario
                    .endpoints
                    .push((address, Endpoint::Accept { steps, tls }));
            }
        };
    for raw in text.lines() {
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("=== ") {
            if let Some(last) = scenarios.last_mut() {
                close_block(last, &mut block);
            }
            scenarios.push(Scenario::new(name));
            continue;
        }
        let scenario = scenarios.last_mut().expect("=== first");
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        match head {
            "S:" | "S~" | "C:" | "tls" | "pause" | "hang" | "close" => {
                let Some((_, _, steps)) = block.as_mut() else {
                    scenario.fail(&format!("{line:?} outside a server block"))
                };
                steps.push(match head {
                    "S:" => Step::Send([unescape(rest), b"\r\n".to_vec()].concat()),
                    "S~" => Step::Send(unescape(rest)),
                    "C:" => Step::Expect(rest.to_string()),
                    "tls" => Step::StartTls,
                    "pause" => Step::Pause(millis(rest)),
                    "hang" => Step::Hang,
                    _ => Step::Close,
                });
                continue;
            }
            _ => close_block(scenario, &mut block),
        }
        match head {
            "server" => {
                let mut words = rest.split_whitespace();
                let address = words.next().expect("address").parse().expect("ip:port");
                let cert = words
                    .next()
                    .and_then(|w| w.strip_prefix("cert="))
                    .map(str::to_string);
                block = Some((address, cert, Vec::new()));
            }
            "refuse" => scenario
                .endpoints
                .push((rest.parse().expect("ip:port"), Endpoint::Refuse)),
            "timeout" => scenario
                .endpoints
                .push((rest.parse().expect("ip:port"), Endpoint::Timeout)),
            "cert:" => scenario.cert(rest),
            "dns:" => scenario.dns(rest),
            "request:" => scenario.request(rest),
            "message:" => scenario.message(rest),
            "report:" => scenario.report.push(rest.to_string()),
            "show:" if rest == "events" => scenario.show_events = true,
            "show:" if rest == "elapsed" => scenario.show_elapsed = true,
            _ => scenario.fail(&format!("unknown directive {line:?}")),
        }
    }
    if let Some(last) = scenarios.last_mut() {
        close_block(last, &mut block);
    }
    scenarios
}

/// An error as a token: kind, `+code` when a reply caused it, `!` when permanent.
fn error_token(error: &Error) -> String {
    let mut token = error.kind().to_string();
    if let Some(reply) = error.reply() {
        token += &format!("+{}", reply.code);
    }
    if error.is_permanent() {
        token.push('!');
    }
    token
}

/// A duration in milliseconds, as the scenarios write it.
fn millis(text: &str) -> Duration {
    Duration::from_millis(text.parse().expect("milliseconds"))
}

/// An event as a line: what, then its duration in milliseconds.
fn event_line(event: &Event) -> String {
    match event {
        Event::Command {
            command,
            code,
            duration,
        } => {
            let code = code.map_or("-".into(), |c| c.to_string());
            format!("event {command} {code} {}ms", duration.as_millis())
        }
        Event::Dial {
            host,
            address,
            port,
            outcome,
            duration,
        } => {
            let outcome = match outcome {
                DialOutcome::Connected => "connected".to_string(),
                DialOutcome::Failed(why) => format!("failed ({why})"),
                DialOutcome::Refused(why) => format!("refused ({why})"),
            };
            let address = SocketAddr::new(*address, *port);
            format!(
                "event dial {host} {address} {outcome} {}ms",
                duration.as_millis()
            )
        }
        Event::VerificationIgnored { host, reason } => {
            format!("event verification-ignored {host} ({reason})")
        }
    }
}

fn result_token(result: &PolicyResult) -> String {
    let policy_type = serde_json::to_value(result.policy.policy_type).expect("json");
    let mut token = format!(
        "{} {} {}/{}",
        policy_type.as_str().unwrap_or("?"),
        result.policy.policy_domain,
        result.summary.total_successful_session_count,
        result.summary.total_failure_session_count
    );
    for detail in &result.failure_details {
        token += &format!(
            " {}:{}*{}",
            detail.result_type,
            detail.failure_reason_code.as_deref().unwrap_or("-"),
            detail.failed_session_count
        );
    }
    token
}

/// The report as lines, for the scenario to list.
fn render(report: &Report, platform: &TestPlatform) -> Vec<String> {
    let mut lines = Vec::new();
    for (m, recipients) in report.messages.iter().enumerate() {
        for r in recipients {
            let status = format!("{:?}", r.status).to_lowercase();
            let mut line = format!("rcpt {m} {} {status}", r.address);
            if let Some(error) = &r.error {
                line += &format!(" {}", error_token(error));
            }
            let error_code = r
                .error
                .as_ref()
                .and_then(Error::reply)
                .map(|reply| reply.code);
            if let Some(reply) = r.reply()
                && Some(reply.code) != error_code
            {
                line += &format!(" reply={}", reply.code);
            }
            let host = r.host.as_ref().map_or("-".to_string(), ToString::to_string);
            lines.push(format!("{line} @{host}"));
        }
    }
    lines.push(format!(
        "error {}",
        report.error.as_ref().map_or("none".into(), error_token)
    ));
    for a in &report.attempts {
        let address = a.address.map_or("-".into(), |ip| ip.to_string());
        let tls = if a.tls.is_some() { "tls" } else { "plain" };
        let error = a.error.as_ref().map_or("ok".into(), error_token);
        let level = a.tls_level.map_or("-".into(), |l| l.to_string());
        lines.push(format!(
            "attempt {} {address} {level} {tls} {error}",
            a.host
        ));
    }
    for results in &report.tls_results {
        lines.push(format!(
            "tlsrpt {}",
            result_token(&results.recipient_domain)
        ));
        lines.push(format!("tlsrpt-host {}", result_token(&results.host)));
    }
    for (host, ips) in report.dialed.iter() {
        let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
        lines.push(format!("dialed {host} {}", ips.join(",")));
    }
    if let Some(policy) = &report.sts_policy {
        lines.push(format!("sts-cache id={}", policy.id));
    }
    for (address, writes) in platform.network.writes() {
        lines.push(format!("conn {address} writes={writes}"));
    }
    lines
}

fn run(mut scenario: Scenario) {
    for (name, records) in std::mem::take(&mut scenario.tlsa) {
        scenario.resolver = std::mem::take(&mut scenario.resolver).tlsa(&name, records);
    }
    let Some(request) = scenario.request.take() else {
        scenario.fail("no request:")
    };
    let wall = std::time::UNIX_EPOCH + Duration::from_secs(testing::now().as_secs());
    let mut platform = TestPlatform::new(std::mem::take(&mut scenario.resolver), wall);
    for (address, endpoint) in std::mem::take(&mut scenario.endpoints) {
        platform.network.add(address, endpoint);
    }
    let outgoing: Vec<Outgoing<Bytes>> = std::mem::take(&mut scenario.messages)
        .into_iter()
        .map(|(recipients, tx, data)| Outgoing {
            recipients,
            transaction: Ok(tx),
            message: Bytes(data),
        })
        .collect();
    let report = deliver(&mut platform, &request, &outgoing);
    let mut got = render(&report, &platform);
    if scenario.show_events {
        got.extend(report.events.iter().map(event_line));
    }
    if scenario.show_elapsed {
        got.push(format!(
            "elapsed {}ms",
            platform.clock.elapsed().as_millis()
        ));
    }
    let problems = platform.network.problems();
    if got != scenario.report || !problems.is_empty() {
        panic!(
            "scenario {:?}\n--- want\n{}\n--- got\n{}\n--- server problems\n{}\n--- log\n{}",
            scenario.name,
            scenario.report.join("\n"),
            got.iter()
                .map(|l| format!("report: {l}"))
                .collect::<Vec<_>>()
                .join("\n"),
            problems.join("\n"),
            platform.log.lines.join("\n")
        );
    }
}

#[test]
fn delivery_scenarios() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/delivery");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/delivery")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    let mut count = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("scenario file");
        for scenario in parse(&text) {
            run(scenario);
            count += 1;
        }
    }
    assert!(count >= 40, "{count} scenarios");
}
