//! Sending one query to one nameserver: UDP, one retry, and TCP when the answer is truncated.
//!
//! [RFC 1035 §4.2.1]: UDP first; [RFC 7766 §5]: retry over TCP when the UDP answer has TC set;
//! [RFC 1035 §4.2.2]: over TCP each message is preceded by its two-byte length. Every query
//! completes, answered or not, within its timeout: the first UDP attempt gets half of it, the
//! retry and any TCP exchange the rest.
//!
//! [RFC 1035 §4.2.1]: https://www.rfc-editor.org/rfc/rfc1035#section-4.2.1
//! [RFC 1035 §4.2.2]: https://www.rfc-editor.org/rfc/rfc1035#section-4.2.2
//! [RFC 7766 §5]: https://www.rfc-editor.org/rfc/rfc7766#section-5

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

use smtpclient_dns_stub::{LookupError, Question};

/// The largest UDP datagram; anything bigger than the advertised payload is still read whole.
const MAX_DATAGRAM: usize = 65_535;

/// Asks `server` the `question` and returns its answer.
///
/// # Errors
/// [`LookupError::Temporary`] for a timeout or a network error, [`LookupError::Permanent`]
/// for an answer over TCP that does not decode or does not match the question.
pub(crate) async fn exchange(
    server: SocketAddr,
    question: &Question,
    timeout: Duration,
) -> Result<Message, LookupError> {
    let start = Instant::now();
    let deadline = start + timeout;
    let expired = || {
        LookupError::temporary(format!(
            "timeout after {timeout:?} asking {server} for {question}"
        ))
    };
    let network = |transport: &str, e: std::io::Error| {
        LookupError::temporary(format!("{transport} to {server} for {question}: {e}"))
    };
    let answer = timeout_at(deadline, udp(server, question, start + timeout / 2))
        .await
        .map_err(|_| expired())?
        .map_err(|e| network("udp", e))?;
    if !answer.metadata.truncation {
        return Ok(answer);
    }
    // RFC 7766 §5: "the requestor SHOULD retry using TCP" when TC is set.
    match timeout_at(deadline, tcp(server, question)).await {
        Err(_) => Err(expired()),
        Ok(Err(e)) => Err(network("tcp", e)),
        Ok(Ok(Some(answer))) => Ok(answer),
        Ok(Ok(None)) => Err(LookupError::permanent(format!(
            "malformed or mismatched answer over tcp from {server} for {question}"
        ))),
    }
}

/// Sends the query over UDP, once more at `retry_at` if unanswered, and waits for the answer
/// until cancelled. Datagrams that are not the answer (other id, other question, undecodable)
/// are ignored: they may be forgeries (RFC 5452 §4.1).
async fn udp(
    server: SocketAddr,
    question: &Question,
    retry_at: Instant,
) -> std::io::Result<Message> {
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    // A fresh socket per query gets a random source port (RFC 5452 §9.2); connecting it makes
    // the kernel drop datagrams from other addresses.
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    socket.send(&question.bytes).await?;
    let mut buffer = vec![0; MAX_DATAGRAM];
    let mut retried = false;
    loop {
        let received = if retried {
            socket.recv(&mut buffer).await?
        } else {
            match timeout_at(retry_at, socket.recv(&mut buffer)).await {
                Ok(received) => received?,
                Err(_) => {
                    retried = true;
                    socket.send(&question.bytes).await?;
                    continue;
                }
            }
        };
        if let Some(answer) = buffer.get(..received).and_then(|b| question.answer_of(b)) {
            return Ok(answer);
        }
    }
}

/// Sends the query over TCP and reads one answer; `None` if it is not the answer.
async fn tcp(server: SocketAddr, question: &Question) -> std::io::Result<Option<Message>> {
    let framed = question.tcp_bytes().map_err(std::io::Error::other)?;
    let mut stream = TcpStream::connect(server).await?;
    stream.write_all(&framed).await?;
    let length = stream.read_u16().await?;
    let mut answer = vec![0; usize::from(length)];
    stream.read_exact(&mut answer).await?;
    Ok(question.answer_of(&answer))
}
