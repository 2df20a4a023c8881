//! How connections are opened: the [`TcpConnector`] trait an embedder plugs in (a proxy, a
//! source-address pool, a test double), the default [`TokioConnector`] on real sockets, and
//! [`TcpConnection`], the host side of the contract's `connection` resource.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// A byte stream behind a `connection`: a socket, or whatever an embedder's connector
/// returns (a tunnel through a proxy, an in-memory pipe in tests).
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// One open connection, the host side of the `connection` resource.
pub struct TcpConnection {
    pub(crate) stream: Box<dyn Stream>,
    pub(crate) local: Option<SocketAddr>,
    pub(crate) remote: Option<SocketAddr>,
}

impl TcpConnection {
    /// Wrap a connected socket, e.g. one the host dialed itself.
    pub fn new(stream: TcpStream) -> Self {
        TcpConnection {
            local: stream.local_addr().ok(),
            remote: stream.peer_addr().ok(),
            stream: Box::new(stream),
        }
    }

    /// Wrap any stream, with the addresses the guest sees for it.
    pub fn from_stream(
        stream: impl Stream + 'static,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> Self {
        TcpConnection {
            stream: Box::new(stream),
            local: Some(local),
            remote: Some(remote),
        }
    }
}

/// A connect in flight, boxed so that [`TcpConnector`] can be a trait object.
pub type Connecting<'a> = Pin<Box<dyn Future<Output = io::Result<TcpConnection>> + Send + 'a>>;

/// How the `tcp` import opens connections; an embedder plugs in its own (a SOCKS proxy, a
/// source-address pool, a test double). The egress policy has already allowed `remote`.
pub trait TcpConnector: Send + Sync {
    /// Connect to `remote` within `limit`, from `local` (port chosen by the system) when given.
    ///
    /// # Errors
    /// The socket error; `TimedOut` when `limit` passed.
    fn connect(&self, remote: SocketAddr, local: Option<IpAddr>, limit: Duration)
    -> Connecting<'_>;
}

/// Real sockets through tokio, with TCP_NODELAY.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioConnector;

impl TcpConnector for TokioConnector {
    fn connect(
        &self,
        remote: SocketAddr,
        local: Option<IpAddr>,
        limit: Duration,
    ) -> Connecting<'_> {
        Box::pin(async move {
            open_stream(remote, local, limit)
                .await
                .map(TcpConnection::new)
        })
    }
}

/// Connect to `remote` within `limit`, from `local` (port chosen by the system) when given.
///
/// # Errors
/// The socket error, or `TimedOut` when `limit` passed.
pub async fn open_stream(
    remote: SocketAddr,
    local: Option<IpAddr>,
    limit: Duration,
) -> io::Result<TcpStream> {
    match timeout(limit, connect(remote, local)).await {
        Ok(result) => result,
        Err(_elapsed) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

async fn connect(remote: SocketAddr, local: Option<IpAddr>) -> io::Result<TcpStream> {
    let socket = match remote {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(local) = local {
        socket.bind(SocketAddr::new(local, 0))?;
    }
    let stream = socket.connect(remote).await?;
    // The client batches its own writes (a pipelined group is one write), so Nagle's
    // algorithm only adds delay (RFC 2920 §3.1 wants the group in as few packets as possible).
    stream.set_nodelay(true)?;
    Ok(stream)
}
