//! TCP connections over `wasi:sockets`: a non-blocking connect and stream reads and writes,
//! each bounded by a [`Deadline`] (pollables and the monotonic clock), as `tcp.wit` asks.
//!
//! WASI 0.2 sockets have no TCP_NODELAY option, so the runtime's default applies (wasmtime
//! sets no option either); the client batches its own writes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, OutputStream, StreamError};
use wasi::sockets::instance_network::instance_network;
use wasi::sockets::network::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
use wasi::sockets::tcp::TcpSocket;
use wasi::sockets::tcp_create_socket::create_tcp_socket;

use crate::deadline::Deadline;

/// Why a socket operation failed: the cases of the WIT `tcp-error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TcpError {
    #[error("connection refused")]
    Refused,
    #[error("unreachable")]
    Unreachable,
    #[error("timeout")]
    Timeout,
    #[error("connection reset")]
    Reset,
    #[error("denied: {0}")]
    Denied(String),
    #[error("connection closed")]
    Closed,
    #[error("{0}")]
    Other(String),
}

/// One connection. The streams are children of the socket: they are declared first so that
/// they are dropped first.
pub struct Connection {
    input: InputStream,
    /// Taken only by [`Drop`].
    output: Option<OutputStream>,
    socket: Option<TcpSocket>,
}

impl Drop for Connection {
    /// wasmtime-wasi (48) makes the drop of an output stream wait until its last write has
    /// reached the socket, which to a peer that stopped reading is never: a connection whose
    /// write is still pending (after a write `timeout`) is left open, to be closed by the
    /// runtime when the instance ends.
    fn drop(&mut self) {
        if self
            .output
            .as_ref()
            .is_some_and(|output| matches!(output.check_write(), Ok(0)))
        {
            std::mem::forget(self.output.take());
            std::mem::forget(self.socket.take());
        }
    }
}

/// Connects to `remote`, from `local` when given, by `deadline`. A passed deadline still
/// returns a connection established at once.
///
/// # Errors
/// [`TcpError`] from the runtime's error code, or [`TcpError::Timeout`].
pub fn connect(
    remote: SocketAddr,
    local: Option<IpAddr>,
    deadline: Deadline,
) -> Result<Connection, TcpError> {
    let network = instance_network();
    let family = match remote {
        SocketAddr::V4(_) => IpAddressFamily::Ipv4,
        SocketAddr::V6(_) => IpAddressFamily::Ipv6,
    };
    let socket = create_tcp_socket(family).map_err(tcp_error)?;
    let pollable = socket.subscribe();
    if let Some(local) = local {
        socket
            .start_bind(&network, to_wasi(SocketAddr::new(local, 0)))
            .map_err(tcp_error)?;
        until_done(&pollable, deadline, || socket.finish_bind())?;
    }
    // RFC 9293 §3.5: the three-way handshake, which the runtime runs in the background.
    socket
        .start_connect(&network, to_wasi(remote))
        .map_err(tcp_error)?;
    let (input, output) = until_done(&pollable, deadline, || socket.finish_connect())?;
    drop(pollable);
    Ok(Connection {
        input,
        output: Some(output),
        socket: Some(socket),
    })
}

impl Connection {
    /// The output stream; taken only when the connection is dropped.
    fn output(&self) -> Result<&OutputStream, TcpError> {
        self.output.as_ref().ok_or(TcpError::Closed)
    }

    /// The socket; taken only when the connection is dropped.
    fn socket(&self) -> Result<&TcpSocket, TcpError> {
        self.socket.as_ref().ok_or(TcpError::Closed)
    }

    /// At most `max` bytes, waiting until `deadline` for at least one; empty at the end of
    /// the stream. A passed deadline returns what has already arrived, or
    /// [`TcpError::Timeout`].
    ///
    /// # Errors
    /// [`TcpError::Timeout`], or the failure the runtime reports.
    pub fn read(&self, max: u32, deadline: Deadline) -> Result<Vec<u8>, TcpError> {
        let pollable = self.input.subscribe();
        retry(&pollable, deadline, || {
            match self.input.read(u64::from(max)) {
                Ok(bytes) if bytes.is_empty() => Ok(None),
                Ok(bytes) => Ok(Some(bytes)),
                Err(StreamError::Closed) => Ok(Some(Vec::new())),
                Err(StreamError::LastOperationFailed(error)) => {
                    Err(TcpError::Other(error.to_debug_string()))
                }
            }
        })
    }

    /// Writes all of `data` and flushes it, by `deadline` in all. A passed deadline writes
    /// what the socket takes at once, and fails if that is not all.
    ///
    /// # Errors
    /// [`TcpError::Timeout`] (part of `data` may have been sent), or the runtime's failure.
    pub fn write(&self, data: &[u8], deadline: Deadline) -> Result<(), TcpError> {
        let pollable = self.output()?.subscribe();
        let mut rest = data;
        while !rest.is_empty() {
            let room = retry(&pollable, deadline, || {
                match self.output()?.check_write().map_err(stream_error)? {
                    0 => Ok(None),
                    room => Ok(Some(room)),
                }
            })?;
            let (now, later) =
                rest.split_at(usize::try_from(room).unwrap_or(usize::MAX).min(rest.len()));
            self.output()?.write(now).map_err(stream_error)?;
            rest = later;
        }
        // The flush is done when check-write allows writing again.
        self.output()?.flush().map_err(stream_error)?;
        retry(&pollable, deadline, || {
            match self.output()?.check_write().map_err(stream_error)? {
                0 => Ok(None),
                _ => Ok(Some(())),
            }
        })
    }

    /// Our end of the connection.
    ///
    /// # Errors
    /// The runtime's failure.
    pub fn local_address(&self) -> Result<SocketAddr, TcpError> {
        self.socket()?
            .local_address()
            .map(from_wasi)
            .map_err(tcp_error)
    }

    /// The peer's end of the connection.
    ///
    /// # Errors
    /// The runtime's failure.
    pub fn remote_address(&self) -> Result<SocketAddr, TcpError> {
        self.socket()?
            .remote_address()
            .map(from_wasi)
            .map_err(tcp_error)
    }
}

/// Runs `step` until it gives a value, waiting on `pollable` between tries until
/// `deadline`; once the deadline has passed, one more wait and try, then
/// [`TcpError::Timeout`]. So a deadline of 0 ms takes what is ready at once.
fn retry<T>(
    pollable: &Pollable,
    deadline: Deadline,
    mut step: impl FnMut() -> Result<Option<T>, TcpError>,
) -> Result<T, TcpError> {
    let mut last_try = false;
    loop {
        if let Some(value) = step()? {
            return Ok(value);
        }
        if last_try {
            return Err(TcpError::Timeout);
        }
        last_try = deadline.passed();
        deadline.wait(pollable);
    }
}

/// Completes a started socket operation (`finish-bind`, `finish-connect`), which reports
/// `would-block` while in progress.
fn until_done<T>(
    pollable: &Pollable,
    deadline: Deadline,
    mut finish: impl FnMut() -> Result<T, ErrorCode>,
) -> Result<T, TcpError> {
    retry(pollable, deadline, || match finish() {
        Ok(value) => Ok(Some(value)),
        Err(ErrorCode::WouldBlock) => Ok(None),
        Err(code) => Err(tcp_error(code)),
    })
}

/// The `tcp-error` of a socket error code.
pub fn tcp_error(code: ErrorCode) -> TcpError {
    match code {
        ErrorCode::ConnectionRefused => TcpError::Refused,
        ErrorCode::RemoteUnreachable => TcpError::Unreachable,
        ErrorCode::Timeout => TcpError::Timeout,
        ErrorCode::ConnectionReset | ErrorCode::ConnectionAborted => TcpError::Reset,
        // The runtime grants no network (`wasmtime run` without `-S inherit-network`).
        ErrorCode::AccessDenied => {
            TcpError::Denied("the wasi runtime denies access to the network".into())
        }
        other => TcpError::Other(describe(other)),
    }
}

/// A socket error code for messages: "connection-refused: the tcp connection was ...".
pub fn describe(code: ErrorCode) -> String {
    format!("{}: {}", code.name(), code.message().to_lowercase())
}

/// The `tcp-error` of a failed stream operation. The error resource of WASI 0.2 tells no
/// code, only a description.
fn stream_error(error: StreamError) -> TcpError {
    match error {
        StreamError::Closed => TcpError::Closed,
        StreamError::LastOperationFailed(error) => TcpError::Other(error.to_debug_string()),
    }
}

/// A socket address as WASI takes it.
pub fn to_wasi(address: SocketAddr) -> IpSocketAddress {
    match address {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            IpSocketAddress::Ipv4(Ipv4SocketAddress {
                port: v4.port(),
                address: (a, b, c, d),
            })
        }
        SocketAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.ip().segments();
            IpSocketAddress::Ipv6(Ipv6SocketAddress {
                port: v6.port(),
                flow_info: v6.flowinfo(),
                address: (a, b, c, d, e, f, g, h),
                scope_id: v6.scope_id(),
            })
        }
    }
}

/// A socket address from WASI.
pub fn from_wasi(address: IpSocketAddress) -> SocketAddr {
    match address {
        IpSocketAddress::Ipv4(v4) => {
            let (a, b, c, d) = v4.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
        }
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(a, b, c, d, e, f, g, h),
                v6.port,
                v6.flow_info,
                v6.scope_id,
            ))
        }
    }
}
