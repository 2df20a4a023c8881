//! Dialing a host: its addresses in order, each from the local address of its family, and
//! the memory of the address that answered (as mox's `Dial`).
//!
//! The connecting itself is a closure, so the same loop serves every caller (a delivery
//! attempt, the MTA-STS fetch, the `delivery.dial` export).

use std::net::IpAddr;

use crate::dns::{DialedIps, IpDomain, is_v4};

/// The local address to dial `remote` from: the first of `locals` of the same family.
#[must_use]
pub fn local_address(remote: &IpAddr, locals: &[IpAddr]) -> Option<IpAddr> {
    locals.iter().find(|l| is_v4(l) == is_v4(remote)).copied()
}

/// Why no connection was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialError<E> {
    /// There was nothing to dial (mox's `Dial` returns no error at all).
    NoAddresses,
    /// Every address failed; the last one and its error (as in mox).
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
}
