//! [`DnsResolver`]: lookups through one recursive resolver, over UDP and TCP.
//!
//! The resolver validates DNSSEC (or not); this client only reports its AD bit, and only when
//! the path to it can be trusted ([RFC 6698 §4.1]: DANE needs "a secure channel" to a
//! validating resolver): a loopback address, or a resolver the operator configured explicitly.
//! Address lookups consult a [`HostsFile`] first, as the system resolver does.
//!
//! [RFC 6698 §4.1]: https://www.rfc-editor.org/rfc/rfc6698#section-4.1

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::RData;
use smtpclient_dns_stub::{
    self as stub, Answer, DEFAULT_TIMEOUT, HostsFile, IpFamily, LookupError, Mx, Question,
    RecordKind, ResolvConfError, SYSTEM_RESOLV_CONF, Tlsa, convert, fqdn, merge_any,
    nameserver_from_file, tlsa_name,
};

use super::transport::exchange;

/// A stub resolver speaking DNS to one recursive resolver.
///
/// Cheap to clone; lookups on clones run concurrently.
#[derive(Debug, Clone)]
pub struct DnsResolver {
    server: SocketAddr,
    trusted: bool,
    timeout: Duration,
    hosts: Arc<HostsFile>,
}

impl DnsResolver {
    /// A resolver asking `server`. `trusted` says whether its AD bit may be believed: pass
    /// true for a loopback address or a resolver the operator named (`--dns`). Every query
    /// completes within `timeout`. No hosts file is consulted until [`Self::with_hosts`].
    pub fn new(server: SocketAddr, trusted: bool, timeout: Duration) -> Self {
        Self {
            server,
            trusted,
            timeout,
            hosts: Arc::new(HostsFile::empty()),
        }
    }

    /// The system's resolver: the first `nameserver` of `/etc/resolv.conf`, trusted only if it
    /// is a loopback address, with `/etc/hosts` and [`DEFAULT_TIMEOUT`].
    ///
    /// # Errors
    /// [`ResolvConfError`] if `/etc/resolv.conf` cannot be read or names no nameserver.
    pub fn from_system() -> Result<Self, ResolvConfError> {
        let server = nameserver_from_file(SYSTEM_RESOLV_CONF)?;
        Ok(
            Self::new(server, server.ip().is_loopback(), DEFAULT_TIMEOUT)
                .with_hosts(HostsFile::from_system()),
        )
    }

    /// Consults `hosts` before DNS for address lookups (pass [`HostsFile::from_system`] to
    /// behave like the system resolver).
    pub fn with_hosts(mut self, hosts: HostsFile) -> Self {
        self.hosts = Arc::new(hosts);
        self
    }

    /// Replaces the per-query timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The nameserver asked.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Whether the nameserver's AD bit is believed.
    pub fn is_trusted(&self) -> bool {
        self.trusted
    }

    /// The CNAME target of `name` if `name` itself is an alias: one hop, not the whole chain.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] if `name` has no CNAME; see [`LookupError`] for the others.
    pub async fn lookup_cname(&self, name: &str) -> Result<Answer<String>, LookupError> {
        let answer = self.query(&fqdn(name)?, RecordKind::Cname).await?;
        convert(answer, stub::cname)
    }

    /// The MX records of `name`, after any CNAMEs, in answer order.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] for NXDOMAIN or no MX; see [`LookupError`] for the others.
    pub async fn lookup_mx(&self, name: &str) -> Result<Answer<Mx>, LookupError> {
        let answer = self.query(&fqdn(name)?, RecordKind::Mx).await?;
        convert(answer, stub::mx)
    }

    /// The addresses of `name`: from the hosts file if it lists the name with addresses of
    /// `family` (never authentic), else A and/or AAAA records after any CNAMEs. For
    /// [`IpFamily::Any`] both are asked at once; IPv4 addresses come first.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when no address of `family` exists (for `Any`: neither A nor
    /// AAAA); see [`LookupError`] for the others.
    pub async fn lookup_ip(
        &self,
        name: &str,
        family: IpFamily,
    ) -> Result<Answer<IpAddr>, LookupError> {
        let name = fqdn(name)?;
        let static_addresses = self.hosts.lookup(&name, family);
        if !static_addresses.is_empty() {
            return Ok(Answer {
                records: static_addresses,
                authentic: false,
            });
        }
        match family {
            IpFamily::V4 => self.addresses(&name, RecordKind::A).await,
            IpFamily::V6 => self.addresses(&name, RecordKind::Aaaa).await,
            IpFamily::Any => {
                let (v4, v6) = tokio::join!(
                    self.addresses(&name, RecordKind::A),
                    self.addresses(&name, RecordKind::Aaaa)
                );
                merge_any(v4, v6)
            }
        }
    }

    /// The TLSA records at `_<port>._<protocol>.<host>`, after any CNAMEs.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; see [`LookupError`] for the others.
    pub async fn lookup_tlsa(
        &self,
        port: u16,
        protocol: &str,
        host: &str,
    ) -> Result<Answer<Tlsa>, LookupError> {
        let answer = self
            .query(&tlsa_name(port, protocol, host)?, RecordKind::Tlsa)
            .await?;
        convert(answer, stub::tlsa)
    }

    /// The TXT records of `name`, after any CNAMEs; each record's character-strings are
    /// concatenated.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; see [`LookupError`] for the others.
    pub async fn lookup_txt(&self, name: &str) -> Result<Answer<Vec<u8>>, LookupError> {
        let answer = self.query(&fqdn(name)?, RecordKind::Txt).await?;
        convert(answer, stub::txt)
    }

    /// A or AAAA records of `name`.
    async fn addresses(&self, name: &str, kind: RecordKind) -> Result<Answer<IpAddr>, LookupError> {
        let answer = self.query(name, kind).await?;
        convert(answer, stub::ip)
    }

    /// One query for `name` (a normalised FQDN) and its interpretation.
    async fn query(&self, name: &str, kind: RecordKind) -> Result<Answer<RData>, LookupError> {
        let question = Question::new(name, kind)?;
        let message = exchange(self.server, &question, self.timeout).await?;
        question.records(&message, self.trusted, self.server)
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use hickory_proto::op::{Message, ResponseCode};
    use hickory_proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
    use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, TLSA, TXT};
    use hickory_proto::rr::{RData, RecordType};

    use super::*;
    use crate::dns::test_server::{TestServer, Transport, bytes, name, record, response, with_ede};

    const TIMEOUT: Duration = Duration::from_secs(2);

    fn mx_record(owner: &str, preference: u16, exchange: &str) -> hickory_proto::rr::Record {
        record(owner, RData::MX(MX::new(preference, name(exchange))))
    }

    /// A server that answers every query with `rcode`, `authentic` and `answers`.
    async fn answering(
        rcode: ResponseCode,
        authentic: bool,
        answers: Vec<hickory_proto::rr::Record>,
    ) -> TestServer {
        TestServer::start(move |query, _| {
            vec![bytes(&response(query, rcode, authentic, answers.clone()))]
        })
        .await
    }

    #[tokio::test]
    async fn mx_authentic_from_trusted_resolver() {
        let seen: Arc<Mutex<Vec<Message>>> = Arc::default();
        let server = {
            let seen = seen.clone();
            TestServer::start(move |query, _| {
                seen.lock().unwrap().push(query.clone());
                let answers = vec![mx_record("example.test.", 10, "MX.Example.Test.")];
                vec![bytes(&response(
                    query,
                    ResponseCode::NoError,
                    true,
                    answers,
                ))]
            })
            .await
        };
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let answer = resolver.lookup_mx("Example.TEST").await.unwrap();
        assert_eq!(
            answer,
            Answer {
                records: vec![Mx {
                    preference: 10,
                    exchange: "mx.example.test.".into()
                }],
                authentic: true
            }
        );
        // The query: RD, AD (RFC 6840 §5.7), EDNS with DO and a 1232-byte payload.
        let seen = seen.lock().unwrap();
        let query = &seen[0];
        assert!(query.metadata.recursion_desired);
        assert!(query.metadata.authentic_data);
        let edns = query.edns.as_ref().unwrap();
        assert!(edns.flags().dnssec_ok);
        assert_eq!(edns.max_payload(), 1232);
        assert_eq!(query.queries[0].name(), &name("example.test."));
        assert_eq!(query.queries[0].query_type(), RecordType::MX);
    }

    #[tokio::test]
    async fn untrusted_resolver_is_never_authentic() {
        let answers = vec![mx_record("example.test.", 10, "mx.example.test.")];
        let server = answering(ResponseCode::NoError, true, answers).await;
        let resolver = DnsResolver::new(server.addr, false, TIMEOUT);
        assert!(!resolver.lookup_mx("example.test.").await.unwrap().authentic);
        let server = answering(ResponseCode::NXDomain, true, vec![]).await;
        let resolver = DnsResolver::new(server.addr, false, TIMEOUT);
        assert_eq!(
            resolver.lookup_mx("example.test.").await,
            Err(LookupError::NotFound { authentic: false })
        );
    }

    #[tokio::test]
    async fn nxdomain_and_nodata_are_not_found() {
        let server = answering(ResponseCode::NXDomain, true, vec![]).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        assert_eq!(
            resolver.lookup_mx("none.example.test").await,
            Err(LookupError::NotFound { authentic: true })
        );
        // NODATA: NOERROR with only records of another type.
        let a = record("example.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 1))));
        let server = answering(ResponseCode::NoError, false, vec![a]).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        assert_eq!(
            resolver.lookup_txt("example.test").await,
            Err(LookupError::NotFound { authentic: false })
        );
        assert_eq!(
            resolver.lookup_cname("example.test").await,
            Err(LookupError::NotFound { authentic: false })
        );
    }

    #[tokio::test]
    async fn servfail_carries_extended_error() {
        let server = TestServer::start(|query, _| {
            let message = response(query, ResponseCode::ServFail, false, vec![]);
            vec![bytes(&with_ede(message, 6, "signature expired\n"))]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let Err(LookupError::Temporary {
            extended_error,
            message,
        }) = resolver.lookup_tlsa(25, "tcp", "mx.example.test").await
        else {
            panic!("want temporary");
        };
        assert_eq!(extended_error, Some(6));
        assert!(
            message.contains("extended error 6: signature expired"),
            "{message}"
        );
        // Without EDE.
        let server = answering(ResponseCode::ServFail, false, vec![]).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        assert!(matches!(
            resolver.lookup_mx("example.test").await,
            Err(LookupError::Temporary {
                extended_error: None,
                ..
            })
        ));
    }

    #[tokio::test]
    async fn refused_formerr_notimp_are_permanent() {
        for rcode in [
            ResponseCode::Refused,
            ResponseCode::FormErr,
            ResponseCode::NotImp,
        ] {
            let server = answering(rcode, false, vec![]).await;
            let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
            assert!(
                matches!(
                    resolver.lookup_mx("example.test").await,
                    Err(LookupError::Permanent { .. })
                ),
                "{rcode:?}"
            );
        }
    }

    #[tokio::test]
    async fn truncated_udp_answer_is_retried_over_tcp() {
        let server = TestServer::start(|query, transport| {
            let mut message = response(query, ResponseCode::NoError, true, vec![]);
            match transport {
                Transport::Udp => message.metadata.truncation = true,
                Transport::Tcp => {
                    let txt = TXT::from_bytes(vec![b"v=spf1 ", b"ip4:192.0.2.0/24 ", b"-all"]);
                    message.add_answer(record("example.test.", RData::TXT(txt)));
                }
            }
            vec![bytes(&message)]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let answer = resolver.lookup_txt("example.test").await.unwrap();
        assert_eq!(
            answer.records,
            vec![b"v=spf1 ip4:192.0.2.0/24 -all".to_vec()]
        );
        assert!(answer.authentic);
        assert_eq!(server.queries(), 2);
    }

    #[tokio::test]
    async fn mismatched_tcp_answer_is_permanent() {
        let server = TestServer::start(|query, transport| {
            let mut message = response(query, ResponseCode::NoError, true, vec![]);
            match transport {
                Transport::Udp => message.metadata.truncation = true,
                Transport::Tcp => message.metadata.id = query.metadata.id.wrapping_add(1),
            }
            vec![bytes(&message)]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        assert!(matches!(
            resolver.lookup_txt("example.test").await,
            Err(LookupError::Permanent { .. })
        ));
    }

    #[tokio::test]
    async fn silent_server_times_out_after_one_retry() {
        let server = TestServer::start(|_, _| Vec::new()).await;
        let timeout = Duration::from_millis(400);
        let resolver = DnsResolver::new(server.addr, true, timeout);
        let start = Instant::now();
        let result = resolver.lookup_mx("example.test").await;
        let elapsed = start.elapsed();
        let Err(LookupError::Temporary { message, .. }) = result else {
            panic!("want temporary, got {result:?}");
        };
        assert!(message.starts_with("timeout"), "{message}");
        assert!(elapsed >= timeout && elapsed < timeout * 2, "{elapsed:?}");
        assert_eq!(server.queries(), 2, "one retry");
    }

    #[tokio::test]
    async fn mismatched_datagrams_are_ignored() {
        let server = TestServer::start(|query, _| {
            let forged = vec![mx_record("example.test.", 1, "evil.example.")];
            let mut wrong_id = response(query, ResponseCode::NoError, true, forged.clone());
            wrong_id.metadata.id = query.metadata.id.wrapping_add(1);
            let mut other_question = Message::query();
            other_question.add_query(hickory_proto::op::Query::query(
                name("other.test."),
                RecordType::MX,
            ));
            let mut other_question = response(&other_question, ResponseCode::NoError, true, forged);
            other_question.metadata.id = query.metadata.id;
            let genuine = vec![mx_record("example.test.", 10, "mx.example.test.")];
            vec![
                bytes(&wrong_id),
                bytes(&other_question),
                vec![0xde, 0xad],
                bytes(&response(query, ResponseCode::NoError, true, genuine)),
            ]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let answer = resolver.lookup_mx("example.test").await.unwrap();
        assert_eq!(answer.records[0].exchange, "mx.example.test.");
    }

    #[tokio::test]
    async fn cname_chain_in_answer_is_followed() {
        let server = TestServer::start(|query, _| {
            let mut answers = vec![
                record("alias.test.", RData::CNAME(CNAME(name("alias2.test.")))),
                record("alias2.test.", RData::CNAME(CNAME(name("real.test.")))),
                mx_record("unrelated.test.", 5, "wrong.test."),
            ];
            answers.push(match query.queries[0].query_type() {
                RecordType::A => record("real.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 9)))),
                RecordType::AAAA => {
                    let ip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9);
                    record("real.test.", RData::AAAA(AAAA(ip)))
                }
                RecordType::CNAME => {
                    return vec![bytes(&response(
                        query,
                        ResponseCode::NoError,
                        true,
                        vec![record(
                            "alias.test.",
                            RData::CNAME(CNAME(name("alias2.test."))),
                        )],
                    ))];
                }
                _ => mx_record("real.test.", 10, "mx.real.test."),
            });
            vec![bytes(&response(
                query,
                ResponseCode::NoError,
                true,
                answers,
            ))]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let mx = resolver.lookup_mx("alias.test").await.unwrap();
        assert_eq!(mx.records.len(), 1);
        assert_eq!(mx.records[0].exchange, "mx.real.test.");
        let ips = resolver
            .lookup_ip("alias.test", IpFamily::Any)
            .await
            .unwrap();
        assert_eq!(
            ips.records,
            vec![
                IpAddr::from([192, 0, 2, 9]),
                "2001:db8::9".parse::<IpAddr>().unwrap()
            ]
        );
        assert!(ips.authentic);
        let cname = resolver.lookup_cname("alias.test").await.unwrap();
        assert_eq!(cname.records, vec!["alias2.test.".to_string()]);
    }

    #[tokio::test]
    async fn cname_loop_in_answer_is_permanent() {
        let answers = vec![
            record("a.test.", RData::CNAME(CNAME(name("b.test.")))),
            record("b.test.", RData::CNAME(CNAME(name("a.test.")))),
        ];
        let server = answering(ResponseCode::NoError, true, answers).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        assert!(matches!(
            resolver.lookup_mx("a.test").await,
            Err(LookupError::Permanent { .. })
        ));
    }

    #[tokio::test]
    async fn tlsa_records_are_decoded() {
        let server = TestServer::start(|query, _| {
            assert_eq!(query.queries[0].name(), &name("_25._tcp.mx.example.test."));
            let tlsa = TLSA::new(
                CertUsage::from(3),
                Selector::from(1),
                Matching::from(1),
                vec![0xab; 32],
            );
            let answers = vec![record("_25._tcp.mx.example.test.", RData::TLSA(tlsa))];
            vec![bytes(&response(
                query,
                ResponseCode::NoError,
                true,
                answers,
            ))]
        })
        .await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let answer = resolver
            .lookup_tlsa(25, "tcp", "mx.example.test.")
            .await
            .unwrap();
        assert_eq!(
            answer.records,
            vec![Tlsa {
                usage: 3,
                selector: 1,
                matching_type: 1,
                data: vec![0xab; 32]
            }]
        );
        assert!(answer.authentic);
    }

    #[tokio::test]
    async fn null_mx_exchange_is_root() {
        let answers = vec![mx_record("example.test.", 0, ".")];
        let server = answering(ResponseCode::NoError, true, answers).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        let answer = resolver.lookup_mx("example.test").await.unwrap();
        assert_eq!(answer.records[0].exchange, ".");
    }

    #[tokio::test]
    async fn hosts_file_answers_first_and_is_not_authentic() {
        let server = TestServer::start(|query, _| {
            let a = record("static.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 99))));
            let answers = match query.queries[0].query_type() {
                RecordType::A => vec![a],
                _ => vec![],
            };
            vec![bytes(&response(
                query,
                ResponseCode::NoError,
                true,
                answers,
            ))]
        })
        .await;
        let hosts = HostsFile::parse("192.0.2.7 static.test\n");
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT).with_hosts(hosts);
        let answer = resolver
            .lookup_ip("Static.Test.", IpFamily::Any)
            .await
            .unwrap();
        assert_eq!(answer.records, vec![IpAddr::from([192, 0, 2, 7])]);
        assert!(!answer.authentic);
        assert_eq!(server.queries(), 0);
        // No IPv6 address in the hosts file: DNS is asked.
        assert_eq!(
            resolver.lookup_ip("static.test", IpFamily::V6).await,
            Err(LookupError::NotFound { authentic: true })
        );
        assert_eq!(server.queries(), 1);
        // Other lookups never use the hosts file.
        assert!(resolver.lookup_mx("static.test").await.is_err());
        assert_eq!(server.queries(), 2);
    }

    #[tokio::test]
    async fn bad_names_fail_before_any_query() {
        let server = answering(ResponseCode::NoError, true, vec![]).await;
        let resolver = DnsResolver::new(server.addr, true, TIMEOUT);
        for bad in ["", "a..b", "spa ce.test", "ümlaut.test"] {
            assert!(matches!(
                resolver.lookup_mx(bad).await,
                Err(LookupError::Permanent { .. })
            ));
        }
        assert_eq!(server.queries(), 0);
    }

    #[tokio::test]
    async fn unreachable_server_is_temporary() {
        // A port with nothing listening: ICMP port unreachable or a timeout.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        drop(socket);
        let resolver = DnsResolver::new(addr, true, Duration::from_millis(300));
        assert!(matches!(
            resolver.lookup_mx("example.test").await,
            Err(LookupError::Temporary { .. })
        ));
    }
}
