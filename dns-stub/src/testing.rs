//! Builders of DNS answers for tests of resolvers (feature `testing`): a response to a query
//! with a given RCODE, AD bit and records, and an Extended DNS Error option.

use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, RData, Record};

/// A response to `query` with `rcode`, the AD bit as given, an OPT record, and `answers`.
pub fn response(
    query: &Message,
    rcode: ResponseCode,
    authentic: bool,
    answers: Vec<Record>,
) -> Message {
    let mut message = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    message.metadata.response_code = rcode;
    message.metadata.recursion_desired = query.metadata.recursion_desired;
    message.metadata.recursion_available = true;
    message.metadata.authentic_data = authentic;
    message.add_queries(query.queries.iter().cloned());
    message.add_answers(answers);
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    message.set_edns(edns);
    message
}

/// Adds an Extended DNS Error option ([RFC 8914 §2]) to `message`.
///
/// [RFC 8914 §2]: https://www.rfc-editor.org/rfc/rfc8914#section-2
pub fn with_ede(mut message: Message, code: u16, text: &str) -> Message {
    let mut data = code.to_be_bytes().to_vec();
    data.extend_from_slice(text.as_bytes());
    let mut edns = message.edns.take().unwrap_or_default();
    edns.options_mut().insert(EdnsOption::Unknown(15, data));
    message.set_edns(edns);
    message
}

/// A record `name` with `rdata`.
///
/// # Panics
/// If `name` is not a valid name (a test's mistake).
pub fn record(name: &str, rdata: RData) -> Record {
    Record::from_rdata(self::name(name), 300, rdata)
}

/// A name.
///
/// # Panics
/// If `name` is not a valid name (a test's mistake).
pub fn name(name: &str) -> Name {
    Name::from_ascii(name).expect("a valid test name")
}

/// The message in wire format.
///
/// # Panics
/// If hickory cannot encode `message` (a test's mistake).
pub fn bytes(message: &Message) -> Vec<u8> {
    message.to_vec().expect("an encodable test message")
}
