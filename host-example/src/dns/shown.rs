//! DNS lookups shown on stderr as the component asks them (the demo, and `-vv`): which
//! names, which records, and whether the answer was authentic (what DANE depends on, RFC 7672
//! §2.2).

use super::{Answer, DnsBackend, IpFamily, Lookup, LookupError, Mx, Tlsa};
use std::fmt::Display;
use std::net::IpAddr;

/// A resolver that prints every lookup of the one it wraps.
pub struct Shown<B>(pub B);

impl<B: DnsBackend> DnsBackend for Shown<B> {
    fn lookup_cname<'a>(&'a self, name: &'a str) -> Lookup<'a, String> {
        Box::pin(async move {
            show(
                "CNAME",
                name,
                self.0.lookup_cname(name).await,
                String::clone,
            )
        })
    }

    fn lookup_mx<'a>(&'a self, name: &'a str) -> Lookup<'a, Mx> {
        Box::pin(async move {
            show("MX", name, self.0.lookup_mx(name).await, |mx| {
                format!("{} {}", mx.preference, mx.exchange)
            })
        })
    }

    fn lookup_ip<'a>(&'a self, name: &'a str, family: IpFamily) -> Lookup<'a, IpAddr> {
        Box::pin(async move {
            show("A/AAAA", name, self.0.lookup_ip(name, family).await, |ip| {
                *ip
            })
        })
    }

    fn lookup_tlsa<'a>(&'a self, port: u16, protocol: &'a str, host: &'a str) -> Lookup<'a, Tlsa> {
        Box::pin(async move {
            let name = format!("_{port}._{protocol}.{host}");
            show(
                "TLSA",
                &name,
                self.0.lookup_tlsa(port, protocol, host).await,
                |t| {
                    let hex: String = t.data.iter().map(|b| format!("{b:02x}")).collect();
                    format!("{} {} {} {hex}", t.usage, t.selector, t.matching_type)
                },
            )
        })
    }

    fn lookup_txt<'a>(&'a self, name: &'a str) -> Lookup<'a, Vec<u8>> {
        Box::pin(async move {
            show("TXT", name, self.0.lookup_txt(name).await, |txt| {
                String::from_utf8_lossy(txt).into_owned()
            })
        })
    }
}

/// Prints one lookup and its outcome, and passes the outcome on.
fn show<T, D: Display>(
    kind: &str,
    name: &str,
    result: Result<Answer<T>, LookupError>,
    text: impl Fn(&T) -> D,
) -> Result<Answer<T>, LookupError> {
    match &result {
        Ok(answer) => {
            let records: Vec<String> = answer.records.iter().map(|r| text(r).to_string()).collect();
            let authentic = if answer.authentic {
                "authentic"
            } else {
                "not authentic"
            };
            eprintln!("dns: {kind} {name} -> {} ({authentic})", records.join(", "));
        }
        Err(error) => eprintln!("dns: {kind} {name} -> {error}"),
    }
    result
}
