//! The core's platform traits ([`crate::io`]) over the imports: `tcp` connections, `log`
//! lines, `spool` messages and the WASI clocks (DNS lookups: `resolver.rs`); randomness from
//! `wasi:random`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use super::smtp::client::log::{self, Direction as WitDirection, Level};
use super::smtp::client::spool::Message as SpoolMessage;
use super::smtp::client::tcp::{self, Connection, SocketAddress, TcpError};
use super::smtp::client::types::IpAddress;
use super::wasi::io::streams::{InputStream, StreamError};
use crate::error::Error;
use crate::io::{Clock, Direction, Log, Message, MessageReader, Network, Transport};

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
        tcp::connect(remote, local.map(IpAddress::from), millis(timeout).max(1))
            .map(ImportConnection)
            .map_err(|error| tcp_error(&error))
    }
}

/// A `tcp` connection as a [`Transport`].
pub struct ImportConnection(pub Connection);

impl Transport for ImportConnection {
    fn write(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), Error> {
        self.0
            .write(bytes, millis(timeout).max(1))
            .map_err(|error| tcp_error(&error))
    }

    fn read(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, Error> {
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        // A zero timeout is a poll, which the import does without waiting.
        let timeout = if timeout.is_zero() {
            0
        } else {
            millis(timeout).max(1)
        };
        self.0.read(max, timeout).map_err(|error| tcp_error(&error))
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

/// A duration in whole milliseconds, for the imports.
fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
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

/// A spool message as a [`Message`].
pub struct SpoolSource(pub SpoolMessage);

impl Message for SpoolSource {
    type Reader = StreamReader;

    fn open(&self) -> Result<StreamReader, Error> {
        self.0
            .open()
            .map(StreamReader)
            .map_err(|e| Error::io(format!("opening the message in the spool: {e}")))
    }
}

/// A WASI input stream, owned, as a [`MessageReader`].
pub struct StreamReader(pub InputStream);

impl MessageReader for StreamReader {
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error> {
        read_stream(&self.0, max)
    }
}

/// A borrowed WASI input stream (the `client` export's message) as a [`MessageReader`].
pub struct BorrowedStream<'a>(pub &'a InputStream);

impl MessageReader for BorrowedStream<'_> {
    fn read(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error> {
        read_stream(self.0, max)
    }
}

fn read_stream(stream: &InputStream, max: usize) -> Result<Option<Vec<u8>>, Error> {
    match stream.blocking_read(u64::try_from(max).unwrap_or(u64::MAX)) {
        Ok(chunk) => Ok(Some(chunk)),
        Err(StreamError::Closed) => Ok(None),
        Err(StreamError::LastOperationFailed(error)) => Err(Error::io(format!(
            "reading the message: {}",
            error.to_debug_string()
        ))),
    }
}

/// A fresh random seed for the MX shuffle, from `wasi:random`. Without randomness the hosts
/// of one preference keep their DNS order (seed 0), which only spreads the load less.
pub fn random_seed() -> u64 {
    getrandom::u64().unwrap_or_default()
}
