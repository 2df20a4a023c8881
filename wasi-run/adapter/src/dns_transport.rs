//! Sending one DNS question over `wasi:sockets`: UDP with one retry, then TCP when the answer
//! is truncated; the same rules as `host-example`'s tokio transport.
//!
//! [RFC 1035 §4.2.1]: UDP first; [RFC 7766 §5]: retry over TCP when the UDP answer has TC
//! set; [RFC 1035 §4.2.2]: over TCP the messages carry a two-byte length. Every question is
//! answered or given up within its timeout: the first UDP attempt gets half of it, the retry
//! and any TCP exchange the rest.
//!
//! [RFC 1035 §4.2.1]: https://www.rfc-editor.org/rfc/rfc1035#section-4.2.1
//! [RFC 1035 §4.2.2]: https://www.rfc-editor.org/rfc/rfc1035#section-4.2.2
//! [RFC 7766 §5]: https://www.rfc-editor.org/rfc/rfc7766#section-5

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::Message;
use smtpclient_dns_stub::{LookupError, Question};
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::{ErrorCode, IpAddressFamily};
use wasi::sockets::udp::{OutgoingDatagram, OutgoingDatagramStream};
use wasi::sockets::udp_create_socket::create_udp_socket;

use crate::deadline::Deadline;
use crate::stub::Exchange;
use crate::tcp::{self, TcpError, describe, to_wasi};

/// At most this many datagrams are taken from the socket at a time.
const DATAGRAMS_PER_RECEIVE: u64 = 8;

/// The exchange over `wasi:sockets`.
#[derive(Debug)]
pub struct WasiExchange;

impl Exchange for WasiExchange {
    fn exchange(
        &self,
        server: SocketAddr,
        question: &Question,
        timeout: Duration,
    ) -> Result<Message, LookupError> {
        let timeout_ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        let deadline = Deadline::after_ns(timeout_ns);
        let retry_at = Deadline::after_ns(timeout_ns / 2);
        let expired = || {
            LookupError::temporary(format!(
                "timeout after {timeout:?} asking {server} for {question}"
            ))
        };
        let network = |transport: &str, error: String| {
            LookupError::temporary(format!("{transport} to {server} for {question}: {error}"))
        };
        let answer = udp(server, question, retry_at, deadline)
            .map_err(|code| network("udp", describe(code)))?
            .ok_or_else(expired)?;
        if !answer.metadata.truncation {
            return Ok(answer);
        }
        // RFC 7766 §5: "the requestor SHOULD retry using TCP" when TC is set.
        match tcp(server, question, deadline) {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(LookupError::permanent(format!(
                "malformed or mismatched answer over tcp from {server} for {question}"
            ))),
            Err(TcpError::Timeout) => Err(expired()),
            Err(error) => Err(network("tcp", error.to_string())),
        }
    }
}

/// Sends the question over UDP, once more at `retry_at` if unanswered, and waits for its
/// answer until `deadline` (`None` then). Datagrams that are not the answer (other id, other
/// question, undecodable) are ignored: they may be forgeries (RFC 5452 §4.1).
fn udp(
    server: SocketAddr,
    question: &Question,
    retry_at: Deadline,
    deadline: Deadline,
) -> Result<Option<Message>, ErrorCode> {
    let (family, local): (_, SocketAddr) = match server {
        SocketAddr::V4(_) => (IpAddressFamily::Ipv4, (Ipv4Addr::UNSPECIFIED, 0).into()),
        SocketAddr::V6(_) => (IpAddressFamily::Ipv6, (Ipv6Addr::UNSPECIFIED, 0).into()),
    };
    // A fresh socket per question gets a random source port (RFC 5452 §9.2); giving the
    // stream the server's address drops datagrams from anyone else.
    let socket = create_udp_socket(family)?;
    let bound = socket.subscribe();
    socket.start_bind(&instance_network(), to_wasi(local))?;
    loop {
        match socket.finish_bind() {
            Err(ErrorCode::WouldBlock) if !deadline.passed() => deadline.wait(&bound),
            Err(ErrorCode::WouldBlock) => return Ok(None),
            done => break done?,
        };
    }
    drop(bound);
    let (incoming, outgoing) = socket.stream(Some(to_wasi(server)))?;
    if !send(&outgoing, &question.bytes, deadline)? {
        return Ok(None);
    }
    let arrived = incoming.subscribe();
    let mut retried = false;
    loop {
        for datagram in incoming.receive(DATAGRAMS_PER_RECEIVE)? {
            if let Some(answer) = question.answer_of(&datagram.data) {
                return Ok(Some(answer));
            }
        }
        if deadline.passed() {
            return Ok(None);
        }
        if !retried && retry_at.passed() {
            retried = true;
            if !send(&outgoing, &question.bytes, deadline)? {
                return Ok(None);
            }
            continue;
        }
        let until = if retried {
            deadline
        } else {
            retry_at.min(deadline)
        };
        until.wait(&arrived);
    }
}

/// Sends one datagram once the socket takes it; false if `deadline` passed first.
fn send(
    outgoing: &OutgoingDatagramStream,
    bytes: &[u8],
    deadline: Deadline,
) -> Result<bool, ErrorCode> {
    let ready = outgoing.subscribe();
    loop {
        if outgoing.check_send()? > 0 {
            let datagram = OutgoingDatagram {
                data: bytes.to_vec(),
                remote_address: None,
            };
            return Ok(outgoing.send(&[datagram])? == 1);
        }
        if deadline.passed() {
            return Ok(false);
        }
        deadline.wait(&ready);
    }
}

/// Sends the question over TCP and reads one answer; `None` if it is not the answer.
fn tcp(
    server: SocketAddr,
    question: &Question,
    deadline: Deadline,
) -> Result<Option<Message>, TcpError> {
    let framed = question
        .tcp_bytes()
        .map_err(|e| TcpError::Other(e.to_string()))?;
    let connection = tcp::connect(server, None, deadline)?;
    connection.write(&framed, deadline)?;
    let length = read_exact(&connection, 2, deadline)?;
    let length = u16::from_be_bytes([length[0], length[1]]);
    let answer = read_exact(&connection, usize::from(length), deadline)?;
    Ok(question.answer_of(&answer))
}

/// Exactly `count` bytes; the end of the stream before that is [`TcpError::Closed`].
fn read_exact(
    connection: &tcp::Connection,
    count: usize,
    deadline: Deadline,
) -> Result<Vec<u8>, TcpError> {
    let mut bytes = Vec::with_capacity(count);
    while bytes.len() < count {
        let want = u32::try_from(count - bytes.len()).unwrap_or(u32::MAX);
        let chunk = connection.read(want, deadline)?;
        if chunk.is_empty() {
            return Err(TcpError::Closed);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
