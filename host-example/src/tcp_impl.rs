//! The `tcp` import: every connect checked by the host's [`EgressPolicy`](crate::egress)
//! and made by its [`TcpConnector`](crate::connector::TcpConnector), and a timeout on every
//! call.

use crate::bindings::tcp::{self, SocketAddress, TcpError};
use crate::bindings::types::IpAddress;
use crate::connector::TcpConnection;
use crate::convert::{duration, ip_addr, socket_addr, socket_address};
use crate::state::HostState;
use std::future::Future;
use std::io;
use std::task::Poll;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use wasmtime::component::Resource;

/// The largest read a guest may ask for at once; larger requests are served in part.
const MAX_READ: usize = 1 << 20;

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
            .connect(remote, local, duration(timeout_ms))
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
            timeout(duration(timeout_ms), conn.stream.read_buf(&mut buf))
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
            match timeout(duration(timeout_ms), conn.stream.write_all(&data)).await {
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

/// A connector's error as the contract's `tcp-error`.
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
