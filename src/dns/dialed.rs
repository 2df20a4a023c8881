//! The memory of addresses dialed in earlier attempts, and the order of a host's addresses
//! after them (as mox orders them). It goes in and out of every attempt as data.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::domain::IpDomain;
/// The addresses each host was dialed at, oldest first, keyed by the host's string form
/// (the IP, or the Unicode domain name). It goes in and out of every attempt as data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialedIps(BTreeMap<String, Vec<IpAddr>>);

impl DialedIps {
    /// The addresses `host` was dialed at, oldest first.
    #[must_use]
    pub fn get(&self, host: &IpDomain) -> &[IpAddr] {
        self.0.get(&host.to_string()).map_or(&[], Vec::as_slice)
    }

    /// Remembers that `host` was dialed at `ip`.
    pub fn record(&mut self, host: &IpDomain, ip: IpAddr) {
        self.0.entry(host.to_string()).or_default().push(ip);
    }

    /// Every host with its addresses.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<IpAddr>)> {
        self.0.iter()
    }
}

impl FromIterator<(String, Vec<IpAddr>)> for DialedIps {
    fn from_iter<I: IntoIterator<Item = (String, Vec<IpAddr>)>>(iter: I) -> Self {
        let mut memory = Self::default();
        for (host, ips) in iter {
            memory.0.entry(host).or_default().extend(ips);
        }
        memory
    }
}

/// IPv4, counting IPv4-mapped IPv6 addresses as IPv4 (as the reference's `To4`).
pub(crate) fn is_v4(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => true,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
    }
}

/// Orders a host's addresses for dialing after the `previous` attempts (as mox does):
/// the family not used last goes first (the last attempt may have failed for a reason of its
/// family, RFC 3974 §3); within the last-used family, the last address goes first when it was
/// the only one tried in that family, to retry past greylisting. Otherwise DNS order is kept.
pub fn order(ips: &mut [IpAddr], previous: &[IpAddr]) {
    let Some(last) = previous.last() else {
        return;
    };
    let last_v4 = is_v4(last);
    let prefer_last = previous.iter().filter(|ip| is_v4(ip) == last_v4).count() == 1;
    // A stable sort: the other family, then the last used family with `last` first if preferred.
    ips.sort_by_key(|ip| (is_v4(ip) == last_v4, !(prefer_last && ip == last)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().expect("ip")).collect()
    }

    #[test]
    fn order_after_previous_attempts() {
        let dns = ips(&["10.0.0.1", "10.0.0.2", "2001:db8::1", "2001:db8::2"]);
        let cases: &[(&[&str], &[&str])] = &[
            (&[], &["10.0.0.1", "10.0.0.2", "2001:db8::1", "2001:db8::2"]),
            // Alternate the family; retry the only IPv4 tried first within IPv4.
            (
                &["10.0.0.2"],
                &["2001:db8::1", "2001:db8::2", "10.0.0.2", "10.0.0.1"],
            ),
            (
                &["2001:db8::2"],
                &["10.0.0.1", "10.0.0.2", "2001:db8::2", "2001:db8::1"],
            ),
            // Two IPv4 attempts: DNS order within IPv4.
            (
                &["10.0.0.1", "10.0.0.2"],
                &["2001:db8::1", "2001:db8::2", "10.0.0.1", "10.0.0.2"],
            ),
            (
                &["10.0.0.2", "2001:db8::2"],
                &["10.0.0.1", "10.0.0.2", "2001:db8::2", "2001:db8::1"],
            ),
            // IPv4-mapped IPv6 counts as IPv4.
            (
                &["::ffff:10.0.0.9"],
                &["2001:db8::1", "2001:db8::2", "10.0.0.1", "10.0.0.2"],
            ),
        ];
        for (previous, expected) in cases {
            let mut got = dns.clone();
            order(&mut got, &ips(previous));
            assert_eq!(got, ips(expected), "after {previous:?}");
        }
    }

    #[test]
    fn memory_from_data() {
        let memory: DialedIps = [
            ("a.example".to_string(), ips(&["10.0.0.1"])),
            ("a.example".to_string(), ips(&["10.0.0.2"])),
        ]
        .into_iter()
        .collect();
        let host = IpDomain::Domain(crate::dns::Domain::parse("a.example").expect("domain"));
        assert_eq!(memory.get(&host), ips(&["10.0.0.1", "10.0.0.2"]));
        let ip = IpDomain::Ip("10.0.0.1".parse().expect("ip"));
        assert!(memory.get(&ip).is_empty());
    }
}
