//! Which addresses an MX host may be dialed at. DNS is the domain owner's to write: a hostile
//! domain can point its MX at the local machine or an internal service, which may trust
//! local clients. Addresses no SMTP server can have are never dialed; loopback and private
//! ranges only when the caller allows them (tests, labs, an internal relay).
//!
//! One home for these rules: the client's delivery (`smtpclient::delivery::refusal`) and the
//! WASI adapter's egress policy both use [`refusal`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why `ip` must not be dialed for MX delivery, or `None` when it may be. `allow_private`
/// lets loopback, private, shared and link-local addresses through.
#[must_use]
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    // An IPv4-mapped IPv6 address reaches the IPv4 address: judge it as that.
    match ip.to_canonical() {
        IpAddr::V4(v4) => refusal_v4(v4, allow_private),
        IpAddr::V6(v6) => refusal_v6(v6, allow_private),
    }
}

fn refusal_v4(ip: Ipv4Addr, allow_private: bool) -> Option<&'static str> {
    let [first, second, ..] = ip.octets();
    // RFC 1122 §3.2.1.3: 0.0.0.0/8 is "this host on this network", a source address only
    // (Linux connects 0.0.0.0 to the local machine).
    if first == 0 {
        return Some("unspecified");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if ip.is_broadcast() {
        return Some("broadcast");
    }
    if allow_private {
        return None;
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private (RFC 1918)")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if first == 100 && (64..128).contains(&second) {
        // RFC 6598: shared address space behind carrier-grade NAT.
        Some("shared (RFC 6598)")
    } else {
        None
    }
}

fn refusal_v6(ip: Ipv6Addr, allow_private: bool) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_multicast() {
        return Some("multicast");
    }
    if allow_private {
        return None;
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unique_local() {
        Some("unique local (RFC 4193)")
    } else if ip.is_unicast_link_local() {
        Some("link-local")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_dialed_whatever_the_caller_allows() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "::",
            "ff02::1",
            "::ffff:0.0.0.0",
            "::ffff:224.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(refusal(ip, true).is_some(), "{ip}");
            assert!(refusal(ip, false).is_some(), "{ip}");
        }
    }

    #[test]
    fn private_ranges_only_when_allowed() {
        for (ip, reason) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private (RFC 1918)"),
            ("172.16.0.1", "private (RFC 1918)"),
            ("192.168.1.1", "private (RFC 1918)"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared (RFC 6598)"),
            ("::1", "loopback"),
            ("fd00::1", "unique local (RFC 4193)"),
            ("fe80::1", "link-local"),
            ("::ffff:127.0.0.1", "loopback"),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(refusal(ip, false), Some(reason), "{ip}");
            assert_eq!(refusal(ip, true), None, "{ip}");
        }
        for public in ["192.0.2.1", "8.8.8.8", "100.128.0.1", "2001:db8::1"] {
            assert_eq!(refusal(public.parse().unwrap(), false), None, "{public}");
        }
    }
}
