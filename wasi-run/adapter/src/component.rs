//! The only code that knows the WIT world: the exports of `adapter-component`, converting
//! WIT values to the plain modules' and back, and the adapter's state (its settings, its
//! resolver).

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;

use smtpclient_dns_stub::{
    self as dns, DEFAULT_TIMEOUT, HostsFile, SYSTEM_RESOLV_CONF, ShownRecord, lookup_line,
    nameserver_from_file,
};

use crate::deadline::Deadline;
use crate::dns_transport::WasiExchange;
use crate::egress::Egress;
use crate::log::{self as verbosity, Verbosity};
use crate::settings::{self, DNS_ENV, Nameserver, Settings};
use crate::spool;
use crate::stub::Stub;
use crate::tcp::{self, TcpError};

wit_bindgen::generate!({
    world: "smtp:wasi-run/adapter-component",
    path: ["../../wit", "../wit"],
    generate_all,
});

use exports::smtp::client::log::{self as wit_log, Direction, Level};
use exports::smtp::client::resolver::{
    self as wit_resolver, CnameAnswer, IpAnswer, IpFamily, LookupError, Mx, MxAnswer, NotFound,
    TemporaryFailure, TlsaAnswer, TxtAnswer,
};
use exports::smtp::client::spool::{self as wit_spool, GuestMessage};
use exports::smtp::client::tcp::{self as wit_tcp, GuestConnection, SocketAddress};
use exports::smtp::client::types::{IpAddress, Tlsa};
use exports::smtp::wasi_run::adapter;

/// The component: the type every export is implemented on.
struct Component;

export!(Component);

/// What `configure` set, and the resolver made from it at the first lookup.
#[derive(Default)]
struct State {
    settings: Settings,
    /// Whether `configure` was called: its nameserver, or none, is then final.
    configured: bool,
    resolver: Option<Stub<WasiExchange>>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

fn verbosity() -> Verbosity {
    STATE.with_borrow(|state| Verbosity(state.settings.verbosity))
}

fn egress() -> Egress {
    STATE.with_borrow(|state| state.settings.egress.clone())
}

/// The nameserver of `$SMTPCLIENT_DNS` or resolv.conf.
fn found_nameserver() -> Result<Nameserver, settings::NameserverError> {
    let env = std::env::var(DNS_ENV).ok();
    settings::default_nameserver(env.as_deref(), || nameserver_from_file(SYSTEM_RESOLV_CONF))
}

/// Runs `lookup` on the resolver, made first if need be, and shows it at `-vv`.
fn with_resolver<T: ShownRecord>(
    kind: &str,
    name: &str,
    lookup: impl FnOnce(&Stub<WasiExchange>) -> Result<dns::Answer<T>, dns::LookupError>,
) -> Result<dns::Answer<T>, dns::LookupError> {
    let result = STATE.with_borrow_mut(|state| {
        if state.resolver.is_none() {
            let nameserver = match state.settings.nameserver {
                Some(nameserver) => nameserver,
                None if state.configured => {
                    return Err(dns::LookupError::temporary(
                        "no nameserver was configured or found",
                    ));
                }
                None => {
                    found_nameserver().map_err(|e| dns::LookupError::temporary(e.to_string()))?
                }
            };
            state.resolver = Some(Stub {
                nameserver,
                timeout: DEFAULT_TIMEOUT,
                hosts: HostsFile::from_system(),
                exchange: WasiExchange,
            });
        }
        match &state.resolver {
            Some(resolver) => lookup(resolver),
            None => Err(dns::LookupError::temporary("no resolver")),
        }
    });
    if verbosity().shows_lookups() {
        eprintln!("{}", lookup_line(kind, name, &result));
    }
    result
}

impl adapter::Guest for Component {
    fn configure(settings: adapter::Settings) -> Result<Option<adapter::Nameserver>, String> {
        let nameserver = match settings.nameserver {
            Some(given) => Some(Nameserver {
                address: SocketAddr::new(ip_from_wit(given.address), given.port),
                trusted: given.trusted,
            }),
            None => match found_nameserver() {
                Ok(found) => Some(found),
                Err(error @ settings::NameserverError::BadEnvironment(_)) => {
                    return Err(error.to_string());
                }
                Err(settings::NameserverError::None(_)) => None,
            },
        };
        STATE.with_borrow_mut(|state| {
            *state = State {
                settings: Settings {
                    nameserver,
                    egress: Egress {
                        ports: settings.egress.ports,
                        allow_private: settings.egress.allow_private,
                    },
                    verbosity: settings.verbosity,
                },
                configured: true,
                resolver: None,
            }
        });
        Ok(nameserver.map(|found| adapter::Nameserver {
            address: ip_to_wit(found.address.ip()),
            port: found.address.port(),
            trusted: found.trusted,
        }))
    }

    fn open_file(path: String) -> Result<wit_spool::Message, String> {
        spool::Message::open(&path).map(|message| wit_spool::Message::new(Shared(Rc::new(message))))
    }

    fn read_stdin() -> Result<wit_spool::Message, String> {
        spool::Message::read_all(std::io::stdin().lock())
            .map(|message| wit_spool::Message::new(Shared(Rc::new(message))))
    }

    fn share(message: wit_spool::MessageBorrow<'_>) -> wit_spool::Message {
        wit_spool::Message::new(message.get::<Shared>().clone())
    }
}

/// A message behind every handle `share` made of it.
#[derive(Debug, Clone)]
struct Shared(Rc<spool::Message>);

impl wit_spool::Guest for Component {
    type Message = Shared;
}

impl GuestMessage for Shared {
    fn size(&self) -> Option<u64> {
        Some(self.0.size())
    }

    fn read(&self, offset: u64, max: u32) -> Result<Vec<u8>, String> {
        self.0.read(offset, max)
    }
}

impl wit_log::Guest for Component {
    fn enabled(level: Level) -> bool {
        verbosity().enabled(level_from_wit(level))
    }

    fn transcript(direction: Direction, line: String) {
        let direction = match direction {
            Direction::Client => verbosity::Direction::Client,
            Direction::Server => verbosity::Direction::Server,
        };
        if let Some(line) = verbosity().transcript(direction, &line) {
            eprintln!("{line}");
        }
    }

    fn log(level: Level, message: String) {
        if let Some(line) = verbosity().log(level_from_wit(level), &message) {
            eprintln!("{line}");
        }
    }
}

fn level_from_wit(level: Level) -> verbosity::Level {
    match level {
        Level::Error => verbosity::Level::Error,
        Level::Warn => verbosity::Level::Warn,
        Level::Info => verbosity::Level::Info,
        Level::Debug => verbosity::Level::Debug,
        Level::Trace => verbosity::Level::Trace,
    }
}

impl wit_tcp::Guest for Component {
    type Connection = tcp::Connection;

    fn connect(
        remote: SocketAddress,
        local: Option<IpAddress>,
        timeout_ms: u32,
    ) -> Result<wit_tcp::Connection, wit_tcp::TcpError> {
        let deadline = Deadline::after_ms(timeout_ms);
        let remote = SocketAddr::new(ip_from_wit(remote.address), remote.port);
        egress().check(remote).map_err(wit_tcp::TcpError::Denied)?;
        tcp::connect(remote, local.map(ip_from_wit), deadline)
            .map(wit_tcp::Connection::new)
            .map_err(tcp_error_to_wit)
    }
}

impl GuestConnection for tcp::Connection {
    fn read(&self, max: u32, timeout_ms: u32) -> Result<Vec<u8>, wit_tcp::TcpError> {
        tcp::Connection::read(self, max, Deadline::after_ms(timeout_ms)).map_err(tcp_error_to_wit)
    }

    fn write(&self, data: Vec<u8>, timeout_ms: u32) -> Result<(), wit_tcp::TcpError> {
        tcp::Connection::write(self, &data, Deadline::after_ms(timeout_ms))
            .map_err(tcp_error_to_wit)
    }

    fn local_address(&self) -> Result<SocketAddress, wit_tcp::TcpError> {
        tcp::Connection::local_address(self)
            .map(socket_address_to_wit)
            .map_err(tcp_error_to_wit)
    }

    fn remote_address(&self) -> Result<SocketAddress, wit_tcp::TcpError> {
        tcp::Connection::remote_address(self)
            .map(socket_address_to_wit)
            .map_err(tcp_error_to_wit)
    }
}

fn tcp_error_to_wit(error: TcpError) -> wit_tcp::TcpError {
    match error {
        TcpError::Refused => wit_tcp::TcpError::Refused,
        TcpError::Unreachable => wit_tcp::TcpError::Unreachable,
        TcpError::Timeout => wit_tcp::TcpError::Timeout,
        TcpError::Reset => wit_tcp::TcpError::Reset,
        TcpError::Denied(reason) => wit_tcp::TcpError::Denied(reason),
        TcpError::Closed => wit_tcp::TcpError::Closed,
        TcpError::Other(text) => wit_tcp::TcpError::Other(text),
    }
}

impl wit_resolver::Guest for Component {
    fn lookup_cname(name: String) -> Result<CnameAnswer, LookupError> {
        let answer =
            with_resolver("CNAME", &name, |r| r.lookup_cname(&name)).map_err(lookup_error)?;
        let authentic = answer.authentic;
        match answer.records.into_iter().next() {
            Some(target) => Ok(CnameAnswer { target, authentic }),
            None => Err(LookupError::NotFound(NotFound { authentic })),
        }
    }

    fn lookup_mx(name: String) -> Result<MxAnswer, LookupError> {
        let answer = with_resolver("MX", &name, |r| r.lookup_mx(&name)).map_err(lookup_error)?;
        Ok(MxAnswer {
            records: answer
                .records
                .into_iter()
                .map(|mx| Mx {
                    preference: mx.preference,
                    exchange: mx.exchange,
                })
                .collect(),
            authentic: answer.authentic,
        })
    }

    fn lookup_ip(name: String, family: IpFamily) -> Result<IpAnswer, LookupError> {
        let family = match family {
            IpFamily::Any => dns::IpFamily::Any,
            IpFamily::Ipv4 => dns::IpFamily::V4,
            IpFamily::Ipv6 => dns::IpFamily::V6,
        };
        let answer =
            with_resolver("A/AAAA", &name, |r| r.lookup_ip(&name, family)).map_err(lookup_error)?;
        Ok(IpAnswer {
            addresses: answer.records.into_iter().map(ip_to_wit).collect(),
            authentic: answer.authentic,
        })
    }

    fn lookup_tlsa(port: u16, protocol: String, host: String) -> Result<TlsaAnswer, LookupError> {
        let name = format!("_{port}._{protocol}.{host}");
        let answer = with_resolver("TLSA", &name, |r| r.lookup_tlsa(port, &protocol, &host))
            .map_err(lookup_error)?;
        Ok(TlsaAnswer {
            records: answer
                .records
                .into_iter()
                .map(|tlsa| Tlsa {
                    usage: tlsa.usage,
                    selector: tlsa.selector,
                    matching_type: tlsa.matching_type,
                    data: tlsa.data,
                })
                .collect(),
            authentic: answer.authentic,
        })
    }

    fn lookup_txt(name: String) -> Result<TxtAnswer, LookupError> {
        let answer = with_resolver("TXT", &name, |r| r.lookup_txt(&name)).map_err(lookup_error)?;
        Ok(TxtAnswer {
            records: answer.records,
            authentic: answer.authentic,
        })
    }
}

fn lookup_error(error: dns::LookupError) -> LookupError {
    match error {
        dns::LookupError::NotFound { authentic } => LookupError::NotFound(NotFound { authentic }),
        dns::LookupError::Temporary {
            extended_error,
            message,
        } => LookupError::Temporary(TemporaryFailure {
            extended_error,
            message,
        }),
        dns::LookupError::Permanent { message } => LookupError::Permanent(message),
    }
}

fn ip_from_wit(address: IpAddress) -> IpAddr {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
        }
    }
}

fn ip_to_wit(address: IpAddr) -> IpAddress {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            IpAddress::Ipv4((a, b, c, d))
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.segments();
            IpAddress::Ipv6((a, b, c, d, e, f, g, h))
        }
    }
}

fn socket_address_to_wit(address: SocketAddr) -> SocketAddress {
    SocketAddress {
        address: ip_to_wit(address.ip()),
        port: address.port(),
    }
}
