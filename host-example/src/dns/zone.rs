//! [`ZoneResolver`]: answers from a zone file instead of DNS, for tests and the demo.
//!
//! # The zone file
//! The text is an RFC 1035 §5 master file, so other tools (a real authoritative server, a
//! signer) can load the same file:
//! - `$ORIGIN <name>` sets the origin that relative names (no final dot) and `@` refer to;
//!   `$TTL` is accepted; TTLs and the class `IN` may precede the type, in either order.
//! - A line that begins with a blank has the owner of the previous record.
//! - `( … )` continue a record over several lines; `;` starts a comment.
//! - Types answered: `A`, `AAAA`, `CNAME`, `MX` (`.` as exchange is a null MX, RFC 7505),
//!   `TXT` (quoted or bare character-strings, `\"` and `\DDD` escapes, at most 255 bytes
//!   each; a record's strings are concatenated in answers), `TLSA` (`usage selector matching`
//!   then hex data, which may be split by blanks or over lines).
//! - Accepted and ignored: `SOA`, `NS`, `DS`, `DNSKEY`, `RRSIG`, `NSEC`, `NSEC3`,
//!   `NSEC3PARAM`, `CDS`, `CDNSKEY`, `PTR`, `SRV`, `CAA`, `SSHFP`. Other types, other classes,
//!   `$INCLUDE`, wildcards and escapes in names are errors, as is a `CNAME` next to other data
//!   at one name (RFC 2181 §10.1). Errors name the line.
//!
//! # Directives
//! Comments whose first word starts with `@` are directives for this resolver (an unknown
//! `@word` is an error; a lone `@` is not a directive). Names are relative to the `$ORIGIN`
//! in force, like record names. `<type>` is one of `a`, `aaaa`, `ip` (both), `cname`, `mx`,
//! `tlsa`, `txt`.
//! - `; @insecure <name>`: answers at or below `<name>` are not authentic (as from an
//!   unsigned zone). Everything else is authentic (as from a signed zone).
//! - `; @servfail <type> <name>` and `; @servfail <type> <name> ede=<code>`: lookups of that
//!   type at that name fail with [`LookupError::Temporary`], with the RFC 8914 extended error
//!   code if given (`ede=6` is "DNSSEC Bogus").
//! - `; @refused <type> <name>`: [`LookupError::Permanent`], as for REFUSED.
//! - `; @timeout <type> <name>`: [`LookupError::Temporary`] with the message "timeout …".
//!
//! # Lookups
//! As mox's test MockResolver: a lookup starts at the asked name; a directive for the type at
//! the current name applies first; if the name is an alias, `lookup_cname` returns its target
//! (one hop) and the other lookups follow it (at most 16 hops, then a permanent error);
//! otherwise the records of the type are the answer, or [`LookupError::NotFound`]. An answer
//! or a not-found is authentic unless a name on the way is `@insecure`.
//!
//! # Example
//! ```text
//! $ORIGIN example.test.
//! $TTL 300
//! @             IN MX   10 mx1
//!               IN MX   20 mx2.example.test.
//!               IN TXT  "v=spf1 " "-all"
//! mx1           IN A    192.0.2.10
//!                  AAAA 2001:db8::10
//! _25._tcp.mx1  IN TLSA 3 1 1 ( 8d02536c887482bc34ff54e41d2ba659
//!                               bf85b341a0a20afadb5813dcfbcf286d )
//! mx2           IN CNAME mx1
//! null          IN MX   0 .
//! legacy        IN MX   10 mx1
//! ; @insecure legacy
//! ; @servfail mx broken
//! ; @servfail tlsa _25._tcp.mx1 ede=6
//! ; @timeout ip slow
//! ```

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use smtpclient_dns_stub::{
    Answer, IpFamily, LookupError, Mx, RecordKind, Tlsa, fqdn, is_at_or_below, merge_any, tlsa_name,
};

use super::zone_file::{self, Failure, Node, Zone, ZoneError};

/// Longest CNAME chain followed; the same limit as for real DNS answers.
const MAX_CNAME_HOPS: usize = 16;

/// A resolver answering from a parsed zone file. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ZoneResolver {
    zone: Arc<Zone>,
}

impl ZoneResolver {
    /// Parses zone text (see the [module docs](self) for the format).
    ///
    /// # Errors
    /// [`ZoneError::Syntax`] with the line of the first bad entry.
    pub fn parse(text: &str) -> Result<Self, ZoneError> {
        Ok(Self {
            zone: Arc::new(zone_file::parse(text)?),
        })
    }

    /// Reads and parses a zone file.
    ///
    /// # Errors
    /// [`ZoneError::Io`] if the file cannot be read, [`ZoneError::Syntax`] if it does not parse.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ZoneError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ZoneError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The CNAME target of `name` if `name` itself is an alias: one hop.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] if `name` is not an alias; directive failures.
    pub fn lookup_cname(&self, name: &str) -> Result<Answer<String>, LookupError> {
        self.records(name, RecordKind::Cname, |node| {
            node.cname.iter().cloned().collect()
        })
    }

    /// The MX records of `name`, after CNAMEs, in file order.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; directive failures.
    pub fn lookup_mx(&self, name: &str) -> Result<Answer<Mx>, LookupError> {
        self.records(name, RecordKind::Mx, |node| node.mx.clone())
    }

    /// The addresses of `name`, after CNAMEs; for [`IpFamily::Any`] A then AAAA.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; directive failures.
    pub fn lookup_ip(&self, name: &str, family: IpFamily) -> Result<Answer<IpAddr>, LookupError> {
        let v4 = || self.records(name, RecordKind::A, |node| addresses(node, IpAddr::is_ipv4));
        let v6 = || {
            self.records(name, RecordKind::Aaaa, |node| {
                addresses(node, IpAddr::is_ipv6)
            })
        };
        match family {
            IpFamily::V4 => v4(),
            IpFamily::V6 => v6(),
            IpFamily::Any => merge_any(v4(), v6()),
        }
    }

    /// The TLSA records at `_<port>._<protocol>.<host>`, after CNAMEs.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; directive failures.
    pub fn lookup_tlsa(
        &self,
        port: u16,
        protocol: &str,
        host: &str,
    ) -> Result<Answer<Tlsa>, LookupError> {
        self.records(
            &tlsa_name(port, protocol, host)?,
            RecordKind::Tlsa,
            |node| node.tlsa.clone(),
        )
    }

    /// The TXT records of `name`, after CNAMEs, each as its strings concatenated.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; directive failures.
    pub fn lookup_txt(&self, name: &str) -> Result<Answer<Vec<u8>>, LookupError> {
        self.records(name, RecordKind::Txt, |node| node.txt.clone())
    }

    /// The records `pick` chooses at the end of the walk from `name`.
    fn records<T>(
        &self,
        name: &str,
        kind: RecordKind,
        pick: impl Fn(&Node) -> Vec<T>,
    ) -> Result<Answer<T>, LookupError> {
        let (node, authentic) = self.walk(&fqdn(name)?, kind)?;
        let records = node.map(pick).unwrap_or_default();
        if records.is_empty() {
            return Err(LookupError::NotFound { authentic });
        }
        Ok(Answer { records, authentic })
    }

    /// The MockResolver procedure: from `name`, apply the directive for `kind` at each name,
    /// follow aliases unless `kind` is CNAME itself, and return the final node and whether
    /// every name on the way is authentic.
    fn walk(&self, name: &str, kind: RecordKind) -> Result<(Option<&Node>, bool), LookupError> {
        let mut name = name.to_string();
        let mut authentic = true;
        for _ in 0..=MAX_CNAME_HOPS {
            if let Some(failure) = self.zone.failures.get(&(kind, name.clone())) {
                return Err(failure_error(*failure, &name, kind));
            }
            authentic &= !self
                .zone
                .insecure
                .iter()
                .any(|zone| is_at_or_below(&name, zone));
            let node = self.zone.nodes.get(&name);
            match node.and_then(|node| node.cname.as_ref()) {
                Some(target) if kind != RecordKind::Cname => name = target.clone(),
                _ => return Ok((node, authentic)),
            }
        }
        Err(LookupError::permanent(format!(
            "cname chain from {name} longer than {MAX_CNAME_HOPS} hops"
        )))
    }
}

/// The error a directive injects.
fn failure_error(failure: Failure, name: &str, kind: RecordKind) -> LookupError {
    match failure {
        Failure::Servfail { extended_error } => LookupError::Temporary {
            extended_error,
            message: format!("server failure for {name} {kind} (zone directive)"),
        },
        Failure::Refused => {
            LookupError::permanent(format!("query refused for {name} {kind} (zone directive)"))
        }
        Failure::Timeout => {
            LookupError::temporary(format!("timeout for {name} {kind} (zone directive)"))
        }
    }
}

/// The addresses of a node of one family.
fn addresses(node: &Node, family: fn(&IpAddr) -> bool) -> Vec<IpAddr> {
    node.addresses.iter().copied().filter(family).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = "\
$ORIGIN example.test.
$TTL 300
@             IN MX   10 mx1
              IN MX   20 mx2.example.test.
              IN TXT  \"v=spf1 \" \"-all\"
mx1           IN A    192.0.2.10
                 AAAA 2001:db8::10
_25._tcp.mx1  IN TLSA 3 1 1 ( 8d02536c887482bc34ff54e41d2ba659
                              bf85b341a0a20afadb5813dcfbcf286d )
mx2           IN CNAME mx1
v6only        AAAA 2001:db8::6
null          IN MX   0 .
legacy        IN MX   10 mx1
alias-legacy  CNAME legacy.example.test.
legacy-alias  CNAME legacy2
legacy2       MX 10 mx1
loop1         CNAME loop2
loop2         CNAME loop1
broken-alias  CNAME broken
; @insecure legacy
; @insecure legacy-alias
; @servfail mx broken
; @servfail tlsa _25._tcp.mx1 ede=6
; @timeout ip slow
; @refused txt refused
; @servfail a half
half          A 192.0.2.50
              AAAA 2001:db8::50
";

    fn zone() -> ZoneResolver {
        ZoneResolver::parse(ZONE).unwrap()
    }

    fn mx(preference: u16, exchange: &str) -> Mx {
        Mx {
            preference,
            exchange: exchange.into(),
        }
    }

    #[test]
    fn mx_in_file_order_and_null_mx() {
        let zone = zone();
        assert_eq!(
            zone.lookup_mx("Example.Test").unwrap(),
            Answer {
                records: vec![mx(10, "mx1.example.test."), mx(20, "mx2.example.test.")],
                authentic: true
            }
        );
        assert_eq!(
            zone.lookup_mx("null.example.test.").unwrap().records,
            vec![mx(0, ".")]
        );
    }

    #[test]
    fn addresses_by_family() {
        let zone = zone();
        let ips = |name: &str, family| {
            zone.lookup_ip(name, family).map(|answer| {
                (
                    answer
                        .records
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>(),
                    answer.authentic,
                )
            })
        };
        let both = vec!["192.0.2.10".to_string(), "2001:db8::10".into()];
        assert_eq!(
            ips("mx1.example.test", IpFamily::Any),
            Ok((both.clone(), true))
        );
        assert_eq!(
            ips("mx1.example.test", IpFamily::V4),
            Ok((vec!["192.0.2.10".into()], true))
        );
        // Through the alias.
        assert_eq!(ips("mx2.example.test", IpFamily::Any), Ok((both, true)));
        assert_eq!(
            ips("v6only.example.test", IpFamily::Any),
            Ok((vec!["2001:db8::6".into()], true))
        );
        assert_eq!(
            ips("v6only.example.test", IpFamily::V4),
            Err(LookupError::NotFound { authentic: true })
        );
        assert_eq!(
            ips("nowhere.example.test", IpFamily::Any),
            Err(LookupError::NotFound { authentic: true })
        );
        // `@servfail a half`: the AAAA half still answers, not authentic.
        assert_eq!(
            ips("half.example.test", IpFamily::Any),
            Ok((vec!["2001:db8::50".into()], false))
        );
    }

    #[test]
    fn cname_is_one_hop() {
        let zone = zone();
        assert_eq!(
            zone.lookup_cname("mx2.example.test").unwrap(),
            Answer {
                records: vec!["mx1.example.test.".into()],
                authentic: true
            }
        );
        assert_eq!(
            zone.lookup_cname("loop1.example.test").unwrap().records,
            vec!["loop2.example.test.".to_string()]
        );
        assert_eq!(
            zone.lookup_cname("mx1.example.test"),
            Err(LookupError::NotFound { authentic: true })
        );
    }

    #[test]
    fn cname_loops_are_capped() {
        assert!(matches!(
            zone().lookup_mx("loop1.example.test"),
            Err(LookupError::Permanent { .. })
        ));
    }

    #[test]
    fn tlsa_and_txt() {
        let zone = zone();
        // The directive fails the TLSA lookup of mx1; check the records through the parser.
        assert_eq!(
            zone.lookup_tlsa(25, "tcp", "mx1.example.test"),
            Err(LookupError::Temporary {
                extended_error: Some(6),
                message: "server failure for _25._tcp.mx1.example.test. tlsa (zone directive)"
                    .into()
            })
        );
        let tlsa =
            ZoneResolver::parse("_25._tcp.mx.example. TLSA 3 1 1 ( 8d02 536c\n 8874 )\n").unwrap();
        assert_eq!(
            tlsa.lookup_tlsa(25, "tcp", "mx.example.").unwrap(),
            Answer {
                records: vec![Tlsa {
                    usage: 3,
                    selector: 1,
                    matching_type: 1,
                    data: vec![0x8d, 0x02, 0x53, 0x6c, 0x88, 0x74]
                }],
                authentic: true
            }
        );
        assert_eq!(
            zone.lookup_tlsa(25, "tcp", "mx2.example.test"),
            Err(LookupError::NotFound { authentic: true })
        );
        assert_eq!(
            zone.lookup_txt("example.test").unwrap().records,
            vec![b"v=spf1 -all".to_vec()]
        );
    }

    #[test]
    fn insecure_names_and_aliases() {
        let zone = zone();
        assert!(!zone.lookup_mx("legacy.example.test").unwrap().authentic);
        // Below an insecure name.
        assert_eq!(
            zone.lookup_mx("sub.legacy.example.test"),
            Err(LookupError::NotFound { authentic: false })
        );
        // A secure alias to an insecure target, and an insecure alias to a secure target.
        assert!(
            !zone
                .lookup_mx("alias-legacy.example.test")
                .unwrap()
                .authentic
        );
        assert!(
            !zone
                .lookup_mx("legacy-alias.example.test")
                .unwrap()
                .authentic
        );
        assert!(
            !zone
                .lookup_cname("legacy-alias.example.test")
                .unwrap()
                .authentic
        );
        assert!(zone.lookup_mx("legacy2.example.test").unwrap().authentic);
    }

    #[test]
    fn failure_directives() {
        let zone = zone();
        assert_eq!(
            zone.lookup_mx("broken.example.test"),
            Err(LookupError::Temporary {
                extended_error: None,
                message: "server failure for broken.example.test. mx (zone directive)".into()
            })
        );
        // The directive applies at the alias target too.
        assert!(matches!(
            zone.lookup_mx("broken-alias.example.test"),
            Err(LookupError::Temporary { .. })
        ));
        // Only for its type.
        assert_eq!(
            zone.lookup_txt("broken.example.test"),
            Err(LookupError::NotFound { authentic: true })
        );
        let Err(LookupError::Temporary { message, .. }) =
            zone.lookup_ip("slow.example.test", IpFamily::Any)
        else {
            panic!("want a timeout");
        };
        assert!(message.starts_with("timeout"), "{message}");
        assert!(matches!(
            zone.lookup_txt("refused.example.test"),
            Err(LookupError::Permanent { .. })
        ));
    }

    #[test]
    fn bad_names_and_files() {
        assert!(matches!(
            zone().lookup_mx("bad name"),
            Err(LookupError::Permanent { .. })
        ));
        assert!(matches!(
            ZoneResolver::from_file("/nonexistent/zone"),
            Err(ZoneError::Io { .. })
        ));
    }

    #[test]
    fn from_file_reads_the_file() {
        let path = std::env::temp_dir().join(format!("dns-zone-test-{}.zone", std::process::id()));
        std::fs::write(&path, ZONE).unwrap();
        let zone = ZoneResolver::from_file(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(zone.lookup_mx("example.test").unwrap().records.len(), 2);
    }
}
