//! Dialing a host: the order of its addresses, the local address to bind, and the memory of
//! addresses dialed in earlier attempts (spec §6.2 step 8, §6.5).
//!
//! The connecting itself is a closure, so the loop runs the same natively (tests) and in the
//! component (over the `tcp` import).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::dns::IpDomain;

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

/// Orders a host's addresses for dialing after the `previous` attempts (spec §6.2 step 8):
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

/// The local address to dial `remote` from: the first of `locals` of the same family.
#[must_use]
pub fn local_address(remote: &IpAddr, locals: &[IpAddr]) -> Option<IpAddr> {
    locals.iter().find(|l| is_v4(l) == is_v4(remote)).copied()
}

/// Why no connection was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialError<E> {
    /// There was nothing to dial (the reference returns no error at all, spec §13.22).
    NoAddresses,
    /// Every address failed; the last one and its error (spec §6.5).
    Failed {
        /// The last address tried.
        address: IpAddr,
        /// Its error.
        error: E,
    },
}

/// Connects to the first of `ips` that answers, in order, each from its
/// [`local_address`], and records the answering address in `memory`.
///
/// # Errors
/// [`DialError::NoAddresses`] for an empty `ips`, else [`DialError::Failed`] with the last
/// address's error.
pub fn dial<C, E>(
    host: &IpDomain,
    ips: &[IpAddr],
    locals: &[IpAddr],
    memory: &mut DialedIps,
    mut connect: impl FnMut(IpAddr, Option<IpAddr>) -> Result<C, E>,
) -> Result<(C, IpAddr), DialError<E>> {
    let mut failure = DialError::NoAddresses;
    for &ip in ips {
        match connect(ip, local_address(&ip, locals)) {
            Ok(connection) => {
                memory.record(host, ip);
                return Ok((connection, ip));
            }
            Err(error) => failure = DialError::Failed { address: ip, error },
        }
    }
    Err(failure)
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
    fn local_address_of_the_same_family() {
        let locals = ips(&["2001:db8::9", "192.0.2.9", "192.0.2.10"]);
        let v4: IpAddr = "10.0.0.1".parse().expect("ip");
        let v6: IpAddr = "2001:db8::1".parse().expect("ip");
        assert_eq!(local_address(&v4, &locals), Some(ips(&["192.0.2.9"])[0]));
        assert_eq!(local_address(&v6, &locals), Some(ips(&["2001:db8::9"])[0]));
        assert_eq!(local_address(&v6, &locals[1..]), None);
        assert_eq!(local_address(&v4, &[]), None);
    }

    #[test]
    fn dial_tries_in_order_and_remembers() {
        let host = IpDomain::Domain(crate::dns::Domain::parse("mx.example").expect("domain"));
        let all = ips(&["10.0.0.1", "2001:db8::1", "10.0.0.2"]);
        let locals = ips(&["192.0.2.9"]);
        let mut memory = DialedIps::default();
        let mut tried = Vec::new();
        let result = dial(&host, &all, &locals, &mut memory, |ip, local| {
            tried.push((ip, local));
            if ip == all[2] {
                Ok("conn")
            } else {
                Err("refused")
            }
        });
        assert_eq!(result, Ok(("conn", all[2])));
        assert_eq!(
            tried,
            [
                (all[0], Some(locals[0])),
                (all[1], None),
                (all[2], Some(locals[0]))
            ]
        );
        assert_eq!(memory.get(&host), &all[2..]);
        let keys: Vec<&String> = memory.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["mx.example"]);

        let failed = dial(&host, &all[..2], &[], &mut memory, |_, _| {
            Err::<(), _>("refused")
        });
        assert_eq!(
            failed,
            Err(DialError::Failed {
                address: all[1],
                error: "refused"
            })
        );
        assert_eq!(memory.get(&host), &all[2..], "failures are not remembered");
        let empty = dial(&host, &[], &[], &mut memory, |_, _| Ok::<_, ()>(()));
        assert_eq!(empty, Err(DialError::NoAddresses));
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
