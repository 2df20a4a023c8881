//! The host's DNS `resolver`: lookups with a DNSSEC `authentic` flag, from real DNS or a zone file.
//!
//! Two implementations, one API:
//! - [`DnsResolver`] speaks DNS (the messages of `smtpclient-dns-stub`, over tokio's UDP and
//!   TCP) to one recursive resolver, from `/etc/resolv.conf` or given explicitly, and reports its AD bit when that
//!   resolver is trusted; address lookups consult `/etc/hosts` first.
//! - [`ZoneResolver`] answers from a master file ([RFC 1035 §5]) with directives for
//!   insecure names and failures, for tests and the demo; see [`zone`] for the format.
//!
//! [`Resolver`] is the enum of the two; its `async fn`s are `Send` because both
//! implementations are. The host itself holds any [`DnsBackend`], the trait an embedder
//! implements to answer the component's lookups its own way (a cache, DNS over HTTPS, a
//! table); `Resolver` and both implementations are `DnsBackend`s.
//!
//! Names in and out are ASCII FQDNs: a name is accepted with or without its trailing dot and
//! is always absolute (no search domains); names in answers are lowercase with the trailing dot.
//!
//! [RFC 1035 §5]: https://www.rfc-editor.org/rfc/rfc1035#section-5

mod client;
mod shown;
#[cfg(test)]
mod test_server;
mod transport;
pub mod zone;
mod zone_file;
mod zone_lexer;

use std::future::{Future, ready};
use std::net::IpAddr;
use std::pin::Pin;

pub use client::DnsResolver;
pub use shown::Shown;
pub use smtpclient_dns_stub::{
    Answer, DEFAULT_TIMEOUT, DNS_PORT, HostsFile, IpFamily, LookupError, Mx, RecordKind,
    ResolvConfError, SYSTEM_HOSTS, SYSTEM_RESOLV_CONF, Tlsa, first_nameserver,
    nameserver_from_file,
};
pub use zone::ZoneResolver;
pub use zone_file::{SyntaxError, ZoneError};

/// The resolver the host uses: real DNS or a zone file.
#[derive(Debug, Clone)]
pub enum Resolver {
    /// Real DNS through a recursive resolver.
    Dns(DnsResolver),
    /// Answers from a zone file.
    Zone(ZoneResolver),
}

impl Resolver {
    /// See [`DnsResolver::lookup_cname`].
    ///
    /// # Errors
    /// [`LookupError::NotFound`] if `name` is not an alias.
    pub async fn lookup_cname(&self, name: &str) -> Result<Answer<String>, LookupError> {
        match self {
            Self::Dns(dns) => dns.lookup_cname(name).await,
            Self::Zone(zone) => zone.lookup_cname(name),
        }
    }

    /// See [`DnsResolver::lookup_mx`].
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is no MX.
    pub async fn lookup_mx(&self, name: &str) -> Result<Answer<Mx>, LookupError> {
        match self {
            Self::Dns(dns) => dns.lookup_mx(name).await,
            Self::Zone(zone) => zone.lookup_mx(name),
        }
    }

    /// See [`DnsResolver::lookup_ip`].
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is no address of `family`.
    pub async fn lookup_ip(
        &self,
        name: &str,
        family: IpFamily,
    ) -> Result<Answer<IpAddr>, LookupError> {
        match self {
            Self::Dns(dns) => dns.lookup_ip(name, family).await,
            Self::Zone(zone) => zone.lookup_ip(name, family),
        }
    }

    /// See [`DnsResolver::lookup_tlsa`].
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is no TLSA record.
    pub async fn lookup_tlsa(
        &self,
        port: u16,
        protocol: &str,
        host: &str,
    ) -> Result<Answer<Tlsa>, LookupError> {
        match self {
            Self::Dns(dns) => dns.lookup_tlsa(port, protocol, host).await,
            Self::Zone(zone) => zone.lookup_tlsa(port, protocol, host),
        }
    }

    /// See [`DnsResolver::lookup_txt`].
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is no TXT record.
    pub async fn lookup_txt(&self, name: &str) -> Result<Answer<Vec<u8>>, LookupError> {
        match self {
            Self::Dns(dns) => dns.lookup_txt(name).await,
            Self::Zone(zone) => zone.lookup_txt(name),
        }
    }
}

/// A lookup in flight, boxed so that [`DnsBackend`] can be a trait object.
pub type Lookup<'a, T> = Pin<Box<dyn Future<Output = Result<Answer<T>, LookupError>> + Send + 'a>>;

/// Where the component's `resolver` import gets its answers. Names come as the component
/// asks them (ASCII, with or without the trailing dot); answers follow the WIT contract:
/// `authentic` only when DNSSEC validated them, [`LookupError::NotFound`] rather than an
/// empty answer for addresses.
pub trait DnsBackend: Send + Sync {
    /// The CNAME target of `name`.
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String>;
    /// The MX records of `name`.
    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx>;
    /// The addresses of `name` in `family`.
    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr>;
    /// The TLSA records of `_port._protocol.host`.
    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa>;
    /// The TXT records of `name`, each the concatenation of its strings.
    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>>;
}

impl DnsBackend for Resolver {
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String> {
        Box::pin(Resolver::lookup_cname(self, name))
    }
    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx> {
        Box::pin(Resolver::lookup_mx(self, name))
    }
    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        Box::pin(Resolver::lookup_ip(self, name, family))
    }
    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa> {
        Box::pin(Resolver::lookup_tlsa(self, port, protocol, host))
    }
    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>> {
        Box::pin(Resolver::lookup_txt(self, name))
    }
}

impl DnsBackend for DnsResolver {
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String> {
        Box::pin(DnsResolver::lookup_cname(self, name))
    }
    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx> {
        Box::pin(DnsResolver::lookup_mx(self, name))
    }
    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        Box::pin(DnsResolver::lookup_ip(self, name, family))
    }
    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa> {
        Box::pin(DnsResolver::lookup_tlsa(self, port, protocol, host))
    }
    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>> {
        Box::pin(DnsResolver::lookup_txt(self, name))
    }
}

impl DnsBackend for ZoneResolver {
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String> {
        Box::pin(ready(ZoneResolver::lookup_cname(self, name)))
    }
    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx> {
        Box::pin(ready(ZoneResolver::lookup_mx(self, name)))
    }
    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        Box::pin(ready(ZoneResolver::lookup_ip(self, name, family)))
    }
    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa> {
        Box::pin(ready(ZoneResolver::lookup_tlsa(self, port, protocol, host)))
    }
    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>> {
        Box::pin(ready(ZoneResolver::lookup_txt(self, name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    #[test]
    fn lookup_futures_are_send() {
        let dns = Resolver::Dns(DnsResolver::new(
            (std::net::Ipv4Addr::LOCALHOST, DNS_PORT).into(),
            true,
            DEFAULT_TIMEOUT,
        ));
        assert_send(dns.lookup_cname("example.test"));
        assert_send(dns.lookup_mx("example.test"));
        assert_send(dns.lookup_ip("example.test", IpFamily::Any));
        assert_send(dns.lookup_tlsa(25, "tcp", "example.test"));
        assert_send(dns.lookup_txt("example.test"));
    }

    #[tokio::test]
    async fn zone_through_the_enum() {
        let zone = ZoneResolver::parse("example.test. MX 10 mx.example.test.\n").unwrap();
        let resolver = Resolver::Zone(zone);
        let answer = resolver.lookup_mx("example.test").await.unwrap();
        assert_eq!(answer.records[0].exchange, "mx.example.test.");
        assert!(answer.authentic);
    }

    #[tokio::test]
    async fn zone_as_a_backend() {
        let zone = ZoneResolver::parse("example.test. TXT \"v=STSv1; id=1\"\n").unwrap();
        let backend: std::sync::Arc<dyn DnsBackend> = std::sync::Arc::new(zone);
        let answer = backend.lookup_txt("example.test.").await.unwrap();
        assert_eq!(answer.records, [b"v=STSv1; id=1".to_vec()]);
        assert!(matches!(
            backend.lookup_mx("example.test").await,
            Err(LookupError::NotFound { .. })
        ));
    }
}
