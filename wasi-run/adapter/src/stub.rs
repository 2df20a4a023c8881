//! The `resolver` export's lookups: a DNS stub asking one nameserver through an
//! [`Exchange`] (UDP and TCP over `wasi:sockets` in the component), with the messages,
//! names and answer rules of `smtpclient-dns-stub`. Address lookups consult a hosts file
//! first (never authentic), as the system resolver and `host-example` do.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::RData;
use smtpclient_dns_stub::{
    self as stub, Answer, HostsFile, IpFamily, LookupError, Mx, Question, RecordKind, Tlsa,
    convert, fqdn, merge_any, tlsa_name,
};

use crate::settings::Nameserver;

/// Sends one question to a nameserver and returns its answer.
pub trait Exchange {
    /// The answer of `server` to `question`, within `timeout`.
    ///
    /// # Errors
    /// [`LookupError::Temporary`] for a timeout or a network error,
    /// [`LookupError::Permanent`] for an answer that does not match the question.
    fn exchange(
        &self,
        server: SocketAddr,
        question: &Question,
        timeout: Duration,
    ) -> Result<Message, LookupError>;
}

/// A stub resolver: one nameserver, trusted or not, and a hosts file.
#[derive(Debug)]
pub struct Stub<E> {
    pub nameserver: Nameserver,
    pub timeout: Duration,
    pub hosts: HostsFile,
    pub exchange: E,
}

impl<E: Exchange> Stub<E> {
    /// The CNAME target of `name` itself: one hop.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] if `name` is not an alias; see [`LookupError`].
    pub fn lookup_cname(&self, name: &str) -> Result<Answer<String>, LookupError> {
        convert(self.query(&fqdn(name)?, RecordKind::Cname)?, stub::cname)
    }

    /// The MX records of `name`, after any CNAMEs, in answer order.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] for NXDOMAIN or no MX; see [`LookupError`].
    pub fn lookup_mx(&self, name: &str) -> Result<Answer<Mx>, LookupError> {
        convert(self.query(&fqdn(name)?, RecordKind::Mx)?, stub::mx)
    }

    /// The addresses of `name` of `family`: from the hosts file when it lists some, else
    /// A and/or AAAA records (for [`IpFamily::Any`] both, IPv4 first).
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there is no address of `family`; see [`LookupError`].
    pub fn lookup_ip(&self, name: &str, family: IpFamily) -> Result<Answer<IpAddr>, LookupError> {
        let name = fqdn(name)?;
        let listed = self.hosts.lookup(&name, family);
        if !listed.is_empty() {
            return Ok(Answer {
                records: listed,
                authentic: false,
            });
        }
        let addresses = |kind| convert(self.query(&name, kind)?, stub::ip);
        match family {
            IpFamily::V4 => addresses(RecordKind::A),
            IpFamily::V6 => addresses(RecordKind::Aaaa),
            IpFamily::Any => merge_any(addresses(RecordKind::A), addresses(RecordKind::Aaaa)),
        }
    }

    /// The TLSA records at `_<port>._<protocol>.<host>`, after any CNAMEs.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; see [`LookupError`].
    pub fn lookup_tlsa(
        &self,
        port: u16,
        protocol: &str,
        host: &str,
    ) -> Result<Answer<Tlsa>, LookupError> {
        let name = tlsa_name(port, protocol, host)?;
        convert(self.query(&name, RecordKind::Tlsa)?, stub::tlsa)
    }

    /// The TXT records of `name`, after any CNAMEs, each one's strings concatenated.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] when there are none; see [`LookupError`].
    pub fn lookup_txt(&self, name: &str) -> Result<Answer<Vec<u8>>, LookupError> {
        convert(self.query(&fqdn(name)?, RecordKind::Txt)?, stub::txt)
    }

    /// One question about `name` (a normalised FQDN) and its interpretation.
    fn query(&self, name: &str, kind: RecordKind) -> Result<Answer<RData>, LookupError> {
        let question = Question::new(name, kind)?;
        let server = self.nameserver.address;
        let message = self.exchange.exchange(server, &question, self.timeout)?;
        question.records(&message, self.nameserver.trusted, server)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::net::Ipv4Addr;

    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::RecordType;
    use hickory_proto::rr::rdata::{A, AAAA, MX};
    use smtpclient_dns_stub::testing::{bytes, name, record, response};

    use super::*;

    /// Answers every question with `script`, through the wire format, and counts them.
    struct Scripted<F> {
        script: F,
        asked: RefCell<Vec<RecordType>>,
    }

    impl<F: Fn(&Message) -> Option<Message>> Exchange for Scripted<F> {
        fn exchange(
            &self,
            _server: SocketAddr,
            question: &Question,
            _timeout: Duration,
        ) -> Result<Message, LookupError> {
            let query = Message::from_vec(&question.bytes).unwrap();
            self.asked.borrow_mut().push(query.queries[0].query_type());
            let answer = (self.script)(&query)
                .ok_or_else(|| LookupError::temporary("timeout (scripted)"))?;
            Ok(question.answer_of(&bytes(&answer)).unwrap())
        }
    }

    fn resolver<F: Fn(&Message) -> Option<Message>>(
        trusted: bool,
        hosts: &str,
        script: F,
    ) -> Stub<Scripted<F>> {
        Stub {
            nameserver: Nameserver {
                address: "127.0.0.1:53".parse().unwrap(),
                trusted,
            },
            timeout: Duration::from_secs(1),
            hosts: HostsFile::parse(hosts),
            exchange: Scripted {
                script,
                asked: RefCell::default(),
            },
        }
    }

    /// A: 192.0.2.1 (authentic); AAAA: SERVFAIL; MX: 10 mx.example.test. (authentic).
    fn zone(query: &Message) -> Option<Message> {
        let owner = "example.test.";
        let (rcode, answers) = match query.queries[0].query_type() {
            RecordType::A => (
                ResponseCode::NoError,
                vec![record(owner, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))))],
            ),
            RecordType::AAAA => (ResponseCode::ServFail, vec![]),
            RecordType::MX => (
                ResponseCode::NoError,
                vec![record(
                    owner,
                    RData::MX(MX::new(10, name("mx.example.test."))),
                )],
            ),
            _ => (ResponseCode::NXDomain, vec![]),
        };
        Some(response(query, rcode, true, answers))
    }

    #[test]
    fn answers_are_authentic_only_from_a_trusted_nameserver() {
        for trusted in [true, false] {
            let stub = resolver(trusted, "", zone);
            let mx = stub.lookup_mx("Example.Test").unwrap();
            assert_eq!(mx.records[0].exchange, "mx.example.test.");
            assert_eq!(mx.authentic, trusted);
            assert_eq!(
                stub.lookup_txt("example.test."),
                Err(LookupError::NotFound { authentic: trusted })
            );
        }
    }

    #[test]
    fn any_asks_a_then_aaaa_and_keeps_what_it_got() {
        let stub = resolver(true, "", zone);
        let answer = stub.lookup_ip("example.test", IpFamily::Any).unwrap();
        assert_eq!(answer.records, [IpAddr::from([192, 0, 2, 1])]);
        // The failed AAAA half makes the whole answer unauthenticated.
        assert!(!answer.authentic);
        assert_eq!(
            *stub.exchange.asked.borrow(),
            [RecordType::A, RecordType::AAAA]
        );
        assert!(matches!(
            stub.lookup_ip("example.test", IpFamily::V6),
            Err(LookupError::Temporary { .. })
        ));
    }

    #[test]
    fn hosts_file_first_for_addresses_only() {
        let stub = resolver(true, "192.0.2.7 static.test\n", |query: &Message| {
            let v6 = "2001:db8::7".parse().unwrap();
            let answers = match query.queries[0].query_type() {
                RecordType::AAAA => vec![record("static.test.", RData::AAAA(AAAA(v6)))],
                _ => vec![],
            };
            Some(response(query, ResponseCode::NoError, true, answers))
        });
        let answer = stub.lookup_ip("static.test.", IpFamily::Any).unwrap();
        assert_eq!(answer.records, [IpAddr::from([192, 0, 2, 7])]);
        assert!(!answer.authentic);
        assert!(stub.exchange.asked.borrow().is_empty());
        let v6 = stub.lookup_ip("static.test.", IpFamily::V6).unwrap();
        assert!(v6.authentic);
        assert!(stub.lookup_mx("static.test").is_err());
        assert_eq!(
            *stub.exchange.asked.borrow(),
            [RecordType::AAAA, RecordType::MX]
        );
    }

    #[test]
    fn tlsa_name_and_bad_names() {
        let stub = resolver(true, "", |query: &Message| {
            assert_eq!(query.queries[0].name(), &name("_25._tcp.mx.example.test."));
            Some(response(query, ResponseCode::NXDomain, true, vec![]))
        });
        assert_eq!(
            stub.lookup_tlsa(25, "tcp", "MX.example.test."),
            Err(LookupError::NotFound { authentic: true })
        );
        for bad in ["", "a..b", "bücher.test"] {
            assert!(matches!(
                stub.lookup_cname(bad),
                Err(LookupError::Permanent { .. })
            ));
        }
        assert!(matches!(
            stub.lookup_tlsa(25, "", "mx.example.test"),
            Err(LookupError::Permanent { .. })
        ));
        assert_eq!(stub.exchange.asked.borrow().len(), 1);
    }

    #[test]
    fn a_silent_nameserver_is_temporary() {
        let stub = resolver(true, "", |_: &Message| None);
        assert!(matches!(
            stub.lookup_mx("example.test"),
            Err(LookupError::Temporary { .. })
        ));
    }
}
