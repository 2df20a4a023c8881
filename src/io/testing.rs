//! A platform for native tests on virtual time: a clock that only moves when a wait runs out,
//! scripted servers per address (server lines out, expected client lines in, a real TLS
//! handshake in memory with a generated certificate), a resolver from tables and a log that
//! keeps its lines.
//!
//! A read with nothing scripted to send advances the clock to its deadline and times out, so
//! every timeout of the core runs in no real time.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rustls::{ServerConfig, ServerConnection};

use super::{Clock, Direction, Log, Network, Transport};
use crate::dns::mock::MockResolver;
use crate::dns::{Answer, Fqdn, IpFamily, LookupError, Mx, Resolver, Tlsa};
use crate::error::Error;

/// Monotonic and wall time that move only when told to.
#[derive(Debug, Clone)]
pub(crate) struct VirtualClock {
    start: Instant,
    now: Rc<Cell<Instant>>,
    wall_start: SystemTime,
}

impl VirtualClock {
    /// A clock whose wall time starts at `wall_start`.
    pub(crate) fn new(wall_start: SystemTime) -> Self {
        let start = Instant::now();
        VirtualClock {
            start,
            now: Rc::new(Cell::new(start)),
            wall_start,
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.now.set(self.now.get() + by);
    }

    /// Virtual time passed since the start.
    pub(crate) fn elapsed(&self) -> Duration {
        self.now.get() - self.start
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.now.get()
    }

    fn wall(&self) -> SystemTime {
        self.wall_start + self.elapsed()
    }
}

/// One step of a scripted server.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// The server sends these bytes.
    Send(Vec<u8>),
    /// The client must have sent this line (without CRLF).
    Expect(String),
    /// The server starts TLS: what the client sends from now on is a TLS handshake.
    StartTls,
    /// The server says nothing for this long (virtual time passes while the client waits).
    Pause(Duration),
    /// The server says nothing any more, and the client gives up: the script's end.
    Hang,
    /// The server closes the connection.
    Close,
}

/// What happens when the client connects to an address.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    /// A server that runs `steps`, with `tls` for [`Step::StartTls`].
    Accept {
        steps: Vec<Step>,
        tls: Option<Arc<ServerConfig>>,
    },
    /// The connection is refused.
    Refuse,
    /// The connection attempt times out.
    Timeout,
}

/// One connection's server side.
#[derive(Debug)]
struct Server {
    remote: SocketAddr,
    steps: VecDeque<Step>,
    tls_config: Option<Arc<ServerConfig>>,
    tls: Option<ServerConnection>,
    /// Plaintext received, not yet matched.
    received: Vec<u8>,
    /// Bytes for the client.
    to_client: Vec<u8>,
    closed: bool,
    writes: usize,
    failure: Option<String>,
}

impl Server {
    fn fail(&mut self, message: String) {
        if self.failure.is_none() {
            self.failure = Some(message);
        }
        self.steps.clear();
    }

    /// Runs the script as far as the client's input allows.
    fn advance(&mut self) {
        while let Some(step) = self.steps.front().cloned() {
            match step {
                Step::Send(bytes) => match &mut self.tls {
                    Some(tls) => {
                        tls.writer().write_all(&bytes).expect("tls write");
                        self.flush_tls();
                    }
                    None => self.to_client.extend_from_slice(&bytes),
                },
                Step::Expect(want) => {
                    let Some(end) = self.received.windows(2).position(|w| w == b"\r\n") else {
                        return;
                    };
                    let line: Vec<u8> = self.received.drain(..end + 2).collect();
                    let got = String::from_utf8_lossy(&line[..end]).into_owned();
                    if got != want {
                        return self.fail(format!(
                            "{}: client sent {got:?}, want {want:?}",
                            self.remote
                        ));
                    }
                }
                Step::StartTls => {
                    if !self.received.is_empty() {
                        let early = String::from_utf8_lossy(&self.received).into_owned();
                        return self
                            .fail(format!("{}: client sent {early:?} before TLS", self.remote));
                    }
                    let config = self.tls_config.clone().expect("tls step needs cert=");
                    self.tls = Some(ServerConnection::new(config).expect("server tls"));
                }
                Step::Close => {
                    self.closed = true;
                    self.steps.pop_front();
                    return;
                }
                // The client's read lets the time pass ([`ScriptedTransport::read`]).
                Step::Pause(_) | Step::Hang => return,
            }
            self.steps.pop_front();
        }
    }

    fn flush_tls(&mut self) {
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                tls.write_tls(&mut self.to_client).expect("tls output");
            }
        }
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.writes += 1;
        match &mut self.tls {
            None => self.received.extend_from_slice(bytes),
            Some(tls) => {
                let mut rd = bytes;
                while !rd.is_empty() {
                    tls.read_tls(&mut rd).expect("tls input");
                    // A client that rejects the server sends an alert: the server gives up.
                    if tls.process_new_packets().is_err() {
                        self.flush_tls();
                        self.steps.clear();
                        self.closed = true;
                        return;
                    }
                    let _ = tls.reader().read_to_end(&mut self.received);
                }
                self.flush_tls();
            }
        }
        self.advance();
    }
}

/// A connection to a scripted server.
#[derive(Debug)]
pub(crate) struct ScriptedTransport {
    server: Rc<RefCell<Server>>,
    clock: VirtualClock,
    local: SocketAddr,
}

impl Transport for ScriptedTransport {
    fn write(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), Error> {
        self.server.borrow_mut().receive(bytes);
        Ok(())
    }

    fn read(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, Error> {
        let mut server = self.server.borrow_mut();
        let mut left = timeout;
        loop {
            server.advance();
            if !server.to_client.is_empty() {
                let n = max.min(server.to_client.len());
                return Ok(server.to_client.drain(..n).collect());
            }
            if server.closed {
                return Ok(Vec::new());
            }
            match server.steps.front_mut() {
                Some(Step::Pause(pause)) if *pause <= left => {
                    self.clock.advance(*pause);
                    left -= *pause;
                    server.steps.pop_front();
                }
                Some(Step::Pause(pause)) => {
                    *pause -= left;
                    break;
                }
                _ => break,
            }
        }
        self.clock.advance(left);
        Err(Error::timeout(None))
    }

    fn local_address(&self) -> Option<SocketAddr> {
        Some(self.local)
    }

    fn remote_address(&self) -> Option<SocketAddr> {
        Some(self.server.borrow().remote)
    }
}

/// Scripted endpoints by address, and what was dialed.
#[derive(Debug)]
pub(crate) struct ScriptedNetwork {
    clock: VirtualClock,
    endpoints: HashMap<SocketAddr, VecDeque<Endpoint>>,
    /// Every connection opened, in order.
    servers: Vec<Rc<RefCell<Server>>>,
    /// Every address dialed, in order.
    pub(crate) dialed: Vec<SocketAddr>,
}

impl ScriptedNetwork {
    pub(crate) fn new(clock: VirtualClock) -> Self {
        ScriptedNetwork {
            clock,
            endpoints: HashMap::new(),
            servers: Vec::new(),
            dialed: Vec::new(),
        }
    }

    /// The next connection to `address` meets `endpoint`.
    pub(crate) fn add(&mut self, address: SocketAddr, endpoint: Endpoint) {
        self.endpoints
            .entry(address)
            .or_default()
            .push_back(endpoint);
    }

    /// Per connection, in order: its address and how many writes it got.
    pub(crate) fn writes(&self) -> Vec<(SocketAddr, usize)> {
        self.servers
            .iter()
            .map(|s| (s.borrow().remote, s.borrow().writes))
            .collect()
    }

    /// What went wrong on the server side: a mismatch, an unfinished script, an endpoint
    /// never used.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for server in &self.servers {
            let server = server.borrow();
            if let Some(failure) = &server.failure {
                problems.push(failure.clone());
            } else if let Some(step) = server.steps.front()
                && !matches!(step, Step::Hang)
            {
                problems.push(format!(
                    "{}: script not finished at {step:?}",
                    server.remote
                ));
            }
        }
        for (address, endpoints) in &self.endpoints {
            if !endpoints.is_empty() {
                problems.push(format!(
                    "{address}: {} endpoint(s) never used",
                    endpoints.len()
                ));
            }
        }
        problems.sort();
        problems
    }
}

impl Network for ScriptedNetwork {
    type Transport = ScriptedTransport;

    fn connect(
        &mut self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<ScriptedTransport, Error> {
        self.dialed.push(remote);
        let endpoint = self
            .endpoints
            .get_mut(&remote)
            .and_then(VecDeque::pop_front);
        match endpoint {
            Some(Endpoint::Accept { steps, tls }) => {
                let mut server = Server {
                    remote,
                    steps: steps.into(),
                    tls_config: tls,
                    tls: None,
                    received: Vec::new(),
                    to_client: Vec::new(),
                    closed: false,
                    writes: 0,
                    failure: None,
                };
                server.advance();
                let server = Rc::new(RefCell::new(server));
                self.servers.push(server.clone());
                let local_ip = local.unwrap_or(if remote.is_ipv4() {
                    IpAddr::from([198, 51, 100, 1])
                } else {
                    "2001:db8:ffff::1".parse().expect("ip")
                });
                Ok(ScriptedTransport {
                    server,
                    clock: self.clock.clone(),
                    local: SocketAddr::new(local_ip, 50_000),
                })
            }
            Some(Endpoint::Timeout) => {
                self.clock.advance(timeout);
                Err(Error::timeout(None))
            }
            Some(Endpoint::Refuse) | None => Err(Error::io("connection refused".into())),
        }
    }
}

/// A log that keeps its lines.
#[derive(Debug, Default)]
pub(crate) struct MemoryLog {
    pub(crate) lines: Vec<String>,
}

impl Log for MemoryLog {
    fn transcript_enabled(&self) -> bool {
        true
    }

    fn debug_enabled(&self) -> bool {
        true
    }

    fn transcript(&mut self, direction: Direction, line: &str) {
        let arrow = match direction {
            Direction::Client => "C:",
            Direction::Server => "S:",
        };
        self.lines.push(format!("{arrow} {line}"));
    }

    fn debug(&mut self, line: &str) {
        self.lines.push(format!("debug: {line}"));
    }
}

/// Everything at once: DNS from tables, scripted servers, virtual time, a log.
#[derive(Debug)]
pub(crate) struct TestPlatform {
    pub(crate) resolver: MockResolver,
    pub(crate) network: ScriptedNetwork,
    pub(crate) clock: VirtualClock,
    pub(crate) log: MemoryLog,
}

impl TestPlatform {
    pub(crate) fn new(resolver: MockResolver, wall_start: SystemTime) -> Self {
        let clock = VirtualClock::new(wall_start);
        TestPlatform {
            resolver,
            network: ScriptedNetwork::new(clock.clone()),
            clock,
            log: MemoryLog::default(),
        }
    }
}

impl Clock for TestPlatform {
    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn wall(&self) -> SystemTime {
        self.clock.wall()
    }
}

impl Log for TestPlatform {
    fn transcript_enabled(&self) -> bool {
        self.log.transcript_enabled()
    }

    fn debug_enabled(&self) -> bool {
        self.log.debug_enabled()
    }

    fn transcript(&mut self, direction: Direction, line: &str) {
        self.log.transcript(direction, line);
    }

    fn debug(&mut self, line: &str) {
        self.log.debug(line);
    }
}

impl Network for TestPlatform {
    type Transport = ScriptedTransport;

    fn connect(
        &mut self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<ScriptedTransport, Error> {
        self.network.connect(remote, local, timeout)
    }
}

impl Resolver for TestPlatform {
    fn lookup_cname(&mut self, name: &Fqdn) -> Result<Answer<String>, LookupError> {
        self.resolver.lookup_cname(name)
    }

    fn lookup_mx(&mut self, name: &Fqdn) -> Result<Answer<Vec<Mx>>, LookupError> {
        self.resolver.lookup_mx(name)
    }

    fn lookup_ip(
        &mut self,
        name: &Fqdn,
        family: IpFamily,
    ) -> Result<Answer<Vec<IpAddr>>, LookupError> {
        self.resolver.lookup_ip(name, family)
    }

    fn lookup_tlsa(
        &mut self,
        port: u16,
        protocol: &str,
        host: &Fqdn,
    ) -> Result<Answer<Vec<Tlsa>>, LookupError> {
        self.resolver.lookup_tlsa(port, protocol, host)
    }

    fn lookup_txt(&mut self, name: &Fqdn) -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
        self.resolver.lookup_txt(name)
    }
}

/// Test text with escapes as bytes: `\r`, `\n`, `\t`, `\\` and `\xHH`.
pub(crate) fn unescape(text: &str) -> Vec<u8> {
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
