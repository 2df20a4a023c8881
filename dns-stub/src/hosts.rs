//! `/etc/hosts`: static addresses consulted before DNS, as the system resolver does.
//!
//! The format is that of hosts(5): an address, then the canonical name and any aliases,
//! separated by blanks; `#` starts a comment. Lines that do not parse are skipped, as glibc
//! skips them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use crate::name::fqdn;
use crate::types::IpFamily;

/// The system's hosts file.
pub const SYSTEM_HOSTS: &str = "/etc/hosts";

/// Names and their addresses from a hosts file; names are kept as lowercase FQDNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostsFile {
    addresses: HashMap<String, Vec<IpAddr>>,
}

impl HostsFile {
    /// An empty table: every name goes to DNS.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parses hosts(5) text; bad lines and bad names are skipped.
    pub fn parse(text: &str) -> Self {
        let mut addresses: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let mut fields = line.split_whitespace();
            let Some(address) = fields.next() else {
                continue;
            };
            // An IPv6 address may carry a zone (`fe80::1%eth0`), which an answer cannot.
            let address = address.split('%').next().unwrap_or_default();
            let Ok(ip) = address.parse::<IpAddr>() else {
                continue;
            };
            for name in fields.filter_map(|name| fqdn(name).ok()) {
                let list = addresses.entry(name).or_default();
                if !list.contains(&ip) {
                    list.push(ip);
                }
            }
        }
        Self { addresses }
    }

    /// Reads `path`; a missing or unreadable file gives an empty table, as for the system
    /// resolver.
    pub fn from_file(path: impl AsRef<Path>) -> Self {
        std::fs::read_to_string(path)
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    /// Reads [`SYSTEM_HOSTS`].
    pub fn from_system() -> Self {
        Self::from_file(SYSTEM_HOSTS)
    }

    /// The addresses of `name` (with or without the trailing dot, any case) of `family`, in
    /// file order; empty when the file has none, and DNS should be asked.
    pub fn lookup(&self, name: &str, family: IpFamily) -> Vec<IpAddr> {
        let Some(list) = fqdn(name).ok().and_then(|name| self.addresses.get(&name)) else {
            return Vec::new();
        };
        let v4 = list.iter().filter(|ip| ip.is_ipv4());
        let v6 = list.iter().filter(|ip| ip.is_ipv6());
        match family {
            IpFamily::Any => v4.chain(v6).copied().collect(),
            IpFamily::V4 => v4.copied().collect(),
            IpFamily::V6 => v6.copied().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: &str = "\
# static table
127.0.0.1\tlocalhost localhost.localdomain
::1        localhost ip6-localhost   # loopback
192.0.2.10 Mail.Example.Test. mail
fe80::1%eth0 linklocal
not-an-ip  broken
192.0.2.11
192.0.2.12 bad..name good.example
";

    #[test]
    fn parse_and_lookup() {
        let hosts = HostsFile::parse(HOSTS);
        let ips = |name: &str, family| -> Vec<String> {
            hosts
                .lookup(name, family)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(ips("localhost.", IpFamily::Any), ["127.0.0.1", "::1"]);
        assert_eq!(ips("localhost.", IpFamily::V4), ["127.0.0.1"]);
        assert_eq!(ips("localhost.", IpFamily::V6), ["::1"]);
        assert_eq!(ips("ip6-localhost.", IpFamily::V4), Vec::<String>::new());
        assert_eq!(ips("mail.example.test.", IpFamily::Any), ["192.0.2.10"]);
        assert_eq!(ips("MAIL", IpFamily::Any), ["192.0.2.10"]);
        assert_eq!(ips("linklocal.", IpFamily::V6), ["fe80::1"]);
        assert_eq!(ips("good.example.", IpFamily::Any), ["192.0.2.12"]);
        assert!(ips("broken.", IpFamily::Any).is_empty());
        assert!(ips("other.example.", IpFamily::Any).is_empty());
    }

    #[test]
    fn missing_file_is_empty() {
        assert_eq!(
            HostsFile::from_file("/nonexistent/hosts"),
            HostsFile::empty()
        );
    }
}
