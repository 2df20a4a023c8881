//! A resolver answering from tables, with exactly the semantics of mox's test `MockResolver`
//! (single-hop CNAME lookups, failures non-authentic), for the ported gathering tests.
//!
//! Keys are names with their trailing dot. A lookup of type `t` at `name`: if `"t name"` is a
//! failure entry, that error (not authentic); else if `name` is an alias, the authenticity
//! overrides for `"cname name"` apply and the lookup ends there for `cname` or follows the
//! alias for the other types; else the overrides for `"t name"` apply and the table of `t`
//! answers, or not-found. Authenticity starts as `all_authentic`; an `inauthentic` entry
//! wins over an `authentic` one. IP lookups use the type `ip` for every family.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::fqdn::Fqdn;
use super::resolver::{Answer, IpFamily, LookupError, Mx, Resolver, Tlsa};

/// Lookup tables; build with the chained setters.
#[derive(Debug, Default, Clone)]
pub struct MockResolver {
    a: BTreeMap<String, Vec<IpAddr>>,
    aaaa: BTreeMap<String, Vec<IpAddr>>,
    mx: BTreeMap<String, Vec<Mx>>,
    tlsa: BTreeMap<String, Vec<Tlsa>>,
    txt: BTreeMap<String, Vec<Vec<u8>>>,
    cname: BTreeMap<String, String>,
    fail: BTreeMap<String, LookupError>,
    all_authentic: bool,
    authentic: Vec<String>,
    inauthentic: Vec<String>,
    /// Every lookup made, as `"type name"`.
    pub queries: Vec<String>,
}

impl MockResolver {
    pub fn all_authentic(mut self, authentic: bool) -> Self {
        self.all_authentic = authentic;
        self
    }

    pub fn a(mut self, name: &str, ip: &str) -> Self {
        let ip = ip.parse().expect("test ip");
        self.a.entry(name.into()).or_default().push(ip);
        self
    }

    pub fn aaaa(mut self, name: &str, ip: &str) -> Self {
        let ip = ip.parse().expect("test ip");
        self.aaaa.entry(name.into()).or_default().push(ip);
        self
    }

    pub fn mx(mut self, name: &str, preference: u16, exchange: &str) -> Self {
        self.mx.entry(name.into()).or_default().push(Mx {
            preference,
            exchange: exchange.into(),
        });
        self
    }

    /// An MX answer without records.
    pub fn empty_mx(mut self, name: &str) -> Self {
        self.mx.insert(name.into(), Vec::new());
        self
    }

    pub fn tlsa(mut self, name: &str, records: Vec<Tlsa>) -> Self {
        self.tlsa.insert(name.into(), records);
        self
    }

    pub fn txt(mut self, name: &str, text: &str) -> Self {
        let records = self.txt.entry(name.into()).or_default();
        records.push(text.as_bytes().to_vec());
        self
    }

    pub fn cname(mut self, name: &str, target: &str) -> Self {
        self.cname.insert(name.into(), target.into());
        self
    }

    /// `"type name"` fails as SERVFAIL does.
    pub fn fail(self, key: &str) -> Self {
        self.fail_with(
            key,
            LookupError::Temporary {
                extended_error: None,
                message: "servfail".into(),
            },
        )
    }

    /// `"type name"` fails with `error`.
    pub fn fail_with(mut self, key: &str, error: LookupError) -> Self {
        self.fail.insert(key.into(), error);
        self
    }

    pub fn authentic(mut self, key: &str) -> Self {
        self.authentic.push(key.into());
        self
    }

    pub fn inauthentic(mut self, key: &str) -> Self {
        self.inauthentic.push(key.into());
        self
    }

    /// The reference's `result(type, name)`: the final name and its authenticity.
    fn walk(&mut self, kind: &str, name: &str) -> Result<(String, bool), LookupError> {
        self.queries.push(format!("{kind} {name}"));
        let mut authentic = self.all_authentic;
        let mut name = name.to_string();
        let update = |authentic: &mut bool, key: &str| {
            if self.authentic.iter().any(|k| k == key) {
                *authentic = true;
            }
            if self.inauthentic.iter().any(|k| k == key) {
                *authentic = false;
            }
        };
        // A bounded walk: the tables' CNAME loops are for the single-hop `cname` lookups.
        for _ in 0..100 {
            if let Some(error) = self.fail.get(&format!("{kind} {name}")) {
                return Err(error.clone());
            }
            let Some(target) = self.cname.get(&name) else {
                update(&mut authentic, &format!("{kind} {name}"));
                return Ok((name, authentic));
            };
            update(&mut authentic, &format!("cname {name}"));
            if kind == "cname" {
                return Ok((name, authentic));
            }
            name = target.clone();
        }
        Err(LookupError::Permanent {
            message: "cname loop in mock".into(),
        })
    }

    fn answer<T: Clone>(
        &mut self,
        kind: &str,
        name: &str,
        table: fn(&Self) -> &BTreeMap<String, Vec<T>>,
    ) -> Result<Answer<Vec<T>>, LookupError> {
        let (name, authentic) = self.walk(kind, name)?;
        match table(self).get(&name) {
            Some(records) => Ok(Answer {
                data: records.clone(),
                authentic,
            }),
            None => Err(LookupError::NotFound { authentic }),
        }
    }
}

impl Resolver for MockResolver {
    fn lookup_cname(&mut self, name: &Fqdn) -> Result<Answer<String>, LookupError> {
        let (name, authentic) = self.walk("cname", name.as_str())?;
        match self.cname.get(&name) {
            Some(target) => Ok(Answer {
                data: target.clone(),
                authentic,
            }),
            None => Err(LookupError::NotFound { authentic }),
        }
    }

    fn lookup_mx(&mut self, name: &Fqdn) -> Result<Answer<Vec<Mx>>, LookupError> {
        self.answer("mx", name.as_str(), |r| &r.mx)
    }

    fn lookup_ip(
        &mut self,
        name: &Fqdn,
        family: IpFamily,
    ) -> Result<Answer<Vec<IpAddr>>, LookupError> {
        let (name, authentic) = self.walk("ip", name.as_str())?;
        let v4 = self.a.get(&name).into_iter().flatten();
        let v6 = self.aaaa.get(&name).into_iter().flatten();
        let data: Vec<IpAddr> = match family {
            IpFamily::Any => v4.chain(v6).copied().collect(),
            IpFamily::V4 => v4.copied().collect(),
            IpFamily::V6 => v6.copied().collect(),
        };
        if data.is_empty() {
            return Err(LookupError::NotFound { authentic });
        }
        Ok(Answer { data, authentic })
    }

    fn lookup_tlsa(
        &mut self,
        port: u16,
        protocol: &str,
        host: &Fqdn,
    ) -> Result<Answer<Vec<Tlsa>>, LookupError> {
        let name = format!("_{port}._{protocol}.{host}");
        self.answer("tlsa", &name, |r| &r.tlsa)
    }

    fn lookup_txt(&mut self, name: &Fqdn) -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
        self.answer("txt", name.as_str(), |r| &r.txt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_txt() {
        let name = Fqdn::parse("alias.example.").expect("fqdn");
        let mut r = MockResolver::default()
            .cname("alias.example.", "txt.example.")
            .txt("txt.example.", "v=STSv1; id=1")
            .authentic("cname alias.example.")
            .authentic("txt txt.example.");
        let answer = r.lookup_txt(&name).expect("txt");
        assert_eq!(answer.data, [b"v=STSv1; id=1".to_vec()]);
        assert!(answer.authentic);
        let mut r = r.inauthentic("txt txt.example.");
        assert!(!r.lookup_txt(&name).expect("txt").authentic);
        assert!(r.lookup_cname(&name).expect("cname").authentic);
        // The override for the alias carries over to the end of the chain.
        assert_eq!(
            r.lookup_mx(&name),
            Err(LookupError::NotFound { authentic: true })
        );
    }
}
