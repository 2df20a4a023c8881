//! The core's platform traits ([`crate::io`]) over the imports: `tcp` connections, `log`
//! lines, `spool` messages and the WASI clocks (DNS lookups: `resolver.rs`); randomness from
//! `wasi:random`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use super::smtp::client::log::{self, Direction as WitDirection, Level};
use super::smtp::client::spool::Message as SpoolMessage;
use super::smtp::client::tcp::{self, Connection, SocketAddress, TcpError};
use super::smtp::client::types::IpAddress;
use crate::error::Error;
use crate::io::{Clock, Direction, Log, Message, Network, Transport};

/// Every import at once: the component's platform.
pub struct Imports;

impl Clock for Imports {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl Log for Imports {
    fn transcript_enabled(&self) -> bool {
        log::enabled(Level::Info)
    }

    fn debug_enabled(&self) -> bool {
        log::enabled(Level::Debug)
    }

    fn transcript(&mut self, direction: Direction, line: &str) {
        let direction = match direction {
            Direction::Client => WitDirection::Client,
            Direction::Server => WitDirection::Server,
        };
        log::transcript(direction, line);
    }

    fn debug(&mut self, line: &str) {
        log::log(Level::Debug, line);
    }
}

impl Network for Imports {
    type Transport = ImportConnection;

    fn connect(
        &mut self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<ImportConnection, Error> {
        let remote = SocketAddress {
            address: remote.ip().into(),
            port: remote.port(),
        };
        tcp::connect(remote, local.map(IpAddress::from), millis(timeout))
            .map(ImportConnection)
            .map_err(|error| tcp_error(&error))
    }
}

/// A `tcp` connection as a [`Transport`].
pub struct ImportConnection(pub Connection);

impl Transport for ImportConnection {
    fn write(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), Error> {
        self.0
            .write(bytes, millis(timeout))
            .map_err(|error| tcp_error(&error))
    }

    fn read(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, Error> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.0
            .read(max, millis(timeout))
            .map_err(|error| tcp_error(&error))
    }

    fn local_address(&self) -> Option<SocketAddr> {
        self.0.local_address().ok().map(socket_address)
    }

    fn remote_address(&self) -> Option<SocketAddr> {
        self.0.remote_address().ok().map(socket_address)
    }
}

fn socket_address(address: SocketAddress) -> SocketAddr {
    SocketAddr::new(IpAddr::from(address.address), address.port)
}

/// A timeout in milliseconds for the imports, rounded up: 0 (do not wait) only for zero.
pub fn millis(duration: Duration) -> u32 {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    u32::try_from(ms).unwrap_or(u32::MAX)
}

/// A failed socket operation as a core error: a timeout is `timeout`, the rest `io`.
pub fn tcp_error(error: &TcpError) -> Error {
    match error {
        TcpError::Timeout => Error::timeout(None),
        TcpError::Refused => Error::io("connection refused".into()),
        TcpError::Unreachable => Error::io("network unreachable".into()),
        TcpError::Reset => Error::io("connection reset by peer".into()),
        TcpError::Closed => Error::io("connection closed".into()),
        TcpError::Denied(why) => Error::io(format!("connection denied by host policy: {why}")),
        TcpError::Other(why) => Error::io(why.clone()),
    }
}

/// A `spool` message resource as a [`Message`].
impl Message for SpoolMessage {
    fn size(&self) -> Option<u64> {
        SpoolMessage::size(self)
    }

    fn read(&self, offset: u64, max: usize) -> Result<Vec<u8>, Error> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        SpoolMessage::read(self, offset, max).map_err(|detail| Error::MessageUnreadable { detail })
    }
}

/// A fresh random seed for the MX shuffle, from `wasi:random`. Without randomness the hosts
/// of one preference keep their DNS order (seed 0), which only spreads the load less.
pub fn random_seed() -> u64 {
    getrandom::u64().unwrap_or_default()
}
