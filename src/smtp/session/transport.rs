//! The one place where socket bytes pass: commands and message data out, replies in.
//!
//! Plaintext for now. A TLS layer (issue 4) goes here: `receive` decrypts into the parser,
//! the writers encrypt into `out`, and [`Transport::is_tls`] reports the handshake.

use crate::smtp::command::Command;
use crate::smtp::reply::{ProtocolError, Reply, ReplyParser};

#[derive(Debug, Default)]
pub(super) struct Transport {
    /// Bytes for the driver to write to the socket.
    out: Vec<u8>,
    parser: ReplyParser,
}

impl Transport {
    /// Bytes read from the socket.
    pub(super) fn receive(&mut self, bytes: &[u8]) {
        self.parser.push(bytes);
    }

    pub(super) fn next_reply(&mut self, enhanced: bool) -> Option<Result<Reply, ProtocolError>> {
        self.parser.next_reply(enhanced)
    }

    /// True when bytes were received that are not part of a returned reply.
    pub(super) fn has_input(&self) -> bool {
        !self.parser.is_empty()
    }

    pub(super) fn send(&mut self, command: &Command<'_>) {
        command.encode(&mut self.out);
    }

    /// Writes message data produced by `write` into the output.
    pub(super) fn write_data<T>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> T) -> T {
        write(&mut self.out)
    }

    /// True once TLS is established; this version has no TLS layer.
    pub(super) fn is_tls(&self) -> bool {
        false
    }

    /// How many bytes wait for the driver.
    pub(super) fn pending(&self) -> usize {
        self.out.len()
    }

    /// Drops what was not written yet: the session gave the connection up.
    pub(super) fn discard_output(&mut self) {
        self.out.clear();
    }

    pub(super) fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.out.len();
        out.append(&mut self.out);
        n
    }
}
