//! Which addresses and ports `tcp.connect` may dial: the egress policy `configure` sets.
//!
//! The address rules are the client's own (`smtpclient-dial-policy`): unspecified, multicast
//! and broadcast addresses never; loopback, private, link-local and shared addresses only
//! when allowed. A refusal becomes `tcp-error::denied` with the reason, and no socket is opened.

use std::net::SocketAddr;

use smtpclient_dial_policy::refusal;

/// What may be dialed. The default: any port, public addresses only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Egress {
    /// The ports that may be dialed; empty: any port.
    pub ports: Vec<u16>,
    /// Whether loopback, private (RFC 1918, RFC 4193), link-local and shared (RFC 6598)
    /// addresses may be dialed.
    pub allow_private: bool,
}

impl Egress {
    /// Whether `remote` may be dialed.
    ///
    /// # Errors
    /// The reason for the refusal, for `tcp-error::denied`.
    pub fn check(&self, remote: SocketAddr) -> Result<(), String> {
        if !self.ports.is_empty() && !self.ports.contains(&remote.port()) {
            return Err(format!("port {} is not allowed", remote.port()));
        }
        match refusal(remote.ip(), self.allow_private) {
            Some(reason) => Err(format!("address {} is {reason}", remote.ip())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(egress: &Egress, remote: &str) -> Result<(), String> {
        egress.check(remote.parse().unwrap())
    }

    #[test]
    fn public_addresses_on_any_port_by_default() {
        let egress = Egress::default();
        for allowed in ["192.0.2.1:25", "8.8.8.8:587", "[2001:db8::1]:465"] {
            assert_eq!(check(&egress, allowed), Ok(()), "{allowed}");
        }
        for (refused, reason) in [
            ("127.0.0.1:25", "address 127.0.0.1 is loopback"),
            ("10.0.0.1:25", "address 10.0.0.1 is private (RFC 1918)"),
            ("[fd00::1]:25", "address fd00::1 is unique local (RFC 4193)"),
            (
                "169.254.169.254:80",
                "address 169.254.169.254 is link-local",
            ),
            ("100.64.0.1:25", "address 100.64.0.1 is shared (RFC 6598)"),
            (
                "[::ffff:127.0.0.1]:25",
                "address ::ffff:127.0.0.1 is loopback",
            ),
        ] {
            assert_eq!(check(&egress, refused), Err(reason.into()), "{refused}");
        }
    }

    #[test]
    fn private_addresses_when_allowed_but_never_unspecified_multicast_broadcast() {
        let egress = Egress {
            ports: Vec::new(),
            allow_private: true,
        };
        for allowed in ["127.0.0.1:25", "10.0.0.1:25", "[::1]:25", "[fe80::1]:25"] {
            assert_eq!(check(&egress, allowed), Ok(()), "{allowed}");
        }
        for (refused, reason) in [
            ("0.0.0.0:25", "unspecified"),
            ("[::]:25", "unspecified"),
            ("224.0.0.1:25", "multicast"),
            ("[ff02::1]:25", "multicast"),
            ("255.255.255.255:25", "broadcast"),
        ] {
            let error = check(&egress, refused).unwrap_err();
            assert!(error.ends_with(reason), "{refused}: {error}");
        }
    }

    #[test]
    fn only_the_listed_ports() {
        let egress = Egress {
            ports: vec![25, 587],
            allow_private: true,
        };
        assert_eq!(check(&egress, "127.0.0.1:587"), Ok(()));
        assert_eq!(
            check(&egress, "127.0.0.1:2525"),
            Err("port 2525 is not allowed".into())
        );
    }
}
