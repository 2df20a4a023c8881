//! What `configure` sets, and the nameserver when it names none: `$SMTPCLIENT_DNS` (IP or
//! IP:PORT), else the first `nameserver` of `/etc/resolv.conf` (readable when preopened).
//! A nameserver found that way is trusted for its AD bit only on a loopback address, as
//! `host-example` trusts the system's resolver ([RFC 6698 §4.1]: DANE needs a secure
//! channel to a validating resolver).
//!
//! [RFC 6698 §4.1]: https://www.rfc-editor.org/rfc/rfc6698#section-4.1

use std::net::{IpAddr, SocketAddr};

use smtpclient_dns_stub::{DNS_PORT, ResolvConfError};

use crate::egress::Egress;

/// The environment variable naming the nameserver: an IP address, or IP:PORT
/// ("192.0.2.53", "192.0.2.53:5353", "::1", "[::1]:5353").
pub const DNS_ENV: &str = "SMTPCLIENT_DNS";

/// A recursive resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nameserver {
    /// Where it listens (UDP and TCP).
    pub address: SocketAddr,
    /// Whether its AD bit is believed.
    pub trusted: bool,
}

impl Nameserver {
    /// A nameserver found in the environment: trusted only on a loopback address.
    pub fn found(address: SocketAddr) -> Self {
        Self {
            address,
            trusted: address.ip().to_canonical().is_loopback(),
        }
    }
}

/// The adapter's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// None: found by [`default_nameserver`] at the first lookup.
    pub nameserver: Option<Nameserver>,
    /// What `tcp.connect` may dial.
    pub egress: Egress,
    /// 0 quiet, 1 transcript, 2 also debug lines and DNS lookups.
    pub verbosity: u8,
}

/// Why no nameserver was found.
#[derive(Debug, thiserror::Error)]
pub enum NameserverError {
    /// `$SMTPCLIENT_DNS` is set but is not IP or IP:PORT.
    #[error("{DNS_ENV} wants IP or IP:PORT, got {0:?}")]
    BadEnvironment(String),
    /// Neither `$SMTPCLIENT_DNS` nor a usable resolv.conf.
    #[error("no nameserver: {DNS_ENV} is not set and {0}")]
    None(#[source] ResolvConfError),
}

/// The nameserver of `$SMTPCLIENT_DNS` (its value `env`), else of resolv.conf (`resolv_conf`
/// reads it), as [`Nameserver::found`].
///
/// # Errors
/// [`NameserverError`] when `env` does not parse or neither names a nameserver.
pub fn default_nameserver(
    env: Option<&str>,
    resolv_conf: impl FnOnce() -> Result<SocketAddr, ResolvConfError>,
) -> Result<Nameserver, NameserverError> {
    let address = match env {
        Some(text) => parse_nameserver(text)
            .ok_or_else(|| NameserverError::BadEnvironment(text.to_string()))?,
        None => resolv_conf().map_err(NameserverError::None)?,
    };
    Ok(Nameserver::found(address))
}

/// "IP" (port 53) or "IP:PORT", an IPv6 address in brackets when it has a port.
fn parse_nameserver(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Some(address);
    }
    let ip = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    Some(SocketAddr::new(ip.parse::<IpAddr>().ok()?, DNS_PORT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_file() -> Result<SocketAddr, ResolvConfError> {
        Err(ResolvConfError::NoNameserver {
            path: "/etc/resolv.conf".into(),
        })
    }

    #[test]
    fn environment_forms() {
        for (text, address, trusted) in [
            ("127.0.0.1", "127.0.0.1:53", true),
            ("127.0.0.53:5353", "127.0.0.53:5353", true),
            (" 192.0.2.53 ", "192.0.2.53:53", false),
            ("192.0.2.53:5353", "192.0.2.53:5353", false),
            ("::1", "[::1]:53", true),
            ("[::1]", "[::1]:53", true),
            ("[::1]:5353", "[::1]:5353", true),
            ("2001:db8::53", "[2001:db8::53]:53", false),
            ("::ffff:127.0.0.1", "[::ffff:127.0.0.1]:53", true),
        ] {
            let found = default_nameserver(Some(text), no_file).unwrap();
            assert_eq!(found.address.to_string(), address, "{text:?}");
            assert_eq!(found.trusted, trusted, "{text:?}");
        }
        for bad in [
            "",
            "dns.example",
            "192.0.2.53:",
            "192.0.2.53:99999",
            "[::1]:x",
        ] {
            assert!(
                matches!(
                    default_nameserver(Some(bad), no_file),
                    Err(NameserverError::BadEnvironment(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn resolv_conf_when_no_environment() {
        let from_file =
            || Ok(smtpclient_dns_stub::first_nameserver("nameserver 127.0.0.53\n").unwrap());
        assert_eq!(
            default_nameserver(None, from_file).unwrap(),
            Nameserver {
                address: "127.0.0.53:53".parse().unwrap(),
                trusted: true
            }
        );
        let remote = || Ok("192.0.2.1:53".parse().unwrap());
        assert!(!default_nameserver(None, remote).unwrap().trusted);
        // The environment wins over the file.
        let env = default_nameserver(Some("192.0.2.9"), from_file).unwrap();
        assert_eq!(env.address.to_string(), "192.0.2.9:53");
        let error = default_nameserver(None, no_file).unwrap_err().to_string();
        assert_eq!(
            error,
            "no nameserver: SMTPCLIENT_DNS is not set and no usable nameserver line in /etc/resolv.conf"
        );
    }
}
