//! DNS messages: building the query and interpreting the answer, with hickory-proto.
//!
//! The query is a standard recursive query ([RFC 1035 §4.1]) with EDNS(0) ([RFC 6891]): a
//! 1232-byte UDP payload, the DO bit, and the AD bit set as [RFC 6840 §5.7] recommends, so a
//! validating resolver reports whether it validated the answer. The answer is matched to the
//! query by id and question, its RCODE is mapped to a [`LookupError`], and the CNAME chain the
//! resolver sends in the answer section is followed to the records of the asked type.
//!
//! [RFC 1035 §4.1]: https://www.rfc-editor.org/rfc/rfc1035#section-4.1
//! [RFC 6891]: https://www.rfc-editor.org/rfc/rfc6891
//! [RFC 6840 §5.7]: https://www.rfc-editor.org/rfc/rfc6840#section-5.7

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use hickory_proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::types::{Answer, LookupError, Mx, RecordKind, Tlsa};

/// RFC 6891 §6.2.5 and the DNS Flag Day 2020 recommendation: a payload size that avoids IP
/// fragmentation.
const UDP_PAYLOAD: u16 = 1232;

/// A resolver sends the whole chain; more hops than this is a loop.
const MAX_CNAME_HOPS: usize = 16;

/// RFC 8914 §4: the EDNS option code of Extended DNS Errors.
const EDE_OPTION: u16 = 15;

/// At most this many characters of an EXTRA-TEXT are kept in messages.
const MAX_EXTRA_TEXT: usize = 200;

/// One encoded query, and what its answer has to echo.
#[derive(Debug)]
pub struct Question {
    id: u16,
    name: Name,
    kind: RecordKind,
    /// The query in wire format.
    pub bytes: Vec<u8>,
}

/// Why a query cannot be sent over TCP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query longer than 65535 bytes")]
pub struct QueryTooLong;

impl Question {
    /// Builds a query for `name` (as returned by `name::fqdn`) with a random id.
    ///
    /// # Errors
    /// [`LookupError::Permanent`] if hickory rejects the name or cannot encode the message.
    pub fn new(name: &str, kind: RecordKind) -> Result<Self, LookupError> {
        let name = Name::from_ascii(name)
            .map_err(|e| LookupError::permanent(format!("invalid name {name:?}: {e}")))?;
        // `Message::query` takes a random id (RFC 5452 §9.2 asks for unpredictable ids).
        let mut message = Message::query();
        message.add_query(Query::query(name.clone(), record_type(kind)));
        // RFC 1035 §4.1.1: RD, we want recursion.
        message.metadata.recursion_desired = true;
        // RFC 6840 §5.7: "validating resolvers ... SHOULD set the AD bit" in queries of
        // stub resolvers that want to know whether the answer was validated.
        message.metadata.authentic_data = true;
        let mut edns = Edns::new();
        edns.set_max_payload(UDP_PAYLOAD);
        // RFC 6891 §6.1.4 and RFC 3225 §3: the DO bit, DNSSEC records are welcome.
        edns.set_dnssec_ok(true);
        message.set_edns(edns);
        let bytes = message
            .to_vec()
            .map_err(|e| LookupError::permanent(format!("encoding query: {e}")))?;
        Ok(Self {
            id: message.metadata.id,
            name,
            kind,
            bytes,
        })
    }

    /// The query as sent over TCP: prefixed with its length.
    ///
    /// [RFC 1035 §4.2.2](https://www.rfc-editor.org/rfc/rfc1035#section-4.2.2): "The message
    /// is prefixed with a two byte length field which gives the message length".
    ///
    /// # Errors
    /// [`QueryTooLong`] if the query does not fit a 16-bit length.
    pub fn tcp_bytes(&self) -> Result<Vec<u8>, QueryTooLong> {
        let length = u16::try_from(self.bytes.len()).map_err(|_| QueryTooLong)?;
        let mut framed = Vec::with_capacity(self.bytes.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(&self.bytes);
        Ok(framed)
    }

    /// Decodes `bytes` if they are the answer to this question: same id, a response, and the
    /// same question (an error response may carry no question). `None` otherwise, including for
    /// bytes that do not decode: over UDP those may be forgeries and are ignored.
    pub fn answer_of(&self, bytes: &[u8]) -> Option<Message> {
        let message = Message::from_vec(bytes).ok()?;
        if message.metadata.id != self.id || message.metadata.message_type != MessageType::Response
        {
            return None;
        }
        let same_question = match message.queries.as_slice() {
            [query] => {
                query.name() == &self.name
                    && query.query_type() == record_type(self.kind)
                    && query.query_class() == DNSClass::IN
            }
            [] => message.metadata.response_code != ResponseCode::NoError,
            _ => false,
        };
        same_question.then_some(message)
    }

    /// Interprets the answer: the records of the asked type for the final name of the CNAME
    /// chain, or the error its RCODE means. `trusted` allows the AD bit to count.
    ///
    /// # Errors
    /// [`LookupError::NotFound`] for NXDOMAIN and NODATA, [`LookupError::Temporary`] for
    /// SERVFAIL (with its extended error), [`LookupError::Permanent`] for every other RCODE
    /// and for a CNAME chain that loops.
    pub fn records(
        &self,
        message: &Message,
        trusted: bool,
        server: SocketAddr,
    ) -> Result<Answer<RData>, LookupError> {
        // RFC 4035 §3.2.3 and RFC 6840 §5.8: the AD bit is only as good as the path to the
        // resolver that set it, so it counts only from a trusted resolver.
        let authentic = trusted && message.metadata.authentic_data;
        let rcode = message.metadata.response_code;
        let detail = || {
            let ede = extended_error(message)
                .map(|(code, text)| format!(" (extended error {code}{text})"))
                .unwrap_or_default();
            format!(
                "{} from {server} for {self}{ede}",
                rcode.to_str().to_ascii_lowercase()
            )
        };
        match rcode {
            ResponseCode::NoError => {}
            // RFC 2308 §2.1: name error, the name does not exist.
            ResponseCode::NXDomain => return Err(LookupError::NotFound { authentic }),
            // RFC 1035 §4.1.1: server failure; RFC 8914 §2: the INFO-CODE says why.
            ResponseCode::ServFail => {
                return Err(LookupError::Temporary {
                    extended_error: extended_error(message).map(|(code, _)| code),
                    message: detail(),
                });
            }
            // REFUSED, FORMERR, NOTIMP and anything else: asking again will not help.
            _ => return Err(LookupError::permanent(detail())),
        }
        let records = self.follow_chain(message)?;
        if records.is_empty() {
            // RFC 2308 §2.2: NODATA, the name exists without records of this type.
            return Err(LookupError::NotFound { authentic });
        }
        Ok(Answer { records, authentic })
    }

    /// The records of the asked type in the answer section, following CNAMEs from the query
    /// name (RFC 1034 §4.3.2 step 3.a: the resolver includes the chain).
    fn follow_chain(&self, message: &Message) -> Result<Vec<RData>, LookupError> {
        let wanted = record_type(self.kind);
        let mut name = self.name.clone();
        for _ in 0..=MAX_CNAME_HOPS {
            let found: Vec<RData> = message
                .answers
                .iter()
                .filter(|r| r.record_type() == wanted && r.name == name)
                .map(|r| r.data.clone())
                .collect();
            if !found.is_empty() || self.kind == RecordKind::Cname {
                return Ok(found);
            }
            let target = message.answers.iter().find_map(|r| match &r.data {
                RData::CNAME(cname) if r.name == name => Some(cname.0.clone()),
                _ => None,
            });
            match target {
                Some(target) => name = target,
                None => return Ok(Vec::new()),
            }
        }
        Err(LookupError::permanent(format!(
            "cname chain for {} longer than {MAX_CNAME_HOPS} hops",
            self.name
        )))
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.kind)
    }
}

/// The hickory record type of a lookup.
fn record_type(kind: RecordKind) -> RecordType {
    match kind {
        RecordKind::A => RecordType::A,
        RecordKind::Aaaa => RecordType::AAAA,
        RecordKind::Cname => RecordType::CNAME,
        RecordKind::Mx => RecordType::MX,
        RecordKind::Tlsa => RecordType::TLSA,
        RecordKind::Txt => RecordType::TXT,
    }
}

/// The first Extended DNS Error of the answer: its INFO-CODE and, formatted for a message,
/// its EXTRA-TEXT.
///
/// [RFC 8914 §2](https://www.rfc-editor.org/rfc/rfc8914#section-2):
/// ```text
///    +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// 0: |                            OPTION-CODE                        |
///    +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// 2: |                           OPTION-LENGTH                       |
///    +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// 4: | INFO-CODE                                                     |
///    +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// 6: / EXTRA-TEXT ...                                                /
///    +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// ```
fn extended_error(message: &Message) -> Option<(u16, String)> {
    let option = message.edns.as_ref()?.option(EdnsCode::from(EDE_OPTION))?;
    let EdnsOption::Unknown(_, data) = option else {
        return None;
    };
    let code = u16::from_be_bytes([*data.first()?, *data.get(1)?]);
    // RFC 8914 §2: EXTRA-TEXT is UTF-8 for humans; keep it printable and short.
    let text: String = String::from_utf8_lossy(data.get(2..).unwrap_or_default())
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_EXTRA_TEXT)
        .collect();
    let text = if text.is_empty() {
        text
    } else {
        format!(": {text}")
    };
    Some((code, text))
}

/// Converts the records of an answer with `record` (one of [`ip`], [`cname`], [`mx`],
/// [`tlsa`], [`txt`]); an answer left without records is NODATA.
///
/// # Errors
/// [`LookupError::NotFound`] when no record converts.
pub fn convert<T>(
    answer: Answer<RData>,
    record: fn(&RData) -> Option<T>,
) -> Result<Answer<T>, LookupError> {
    let records: Vec<T> = answer.records.iter().filter_map(record).collect();
    if records.is_empty() {
        return Err(LookupError::NotFound {
            authentic: answer.authentic,
        });
    }
    Ok(Answer {
        records,
        authentic: answer.authentic,
    })
}

/// A name from an answer as a lowercase ASCII FQDN ("." for the root).
fn ascii_name(name: &Name) -> String {
    let mut name = name.to_lowercase();
    name.set_fqdn(true);
    name.to_ascii()
}

/// The address of an A or AAAA record.
pub fn ip(rdata: &RData) -> Option<IpAddr> {
    match rdata {
        RData::A(a) => Some(IpAddr::V4(a.0)),
        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
        _ => None,
    }
}

/// The target of a CNAME record.
pub fn cname(rdata: &RData) -> Option<String> {
    match rdata {
        RData::CNAME(cname) => Some(ascii_name(&cname.0)),
        _ => None,
    }
}

/// An MX record.
pub fn mx(rdata: &RData) -> Option<Mx> {
    match rdata {
        RData::MX(mx) => Some(Mx {
            preference: mx.preference,
            exchange: ascii_name(&mx.exchange),
        }),
        _ => None,
    }
}

/// A TLSA record.
pub fn tlsa(rdata: &RData) -> Option<Tlsa> {
    match rdata {
        RData::TLSA(tlsa) => Some(Tlsa {
            usage: tlsa.cert_usage.into(),
            selector: tlsa.selector.into(),
            matching_type: tlsa.matching.into(),
            data: tlsa.cert_data.clone(),
        }),
        _ => None,
    }
}

/// A TXT record: its character-strings concatenated (RFC 7208 §3.3 does the same for SPF).
pub fn txt(rdata: &RData) -> Option<Vec<u8>> {
    match rdata {
        RData::TXT(txt) => Some(
            txt.txt_data
                .iter()
                .flat_map(|s| s.iter().copied())
                .collect(),
        ),
        _ => None,
    }
}
