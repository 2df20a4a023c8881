//! `/etc/resolv.conf`: which recursive resolver the system uses.
//!
//! Only the first usable `nameserver` line matters (resolv.conf(5)); `search`, `domain` and
//! `options` are ignored because names are always absolute here.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::path::Path;

/// The system's resolver configuration.
pub const SYSTEM_RESOLV_CONF: &str = "/etc/resolv.conf";

/// RFC 1035 §4.2: the DNS port, for UDP and TCP.
pub const DNS_PORT: u16 = 53;

/// Why no nameserver could be taken from a resolv.conf.
#[derive(Debug, thiserror::Error)]
pub enum ResolvConfError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has no usable `nameserver` line.
    #[error("no usable nameserver line in {path}")]
    NoNameserver {
        /// The file.
        path: String,
    },
}

/// The first usable `nameserver` of resolv.conf text, on port 53; `None` if there is none.
///
/// A link-local IPv6 address is usable only with a numeric zone (`fe80::1%2`).
pub fn first_nameserver(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        match (fields.next(), fields.next()) {
            (Some("nameserver"), Some(address)) => parse_address(address),
            _ => None,
        }
    })
}

/// Reads `path` and returns its first nameserver.
///
/// # Errors
/// [`ResolvConfError`] if the file cannot be read or names no usable nameserver.
pub fn nameserver_from_file(path: impl AsRef<Path>) -> Result<SocketAddr, ResolvConfError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ResolvConfError::Io {
        path: shown.clone(),
        source,
    })?;
    first_nameserver(&text).ok_or(ResolvConfError::NoNameserver { path: shown })
}

/// An address of a `nameserver` line, with an optional numeric IPv6 zone.
fn parse_address(address: &str) -> Option<SocketAddr> {
    match address.split_once('%') {
        None => Some(SocketAddr::new(address.parse::<IpAddr>().ok()?, DNS_PORT)),
        Some((ip, zone)) => {
            let ip = ip.parse::<Ipv6Addr>().ok()?;
            let scope = zone.parse::<u32>().ok()?;
            Some(SocketAddr::V6(SocketAddrV6::new(ip, DNS_PORT, 0, scope)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers() {
        for (text, want) in [
            (
                "nameserver 127.0.0.53\noptions edns0\n",
                Some("127.0.0.53:53"),
            ),
            (
                "# generated\nsearch example.com\nnameserver   ::1\nnameserver 192.0.2.1\n",
                Some("[::1]:53"),
            ),
            (
                "nameserver bogus\nnameserver 192.0.2.1\n",
                Some("192.0.2.1:53"),
            ),
            (
                "nameserver fe80::1%eth0\nnameserver 192.0.2.2",
                Some("192.0.2.2:53"),
            ),
            ("nameserver fe80::1%2", Some("[fe80::1%2]:53")),
            ("; nameserver 192.0.2.1\nsearch x\n", None),
            ("", None),
        ] {
            assert_eq!(
                first_nameserver(text).map(|a| a.to_string()).as_deref(),
                want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn missing_file() {
        assert!(matches!(
            nameserver_from_file("/nonexistent/resolv.conf"),
            Err(ResolvConfError::Io { .. })
        ));
    }
}
