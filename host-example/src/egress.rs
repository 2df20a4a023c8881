//! Egress policy: which addresses and ports the component's `tcp.connect` may reach.
//!
//! The `tcp` import asks the host's [`EgressPolicy`] before every connect; a refusal is the
//! WIT error `tcp-error::denied` with the policy's reason, and no socket is opened. A platform
//! running other people's deliveries wants [`AddressPolicy::public_only`] (no loopback, no
//! private networks, no cloud metadata address). The command line uses it for `deliver`
//! (a hostile domain's MX records must not point us at the local MTA or internal services),
//! [`AddressPolicy::dialable`] for `deliver --allow-private-addresses` (tests, labs) and
//! `probe`, and [`AddressPolicy::allow_all`] for `send` to the server its user names.
//!
//! When the policy refused every address of a delivery, [`deliver`](crate::deliver) reports
//! it as a permanent `policy` failure: retrying cannot help while the domain's MX records
//! point there, and Postfix likewise bounces mail whose MX loops back to itself.

use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// Decides whether the guest may connect to an address.
pub trait EgressPolicy: Send + Sync {
    /// Whether the guest may connect to `remote`, from `local` when it asked for one.
    ///
    /// # Errors
    /// The reason for the refusal, which the guest receives in `tcp-error::denied`.
    fn check(&self, remote: SocketAddr, local: Option<IpAddr>) -> Result<(), String>;
}

/// A policy of ports and address ranges.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// The ports that may be dialed; empty: any port.
    pub ports: Vec<u16>,
    /// Ranges that may be dialed even though `denied` covers them.
    pub allowed: Vec<IpNet>,
    /// Ranges that may not be dialed.
    pub denied: Vec<IpNet>,
}

/// Addresses no SMTP server can have, never dialed for MX delivery: "this network" (RFC 6890
/// §2.2.2; Linux connects 0.0.0.0 to the local machine), multicast (RFC 5771, RFC 4291
/// §2.7), and the reserved 240.0.0.0/4 with the limited broadcast address (RFC 919).
const NEVER_DIALED: &[&str] = &[
    "0.0.0.0/8",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "ff00::/8",
];

/// The other special-purpose ranges of the IANA registries ([RFC 6890 §2.2.2] and §2.2.3, with
/// later additions) that are not globally reachable: private networks (RFC 1918, RFC 4193),
/// shared address space (RFC 6598), loopback, link local (cloud metadata services live
/// there), documentation and benchmarking.
///
/// [RFC 6890 §2.2.2]: https://www.rfc-editor.org/rfc/rfc6890#section-2.2.2
const NOT_GLOBAL: &[&str] = &[
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "::1/128",
    "64:ff9b:1::/48",
    "100::/64",
    "2001:db8::/32",
    "fc00::/7",
    "fe80::/10",
];

/// Parsed ranges of `lists`.
fn ranges(lists: &[&[&str]]) -> Vec<IpNet> {
    lists
        .iter()
        .flat_map(|list| list.iter())
        .filter_map(|range| range.parse().ok())
        .collect()
}

impl AddressPolicy {
    /// Every address and port (the command line's policy).
    pub fn allow_all() -> Self {
        AddressPolicy::default()
    }

    /// Only globally reachable addresses, any port: the default for a platform, and the
    /// command line's for `deliver`.
    pub fn public_only() -> Self {
        AddressPolicy {
            ports: Vec::new(),
            allowed: Vec::new(),
            denied: ranges(&[NEVER_DIALED, NOT_GLOBAL]),
        }
    }

    /// Every address an SMTP server can have, loopback and private ranges included: never
    /// unspecified, multicast or broadcast (`deliver --allow-private-addresses`, `probe`).
    pub fn dialable() -> Self {
        AddressPolicy {
            ports: Vec::new(),
            allowed: Vec::new(),
            denied: ranges(&[NEVER_DIALED]),
        }
    }

    /// This policy, restricted to `ports`.
    #[must_use]
    pub fn with_ports(mut self, ports: &[u16]) -> Self {
        self.ports = ports.to_vec();
        self
    }

    /// This policy, with `range` allowed even where `denied` covers it.
    #[must_use]
    pub fn allowing(mut self, range: IpNet) -> Self {
        self.allowed.push(range);
        self
    }
}

impl EgressPolicy for AddressPolicy {
    fn check(&self, remote: SocketAddr, _local: Option<IpAddr>) -> Result<(), String> {
        if !self.ports.is_empty() && !self.ports.contains(&remote.port()) {
            return Err(format!("port {} is not allowed", remote.port()));
        }
        // An IPv4-mapped IPv6 address reaches the IPv4 address; judge it as that.
        let ip = remote.ip().to_canonical();
        if self.allowed.iter().any(|range| range.contains(&ip)) {
            return Ok(());
        }
        match self.denied.iter().find(|range| range.contains(&ip)) {
            Some(range) => Err(format!("address {ip} is in the denied range {range}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: &AddressPolicy, remote: &str) -> Result<(), String> {
        policy.check(remote.parse().unwrap(), None)
    }

    /// Every one of `remotes` is refused for being in a denied range.
    fn assert_refused(policy: &AddressPolicy, remotes: &[&str]) {
        for remote in remotes {
            let reason = check(policy, remote).unwrap_err();
            assert!(reason.contains("denied range"), "{remote}: {reason}");
        }
    }

    fn assert_allowed(policy: &AddressPolicy, remotes: &[&str]) {
        for remote in remotes {
            assert_eq!(check(policy, remote), Ok(()), "{remote}");
        }
    }

    #[test]
    fn public_only_refuses_internal_addresses() {
        let policy = AddressPolicy::public_only();
        assert_eq!(
            NEVER_DIALED.len() + NOT_GLOBAL.len(),
            policy.denied.len(),
            "every range parses"
        );
        assert_refused(
            &policy,
            &[
                "127.0.0.1:25",
                "10.1.2.3:25",
                "169.254.169.254:80",
                "[::1]:25",
                "[fd00::1]:25",
                "[::ffff:192.168.1.1]:25",
                "0.0.0.0:25",
                "[ff02::1]:25",
            ],
        );
        assert_allowed(
            &policy,
            &["8.8.8.8:25", "[2a00:1450::1]:25", "[::ffff:8.8.8.8]:25"],
        );
    }

    #[test]
    fn ports_and_exceptions() {
        let policy = AddressPolicy::public_only()
            .with_ports(&[25, 465, 587])
            .allowing("127.0.0.0/8".parse().unwrap());
        assert_eq!(check(&policy, "127.0.0.1:25"), Ok(()));
        assert_eq!(
            check(&policy, "127.0.0.1:2525"),
            Err("port 2525 is not allowed".into())
        );
        assert!(check(&policy, "10.0.0.1:25").is_err());
        assert_eq!(check(&AddressPolicy::allow_all(), "127.0.0.1:1"), Ok(()));
    }

    #[test]
    fn dialable_refuses_only_what_no_server_has() {
        let policy = AddressPolicy::dialable();
        for never in [
            "0.0.0.0:25",
            "224.0.0.1:25",
            "255.255.255.255:25",
            "[::]:25",
            "[ff02::1]:25",
            "[::ffff:0.0.0.0]:25",
        ] {
            let reason = check(&policy, never).unwrap_err();
            assert!(reason.contains("denied range"), "{never}: {reason}");
        }
        for lab in ["127.0.0.1:25", "10.1.2.3:25", "[::1]:25", "8.8.8.8:25"] {
            assert_eq!(check(&policy, lab), Ok(()), "{lab}");
        }
        for never in ["0.0.0.0:25", "[ff02::1]:25"] {
            assert!(
                check(&AddressPolicy::public_only(), never).is_err(),
                "{never}"
            );
        }
    }
}
