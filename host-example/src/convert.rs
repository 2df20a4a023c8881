//! Conversions between std, the command line's types and the contract's: IP and socket
//! addresses, domain names, next hops, recipients, deadlines, requests and reports. One
//! home, so that every import and export converts the same way; the body is the command
//! line crate's, shared with the wasi-run command (`contract_conversions!`).

command_line::contract_conversions! {
    types = crate::bindings::types,
    client = crate::bindings::client,
    delivery = crate::bindings::delivery,
    tcp = crate::bindings::tcp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::client::SaslMechanism;
    use crate::bindings::types::{IpAddress, IpDomain};
    use std::net::SocketAddr;
    use std::time::Duration;

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
    fn sasl_mechanisms() {
        use command_line::request::SaslMechanism as Neutral;
        assert!(matches!(
            sasl_mechanism(Neutral::ScramSha256Plus),
            SaslMechanism::ScramSha256Plus
        ));
        assert!(matches!(
            sasl_mechanism(Neutral::External),
            SaslMechanism::External
        ));
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
    fn sts_policies_round_trip() {
        let policy = command_line::sts_cache::CachedPolicy {
            id: "20261128".into(),
            text: "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 86400\n".into(),
            fetched_at: 1_800_000_000,
        };
        assert_eq!(cached_policy(&sts_policy(policy.clone())), policy);
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
