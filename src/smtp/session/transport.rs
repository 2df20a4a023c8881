//! The one place where socket bytes pass: commands and message data out, replies in, through
//! TLS once it is started.

use std::collections::VecDeque;

use crate::smtp::command::Command;
use crate::smtp::reply::{ProtocolError, Reply, ReplyParser};
use crate::tls::TlsState;
use crate::tls::layer::TlsLayer;
use crate::tls::verifier::Verification;

use super::transcript::Transcript;

/// Message data at least this long, handed over whole ([`Transport::write_data_buffer`]), is
/// queued as it is instead of being copied into the output.
const MOVE_MIN: usize = 8 * 1024;

#[derive(Debug, Default)]
pub(super) struct Transport {
    /// Whole buffers to write before `out`, in order: message data queued without a copy.
    queued: VecDeque<Vec<u8>>,
    /// Bytes for the driver to write to the socket (ciphertext once TLS is on), after
    /// `queued`.
    out: Vec<u8>,
    parser: ReplyParser,
    tls: Option<TlsLayer>,
    /// Plaintext on its way into or out of TLS.
    scratch: Vec<u8>,
    /// The conversation as lines, when the caller asked for it.
    pub(super) transcript: Transcript,
}

impl Transport {
    /// Bytes read from the socket.
    ///
    /// # Errors
    /// A TLS error; the connection is unusable afterwards.
    pub(super) fn receive(&mut self, bytes: &[u8]) -> Result<(), rustls::Error> {
        let Some(tls) = &mut self.tls else {
            self.transcript.received(bytes);
            self.parser.push(bytes);
            return Ok(());
        };
        let received = tls.receive(bytes, &mut self.scratch);
        self.transcript.received(&self.scratch);
        self.parser.push(&self.scratch);
        self.scratch.clear();
        // Handshake messages; after an error, its alert waits for `send_alert`.
        if received.is_ok() {
            tls.transmit(&mut self.out);
        }
        received
    }

    /// Queues the fatal alert rustls prepared for a TLS error (RFC 8446 §6.2, RFC 5246
    /// §7.2.2), after the session discarded its other output: the last bytes sent.
    pub(super) fn send_alert(&mut self) {
        if let Some(tls) = &mut self.tls {
            tls.transmit(&mut self.out);
        }
    }

    pub(super) fn next_reply(&mut self, enhanced: bool) -> Option<Result<Reply, ProtocolError>> {
        self.parser.next_reply(enhanced)
    }

    /// True when bytes were received that are not part of a returned reply.
    pub(super) fn has_input(&self) -> bool {
        !self.parser.is_empty()
    }

    pub(super) fn send(&mut self, command: &Command<'_>) {
        self.transcript.command(command);
        match &mut self.tls {
            Some(tls) => {
                command.encode(&mut self.scratch);
                tls.write(&self.scratch);
                self.scratch.clear();
                tls.transmit(&mut self.out);
            }
            None => command.encode(&mut self.out),
        }
    }

    /// Sends a line that is already encoded, CRLF included (the AUTH exchange, RFC 4954 §4).
    pub(super) fn send_line(&mut self, line: &[u8]) {
        self.transcript.auth_line(line);
        match &mut self.tls {
            Some(tls) => {
                tls.write(line);
                tls.transmit(&mut self.out);
            }
            None => self.out.extend_from_slice(line),
        }
    }

    /// Writes message data produced by `write` into the output.
    pub(super) fn write_data<T>(&mut self, write: impl FnOnce(&mut Vec<u8>) -> T) -> T {
        match &mut self.tls {
            Some(tls) => {
                let result = write(&mut self.scratch);
                self.transcript.data(self.scratch.len());
                tls.write(&self.scratch);
                self.scratch.clear();
                tls.transmit(&mut self.out);
                result
            }
            None => {
                let before = self.out.len();
                let result = write(&mut self.out);
                self.transcript.data(self.out.len() - before);
                result
            }
        }
    }

    /// Writes message data that is already encoded. In plaintext a large buffer is queued as
    /// it is, not copied (the driver writes it from where it is); with TLS it goes to rustls
    /// directly.
    pub(super) fn write_data_buffer(&mut self, data: Vec<u8>) {
        if let Some(tls) = &mut self.tls {
            self.transcript.data(data.len());
            tls.write(&data);
            tls.transmit(&mut self.out);
            return;
        }
        if data.len() < MOVE_MIN {
            self.write_data(|out| out.extend_from_slice(&data));
            return;
        }
        self.transcript.data(data.len());
        if !self.out.is_empty() {
            self.queued.push_back(std::mem::take(&mut self.out));
        }
        self.queued.push_back(data);
    }

    /// Starts TLS: the ClientHello goes out, and from now on every byte passes through `tls`.
    /// The caller has checked that no plaintext is left over (RFC 3207 §5, CVE-2011-0411).
    pub(super) fn start_tls(&mut self, mut tls: TlsLayer) {
        tls.transmit(&mut self.out);
        self.tls = Some(tls);
    }

    /// True once TLS is established.
    pub(super) fn is_tls(&self) -> bool {
        self.tls.as_ref().is_some_and(|tls| !tls.is_handshaking())
    }

    /// True while the TLS handshake runs.
    pub(super) fn is_handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(TlsLayer::is_handshaking)
    }

    pub(super) fn verification(&self) -> Option<Verification> {
        self.tls.as_ref()?.verification()
    }

    pub(super) fn tls_state(&self) -> Option<TlsState> {
        self.tls.as_ref()?.state()
    }

    pub(super) fn channel_binding(&self) -> Option<Vec<u8>> {
        self.tls.as_ref()?.channel_binding()
    }

    /// How many bytes wait for the driver.
    pub(super) fn pending(&self) -> usize {
        self.queued.iter().map(Vec::len).sum::<usize>() + self.out.len()
    }

    /// Drops what was not written yet: the session gave the connection up.
    pub(super) fn discard_output(&mut self) {
        self.queued.clear();
        self.out.clear();
    }

    /// Moves the next bytes to send into `out`: the first queued buffer, or else the output.
    /// An empty `out` (the drivers clear theirs) takes our buffer instead of a copy, so a
    /// chunk of message data is not copied again.
    pub(super) fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let next = match self.queued.front_mut() {
            Some(buffer) => buffer,
            None => &mut self.out,
        };
        let n = next.len();
        if out.is_empty() {
            std::mem::swap(out, next);
        } else {
            out.append(next);
        }
        if self.queued.front().is_some_and(Vec::is_empty) {
            self.queued.pop_front();
        }
        n
    }
}
