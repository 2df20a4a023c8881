//! The `tcp` import: every connect checked by the host's [`EgressPolicy`](crate::egress)
//! and made by its [`TcpConnector`] (by default [`TokioConnector`]: real sockets with
//! TCP_NODELAY), and a timeout on every call.

use crate::bindings::tcp::{self, SocketAddress, TcpError};
use crate::bindings::types::IpAddress;
use crate::state::HostState;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;
use wasmtime::component::Resource;

/// The largest read a guest may ask for at once; larger requests are served in part.
const MAX_READ: usize = 1 << 20;

/// A byte stream behind a `connection`: a socket, or whatever an embedder's connector
/// returns (a tunnel through a proxy, an in-memory pipe in tests).
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// One open connection, the host side of the `connection` resource.
pub struct TcpConnection {
    stream: Box<dyn Stream>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
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

impl tcp::Host for HostState {
    async fn connect(
        &mut self,
        remote: SocketAddress,
        local: Option<IpAddress>,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<Resource<TcpConnection>, TcpError>> {
        let remote = socket_addr(remote);
        let local = local.map(ip_addr);
        if let Err(reason) = self.egress.check(remote, local) {
            return Ok(Err(TcpError::Denied(reason)));
        }
        let connection = match self
            .connector
            .connect(remote, local, millis(timeout_ms))
            .await
        {
            Err(error) => return Ok(Err(tcp_error(&error))),
            Ok(connection) => connection,
        };
        Ok(Ok(self.table.push(connection)?))
    }
}

impl tcp::HostConnection for HostState {
    async fn read(
        &mut self,
        conn: Resource<TcpConnection>,
        max: u32,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, TcpError>> {
        let conn = self.table.get_mut(&conn)?;
        // Capacity, not zeroed bytes: `read_buf` fills the spare capacity, so a 64 KiB read
        // that brings a 30-byte reply costs no 64 KiB memset.
        let mut buf =
            Vec::with_capacity(usize::try_from(max).unwrap_or(MAX_READ).clamp(1, MAX_READ));
        let read = if timeout_ms == 0 {
            // WIT: 0 does not wait. One poll of the read; a zero-length tokio timer would
            // wait for the timer's next millisecond tick instead.
            let mut read = std::pin::pin!(conn.stream.read_buf(&mut buf));
            match std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await {
                Poll::Ready(read) => Some(read),
                Poll::Pending => None,
            }
        } else {
            timeout(millis(timeout_ms), conn.stream.read_buf(&mut buf))
                .await
                .ok()
        };
        Ok(match read {
            None => Err(TcpError::Timeout),
            Some(Err(error)) => Err(tcp_error(&error)),
            Some(Ok(_)) => Ok(buf),
        })
    }

    async fn write(
        &mut self,
        conn: Resource<TcpConnection>,
        data: Vec<u8>,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<(), TcpError>> {
        let conn = self.table.get_mut(&conn)?;
        Ok(
            match timeout(millis(timeout_ms), conn.stream.write_all(&data)).await {
                Err(_elapsed) => Err(TcpError::Timeout),
                Ok(Err(error)) => Err(tcp_error(&error)),
                Ok(Ok(())) => Ok(()),
            },
        )
    }

    async fn local_address(
        &mut self,
        conn: Resource<TcpConnection>,
    ) -> wasmtime::Result<Result<SocketAddress, TcpError>> {
        let conn = self.table.get(&conn)?;
        Ok(conn.local.map(socket_address).ok_or(TcpError::Closed))
    }

    async fn remote_address(
        &mut self,
        conn: Resource<TcpConnection>,
    ) -> wasmtime::Result<Result<SocketAddress, TcpError>> {
        let conn = self.table.get(&conn)?;
        Ok(conn.remote.map(socket_address).ok_or(TcpError::Closed))
    }

    async fn drop(&mut self, conn: Resource<TcpConnection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
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

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

fn tcp_error(error: &io::Error) -> TcpError {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => TcpError::Refused,
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => TcpError::Unreachable,
        io::ErrorKind::TimedOut => TcpError::Timeout,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => TcpError::Reset,
        io::ErrorKind::NotConnected => TcpError::Closed,
        io::ErrorKind::PermissionDenied | io::ErrorKind::AddrNotAvailable => {
            TcpError::Denied(error.to_string())
        }
        _ => TcpError::Other(error.to_string()),
    }
}

/// A WIT address as a std one.
pub fn ip_addr(address: IpAddress) -> IpAddr {
    match address {
        IpAddress::Ipv4((a, b, c, d)) => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        IpAddress::Ipv6((a, b, c, d, e, f, g, h)) => {
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h))
        }
    }
}

/// A std address as a WIT one.
pub fn ip_address(address: IpAddr) -> IpAddress {
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

fn socket_addr(address: SocketAddress) -> SocketAddr {
    SocketAddr::new(ip_addr(address.address), address.port)
}

/// A std socket address as a WIT one.
pub fn socket_address(address: SocketAddr) -> SocketAddress {
    SocketAddress {
        address: ip_address(address.ip()),
        port: address.port(),
    }
}
