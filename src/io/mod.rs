//! The boundary between the sans-IO core and the platform that runs it: what the platform
//! supplies (a clock, connections, messages, a log; DNS is [`crate::dns::Resolver`]) as
//! traits, and the loops that drive the core's state machines over them ([`SessionDriver`]).
//!
//! The component implements these traits over its WIT imports (`tcp`, `resolver`, `log`,
//! `spool`); the native tests implement them over scripted servers on virtual time. Nothing
//! below decides policy: the loops only move bytes, time and message data.

pub mod dial;
pub mod driver;
#[cfg(test)]
pub(crate) mod testing;

pub use driver::SessionDriver;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

pub use crate::smtp::session::Direction;

use crate::error::Error;

/// The platform's clocks.
pub trait Clock {
    /// Monotonic time, for deadlines.
    fn now(&self) -> Instant;
    /// Wall-clock time, for certificate validity and policy ages.
    fn wall(&self) -> SystemTime;
}

/// One open connection (TCP, or what the platform provides in its place).
pub trait Transport {
    /// Writes all of `bytes`, waiting at most `timeout` in all.
    ///
    /// # Errors
    /// [`Error::Timeout`] when the peer stopped reading, [`Error::Io`] when the connection
    /// failed.
    fn write(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), Error>;

    /// Reads at most `max` bytes, waiting at most `timeout` for at least one; a zero
    /// `timeout` does not wait. An empty result is the end of the stream.
    ///
    /// # Errors
    /// [`Error::Timeout`] when nothing arrived in time (the connection stays usable),
    /// [`Error::Io`] when the connection failed.
    fn read(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, Error>;

    /// Our end of the connection, when the platform can tell.
    fn local_address(&self) -> Option<SocketAddr>;

    /// The peer's end of the connection, when the platform can tell.
    fn remote_address(&self) -> Option<SocketAddr>;
}

/// Opens connections.
pub trait Network {
    /// The connections it opens.
    type Transport: Transport;

    /// Connects to `remote`, from `local` when given, within `timeout`.
    ///
    /// # Errors
    /// All temporary: [`Error::Io`] for a refused or unreachable address or a refusal by the
    /// platform's egress policy, [`Error::Timeout`].
    fn connect(
        &mut self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<Self::Transport, Error>;
}

/// A message the platform keeps, read by position as often as needed (from its start for
/// every host and every transaction).
pub trait Message {
    /// The size in bytes, when the platform knows it (SIZE= on MAIL FROM, RFC 1870 §6).
    fn size(&self) -> Option<u64>;

    /// At most `max` bytes from byte `offset`; an empty result means the message ends
    /// before `offset`. Fewer than `max` bytes do not mean the end.
    ///
    /// # Errors
    /// [`Error::MessageUnreadable`]: the message cannot be read (removed from the spool, say).
    fn read(&self, offset: u64, max: usize) -> Result<Vec<u8>, Error>;
}

/// Reads a [`Message`] from its start, one chunk after the other.
pub struct MessageReader<'a> {
    message: &'a dyn Message,
    offset: u64,
}

impl<'a> MessageReader<'a> {
    /// A reader at the start of `message`.
    pub fn new(message: &'a dyn Message) -> Self {
        MessageReader { message, offset: 0 }
    }

    /// The next bytes, at most `max`; `None` at the end of the message.
    ///
    /// # Errors
    /// The message could not be read.
    pub fn next_chunk(&mut self, max: usize) -> Result<Option<Vec<u8>>, Error> {
        let chunk = self.message.read(self.offset, max)?;
        if chunk.is_empty() {
            return Ok(None);
        }
        if chunk.len() > max {
            return Err(Error::MessageUnreadable {
                detail: format!("{} bytes returned for at most {max}", chunk.len()),
            });
        }
        self.offset += chunk.len() as u64;
        Ok(Some(chunk))
    }
}

/// Where the transcript and diagnostic lines go.
pub trait Log {
    /// Whether transcript lines are wanted (so the session records them at all).
    fn transcript_enabled(&self) -> bool;

    /// Whether debug lines are wanted (so they are formatted at all).
    fn debug_enabled(&self) -> bool;

    /// One line of the SMTP conversation, without CRLF.
    fn transcript(&mut self, direction: Direction, line: &str);

    /// One debug line.
    fn debug(&mut self, line: &str);
}
