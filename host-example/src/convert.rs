//! Conversions between std and the contract's types: IP and socket addresses, domain names,
//! next hops, recipients and deadlines. One home, so that every import and export converts
//! the same way.

use crate::bindings::client::{Recipient, SaslMechanism, Timeouts};
use crate::bindings::tcp::SocketAddress;
use crate::bindings::types::{Domain, IpAddress, IpDomain};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

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

/// A WIT socket address as a std one.
pub fn socket_addr(address: SocketAddress) -> SocketAddr {
    SocketAddr::new(ip_addr(address.address), address.port)
}

/// A std socket address as a WIT one.
pub fn socket_address(address: SocketAddr) -> SocketAddress {
    SocketAddress {
        address: ip_address(address.ip()),
        port: address.port(),
    }
}

/// A domain name as the component wants it: lower case, without the trailing dot. IDNA
/// conversion comes with issue 5, so names are passed through as ASCII.
pub fn domain(name: &str) -> Domain {
    Domain {
        ascii: name.trim_end_matches('.').to_ascii_lowercase(),
        unicode: None,
    }
}

/// A next hop: an address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`, RFC 5321 §4.1.3)
/// is an IP, anything else a domain.
pub fn next_hop(name: &str) -> IpDomain {
    let literal = name
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .map(|d| d.strip_prefix("IPv6:").unwrap_or(d));
    match literal.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        Some(ip) => IpDomain::Ip(ip_address(ip)),
        None => IpDomain::Domain(domain(name)),
    }
}

/// A server the user names: an IP address, bare or as a literal, or a domain.
pub fn server_host(name: &str) -> IpDomain {
    match name.parse::<IpAddr>() {
        Ok(ip) => IpDomain::Ip(ip_address(ip)),
        Err(_) => next_hop(name),
    }
}

/// A host as text: the IP, or the Unicode form of the domain when there is one.
pub fn ip_domain_text(host: &IpDomain) -> String {
    match host {
        IpDomain::Ip(ip) => ip_addr(*ip).to_string(),
        IpDomain::Domain(domain) => domain.unicode.clone().unwrap_or(domain.ascii.clone()),
    }
}

/// The recipients of an envelope, without DSN parameters.
pub fn recipients(to: &[String]) -> Vec<Recipient> {
    to.iter()
        .map(|address| Recipient {
            address: address.clone(),
            notify: None,
            original_recipient: None,
        })
        .collect()
}

/// A SASL mechanism by its registered name (RFC 4422 §3.1), any case; `None` for one the
/// component does not implement.
pub fn sasl_mechanism(name: &str) -> Option<SaslMechanism> {
    let mechanism = match name.to_ascii_uppercase().as_str() {
        "SCRAM-SHA-256-PLUS" => SaslMechanism::ScramSha256Plus,
        "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
        "SCRAM-SHA-1-PLUS" => SaslMechanism::ScramSha1Plus,
        "SCRAM-SHA-1" => SaslMechanism::ScramSha1,
        "CRAM-MD5" => SaslMechanism::CramMd5,
        "PLAIN" => SaslMechanism::Plain,
        "LOGIN" => SaslMechanism::Login,
        "XOAUTH2" => SaslMechanism::Xoauth2,
        "OAUTHBEARER" => SaslMechanism::Oauthbearer,
        "EXTERNAL" => SaslMechanism::External,
        _ => return None,
    };
    Some(mechanism)
}

/// Every deadline of a session set to `timeout` (the command line's `--timeout`).
pub fn uniform_timeouts(timeout: Duration) -> Timeouts {
    let ms = Some(millis(timeout));
    Timeouts {
        greeting_ms: ms,
        command_ms: ms,
        data_init_ms: ms,
        data_block_ms: ms,
        data_end_ms: ms,
        tls_handshake_ms: ms,
        quit_ms: ms,
    }
}

/// A duration in the contract's milliseconds, saturating.
pub fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

/// The contract's milliseconds as a duration.
pub fn duration(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_hops() {
        assert!(matches!(
            next_hop("[192.0.2.1]"),
            IpDomain::Ip(IpAddress::Ipv4((192, 0, 2, 1)))
        ));
        assert!(matches!(
            next_hop("[IPv6:2001:db8::1]"),
            IpDomain::Ip(IpAddress::Ipv6((0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)))
        ));
        match next_hop("Example.NET.") {
            IpDomain::Domain(domain) => assert_eq!(domain.ascii, "example.net"),
            IpDomain::Ip(ip) => panic!("{ip:?}"),
        }
    }

    #[test]
    fn sasl_mechanism_names() {
        assert!(matches!(
            sasl_mechanism("scram-sha-256-plus"),
            Some(SaslMechanism::ScramSha256Plus)
        ));
        assert!(matches!(
            sasl_mechanism("PLAIN"),
            Some(SaslMechanism::Plain)
        ));
        assert!(sasl_mechanism("GSSAPI").is_none());
    }

    #[test]
    fn server_hosts() {
        for name in [
            "192.0.2.1",
            "[192.0.2.1]",
            "2001:db8::1",
            "[IPv6:2001:db8::1]",
        ] {
            assert!(matches!(server_host(name), IpDomain::Ip(_)), "{name}");
        }
        assert!(matches!(
            server_host("smtp.example.net"),
            IpDomain::Domain(_)
        ));
    }

    #[test]
    fn addresses_round_trip() {
        for text in ["192.0.2.1:25", "[2001:db8::1]:587"] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(socket_addr(socket_address(addr)), addr);
        }
        assert_eq!(millis(Duration::from_secs(u64::MAX)), u32::MAX);
        assert_eq!(duration(1500), Duration::from_millis(1500));
    }
}
