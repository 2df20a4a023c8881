//! DNS lookups shown on stderr as the component asks them (the demo, and `-vv`), in the
//! stub's format ([`lookup_line`]).

use super::{Answer, DnsBackend, IpFamily, Lookup, LookupError, Mx, Tlsa};
use smtpclient_dns_stub::{ShownRecord, lookup_line};
use std::net::IpAddr;

/// A resolver that prints every lookup of the one it wraps.
pub struct Shown<B>(pub B);

impl<B: DnsBackend> DnsBackend for Shown<B> {
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String> {
        Box::pin(async move { show("CNAME", name, self.0.lookup_cname(name).await) })
    }

    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx> {
        Box::pin(async move { show("MX", name, self.0.lookup_mx(name).await) })
    }

    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        Box::pin(async move { show("A/AAAA", name, self.0.lookup_ip(name, family).await) })
    }

    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa> {
        Box::pin(async move {
            let name = format!("_{port}._{protocol}.{host}");
            show(
                "TLSA",
                &name,
                self.0.lookup_tlsa(port, protocol, host).await,
            )
        })
    }

    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>> {
        Box::pin(async move { show("TXT", name, self.0.lookup_txt(name).await) })
    }
}

/// Prints one lookup and its outcome, and passes the outcome on.
fn show<T: ShownRecord>(
    kind: &str,
    name: &str,
    result: Result<Answer<T>, LookupError>,
) -> Result<Answer<T>, LookupError> {
    eprintln!("{}", lookup_line(kind, name, &result));
    result
}
