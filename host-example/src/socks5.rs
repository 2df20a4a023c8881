//! A [`TcpConnector`] through a SOCKS5 proxy ([RFC 1928]), with username/password
//! authentication ([RFC 1929]) when configured. The handshake is tokio-socks'.
//!
//! The component resolves names itself (so DNS and DNSSEC stay its own) and dials an IP
//! address: the proxy is asked to CONNECT to that address and port, never to a name. The
//! egress policy has judged the final destination before the connector runs; the contract's
//! connect deadline covers the connection to the proxy, the handshake and the proxy's own
//! connect. A refusal by the proxy becomes the `tcp-error` it means (refused, unreachable,
//! denied by its rules) with the proxy's reply code in the text; the guest sees the address
//! the proxy connected from (BND.ADDR, [RFC 1928 §6]) as the local address.
//!
//! [RFC 1928]: https://www.rfc-editor.org/rfc/rfc1928
//! [RFC 1929]: https://www.rfc-editor.org/rfc/rfc1929
//! [RFC 1928 §6]: https://www.rfc-editor.org/rfc/rfc1928#section-6

use crate::connector::{Connecting, TcpConnection, TcpConnector, connect};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::timeout;
use tokio_socks::tcp::Socks5Stream;
use tokio_socks::{Error as SocksError, TargetAddr};

/// Connections through one SOCKS5 proxy.
#[derive(Debug, Clone)]
pub struct Socks5Connector {
    proxy: SocketAddr,
    credentials: Option<ProxyCredentials>,
}

/// A username and password for the proxy (RFC 1929), each 1 to 255 bytes.
#[derive(Debug, Clone)]
pub struct ProxyCredentials {
    pub username: String,
    pub password: Password,
}

/// A password whose `Debug` never shows it.
#[derive(Clone)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Socks5Connector {
    /// Through the proxy at `proxy`, without authentication unless `credentials` are given.
    pub fn new(proxy: SocketAddr, credentials: Option<ProxyCredentials>) -> Self {
        Socks5Connector { proxy, credentials }
    }

    /// The proxy's address.
    pub fn proxy(&self) -> SocketAddr {
        self.proxy
    }

    /// Connect to the proxy (from `local` when given: it must have the proxy's family),
    /// authenticate, and have it CONNECT to `remote`.
    async fn tunnel(&self, remote: SocketAddr, local: Option<IpAddr>) -> io::Result<TcpConnection> {
        if let Some(local) = local.filter(|local| local.is_ipv4() != self.proxy.is_ipv4()) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "cannot reach the socks5 proxy {} from {local}: another address family",
                    self.proxy
                ),
            ));
        }
        let socket = connect(self.proxy, local).await.map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot reach the socks5 proxy {}: {error}", self.proxy),
            )
        })?;
        let socket_local = socket.local_addr()?;
        let stream = match &self.credentials {
            Some(credentials) => {
                Socks5Stream::connect_with_password_and_socket(
                    socket,
                    remote,
                    &credentials.username,
                    &credentials.password.0,
                )
                .await
            }
            None => Socks5Stream::connect_with_socket(socket, remote).await,
        }
        .map_err(|error| proxy_error(self.proxy, remote, error))?;
        let local = match stream.target_addr() {
            TargetAddr::Ip(bound) if !bound.ip().is_unspecified() => bound,
            _ => socket_local,
        };
        Ok(TcpConnection::from_stream(stream, local, remote))
    }
}

impl TcpConnector for Socks5Connector {
    fn connect(&self, to: SocketAddr, from: Option<IpAddr>, limit: Duration) -> Connecting<'_> {
        Box::pin(async move {
            timeout(limit, self.tunnel(to, from))
                .await
                .unwrap_or_else(|_elapsed| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "connect to {to} through the socks5 proxy {} timed out",
                            self.proxy
                        ),
                    ))
                })
        })
    }
}

/// A failed handshake as the I/O error the `tcp` import maps to a `tcp-error`: the reply
/// codes of RFC 1928 §6 to refused, unreachable, denied and timeout; the rest `other`.
fn proxy_error(proxy: SocketAddr, remote: SocketAddr, error: SocksError) -> io::Error {
    use io::ErrorKind;
    let (kind, what) = match &error {
        SocksError::Io(io) => (io.kind(), format!("{error}")),
        SocksError::GeneralSocksServerFailure => (ErrorKind::Other, reply(1, &error)),
        SocksError::ConnectionNotAllowedByRuleset => {
            (ErrorKind::PermissionDenied, reply(2, &error))
        }
        SocksError::NetworkUnreachable => (ErrorKind::NetworkUnreachable, reply(3, &error)),
        SocksError::HostUnreachable => (ErrorKind::HostUnreachable, reply(4, &error)),
        SocksError::ConnectionRefused => (ErrorKind::ConnectionRefused, reply(5, &error)),
        SocksError::TtlExpired => (ErrorKind::TimedOut, reply(6, &error)),
        SocksError::CommandNotSupported => (ErrorKind::Other, reply(7, &error)),
        SocksError::AddressTypeNotSupported => (ErrorKind::Other, reply(8, &error)),
        // RFC 1929 §2: any status other than 0 is a failure, and the server closes.
        SocksError::PasswordAuthFailure(status) => (
            ErrorKind::Other,
            format!("refused the username and password (RFC 1929 status {status})"),
        ),
        // RFC 1928 §3: X'FF', no acceptable method (e.g. credentials wanted, none given).
        SocksError::NoAcceptableAuthMethods => (
            ErrorKind::Other,
            "accepts none of the offered authentication methods".to_string(),
        ),
        _ => (ErrorKind::Other, format!("failed: {error}")),
    };
    io::Error::new(kind, format!("socks5 proxy {proxy} for {remote}: {what}"))
}

/// A refusal with its RFC 1928 §6 reply code.
fn reply(code: u8, error: &SocksError) -> String {
    format!("reply {code}, {}", error.to_string().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_codes_become_the_right_error_kinds() {
        use io::ErrorKind as Kind;
        let proxy: SocketAddr = "127.0.0.1:1080".parse().unwrap();
        let remote: SocketAddr = "192.0.2.1:25".parse().unwrap();
        for (error, kind, code) in [
            (SocksError::GeneralSocksServerFailure, Kind::Other, 1),
            (
                SocksError::ConnectionNotAllowedByRuleset,
                Kind::PermissionDenied,
                2,
            ),
            (SocksError::NetworkUnreachable, Kind::NetworkUnreachable, 3),
            (SocksError::HostUnreachable, Kind::HostUnreachable, 4),
            (SocksError::ConnectionRefused, Kind::ConnectionRefused, 5),
            (SocksError::TtlExpired, Kind::TimedOut, 6),
        ] {
            let mapped = proxy_error(proxy, remote, error);
            assert_eq!(mapped.kind(), kind, "{mapped}");
            let prefix = format!("socks5 proxy 127.0.0.1:1080 for 192.0.2.1:25: reply {code}, ");
            assert!(mapped.to_string().starts_with(&prefix), "{mapped}");
        }
        let refused = proxy_error(proxy, remote, SocksError::ConnectionNotAllowedByRuleset);
        assert!(
            refused
                .to_string()
                .ends_with("reply 2, connection not allowed by ruleset")
        );
        let password = proxy_error(proxy, remote, SocksError::PasswordAuthFailure(1));
        assert_eq!(password.kind(), Kind::Other);
        assert!(
            password
                .to_string()
                .ends_with("refused the username and password (RFC 1929 status 1)")
        );
    }

    #[test]
    fn credentials_are_never_shown() {
        let connector = Socks5Connector::new(
            "127.0.0.1:1080".parse().unwrap(),
            Some(ProxyCredentials {
                username: "relay".into(),
                password: Password("hunter2".into()),
            }),
        );
        let shown = format!("{connector:?}");
        assert!(
            shown.contains("relay") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
