//! The query's flags, the matching of answers to the question, and their interpretation.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::tlsa::{CertUsage, Matching, Selector};
use hickory_proto::rr::rdata::{A, CNAME, MX, TLSA, TXT};
use hickory_proto::rr::{RData, RecordType};

use crate::testing::{bytes, name, record, response, with_ede};
use crate::{Answer, LookupError, Mx, Question, RecordKind, Tlsa, convert, wire};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53);

fn query_of(question: &Question) -> Message {
    Message::from_vec(&question.bytes).unwrap()
}

/// The answer to `question` with `rcode`, the AD bit and `answers`, as received.
fn answer(
    question: &Question,
    rcode: ResponseCode,
    ad: bool,
    answers: Vec<hickory_proto::rr::Record>,
) -> Message {
    let wire = bytes(&response(&query_of(question), rcode, ad, answers));
    question
        .answer_of(&wire)
        .expect("the answer to the question")
}

fn mx_record(owner: &str, preference: u16, exchange: &str) -> hickory_proto::rr::Record {
    record(owner, RData::MX(MX::new(preference, name(exchange))))
}

#[test]
fn query_asks_recursion_dnssec_and_ad() {
    let question = Question::new("example.test.", RecordKind::Mx).unwrap();
    let query = query_of(&question);
    assert!(query.metadata.recursion_desired);
    assert!(query.metadata.authentic_data);
    let edns = query.edns.as_ref().unwrap();
    assert!(edns.flags().dnssec_ok);
    assert_eq!(edns.max_payload(), 1232);
    assert_eq!(query.queries[0].name(), &name("example.test."));
    assert_eq!(query.queries[0].query_type(), RecordType::MX);
    let framed = question.tcp_bytes().unwrap();
    assert_eq!(
        usize::from(u16::from_be_bytes([framed[0], framed[1]])),
        question.bytes.len()
    );
    assert_eq!(&framed[2..], question.bytes.as_slice());
}

#[test]
fn only_the_answer_to_the_question_is_taken() {
    let question = Question::new("example.test.", RecordKind::Mx).unwrap();
    let query = query_of(&question);
    let mut wrong_id = response(&query, ResponseCode::NoError, true, vec![]);
    wrong_id.metadata.id = query.metadata.id.wrapping_add(1);
    let mut other = Message::query();
    other.add_query(Query::query(name("other.test."), RecordType::MX));
    let mut other = response(&other, ResponseCode::NoError, true, vec![]);
    other.metadata.id = query.metadata.id;
    let mut other_type = Message::query();
    other_type.add_query(Query::query(name("example.test."), RecordType::TXT));
    let mut other_type = response(&other_type, ResponseCode::NoError, true, vec![]);
    other_type.metadata.id = query.metadata.id;
    for forged in [
        bytes(&wrong_id),
        bytes(&other),
        bytes(&other_type),
        vec![0xde, 0xad],
        bytes(&query),
    ] {
        assert!(question.answer_of(&forged).is_none());
    }
    // An error response may come without the question.
    let mut bare = response(&query, ResponseCode::FormErr, false, vec![]);
    bare.queries.clear();
    assert!(question.answer_of(&bytes(&bare)).is_some());
    let mut bare_ok = response(&query, ResponseCode::NoError, false, vec![]);
    bare_ok.queries.clear();
    assert!(question.answer_of(&bytes(&bare_ok)).is_none());
}

#[test]
fn authentic_only_from_a_trusted_resolver() {
    let question = Question::new("example.test.", RecordKind::Mx).unwrap();
    let found = answer(
        &question,
        ResponseCode::NoError,
        true,
        vec![mx_record("example.test.", 10, "MX.Example.Test.")],
    );
    let mx = |trusted| convert(question.records(&found, trusted, SERVER).unwrap(), wire::mx);
    let want = |authentic| Answer {
        records: vec![Mx {
            preference: 10,
            exchange: "mx.example.test.".into(),
        }],
        authentic,
    };
    assert_eq!(mx(true), Ok(want(true)));
    assert_eq!(mx(false), Ok(want(false)));
    let missing = answer(&question, ResponseCode::NXDomain, true, vec![]);
    for trusted in [true, false] {
        assert_eq!(
            question.records(&missing, trusted, SERVER),
            Err(LookupError::NotFound { authentic: trusted })
        );
    }
}

#[test]
fn rcodes_map_to_classes() {
    let question = Question::new("example.test.", RecordKind::Tlsa).unwrap();
    let servfail = with_ede(
        response(&query_of(&question), ResponseCode::ServFail, false, vec![]),
        6,
        "signature expired\n",
    );
    let servfail = question.answer_of(&bytes(&servfail)).unwrap();
    let Err(LookupError::Temporary {
        extended_error,
        message,
    }) = question.records(&servfail, true, SERVER)
    else {
        panic!("want temporary");
    };
    assert_eq!(extended_error, Some(6));
    assert!(
        message.contains("extended error 6: signature expired"),
        "{message}"
    );
    let plain = answer(&question, ResponseCode::ServFail, false, vec![]);
    assert!(matches!(
        question.records(&plain, true, SERVER),
        Err(LookupError::Temporary {
            extended_error: None,
            ..
        })
    ));
    for rcode in [
        ResponseCode::Refused,
        ResponseCode::FormErr,
        ResponseCode::NotImp,
    ] {
        let refused = answer(&question, rcode, false, vec![]);
        assert!(
            matches!(
                question.records(&refused, true, SERVER),
                Err(LookupError::Permanent { .. })
            ),
            "{rcode:?}"
        );
    }
}

#[test]
fn nodata_is_not_found() {
    let question = Question::new("example.test.", RecordKind::Txt).unwrap();
    let a = record("example.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 1))));
    let nodata = answer(&question, ResponseCode::NoError, false, vec![a]);
    assert_eq!(
        question.records(&nodata, true, SERVER),
        Err(LookupError::NotFound { authentic: false })
    );
}

#[test]
fn cname_chain_is_followed_and_a_loop_is_permanent() {
    let chain = vec![
        record("alias.test.", RData::CNAME(CNAME(name("alias2.test.")))),
        record("alias2.test.", RData::CNAME(CNAME(name("real.test.")))),
        mx_record("unrelated.test.", 5, "wrong.test."),
        record("real.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 9)))),
    ];
    let question = Question::new("alias.test.", RecordKind::A).unwrap();
    let found = answer(&question, ResponseCode::NoError, true, chain.clone());
    let ips = convert(question.records(&found, true, SERVER).unwrap(), wire::ip).unwrap();
    assert_eq!(ips.records, [IpAddr::from([192, 0, 2, 9])]);
    // A CNAME lookup is one hop.
    let question = Question::new("alias.test.", RecordKind::Cname).unwrap();
    let found = answer(&question, ResponseCode::NoError, true, chain);
    let cname = convert(question.records(&found, true, SERVER).unwrap(), wire::cname).unwrap();
    assert_eq!(cname.records, ["alias2.test."]);
    let looping = vec![
        record("a.test.", RData::CNAME(CNAME(name("b.test.")))),
        record("b.test.", RData::CNAME(CNAME(name("a.test.")))),
    ];
    let question = Question::new("a.test.", RecordKind::Mx).unwrap();
    let found = answer(&question, ResponseCode::NoError, true, looping);
    assert!(matches!(
        question.records(&found, true, SERVER),
        Err(LookupError::Permanent { .. })
    ));
}

#[test]
fn records_are_read() {
    let owner = "_25._tcp.mx.example.test.";
    let question = Question::new(owner, RecordKind::Tlsa).unwrap();
    let tlsa = TLSA::new(
        CertUsage::from(3),
        Selector::from(1),
        Matching::from(1),
        vec![0xab; 32],
    );
    let found = answer(
        &question,
        ResponseCode::NoError,
        true,
        vec![record(owner, RData::TLSA(tlsa))],
    );
    let tlsa = convert(question.records(&found, true, SERVER).unwrap(), wire::tlsa).unwrap();
    assert_eq!(
        tlsa.records,
        [Tlsa {
            usage: 3,
            selector: 1,
            matching_type: 1,
            data: vec![0xab; 32]
        }]
    );
    let question = Question::new("example.test.", RecordKind::Txt).unwrap();
    let txt = TXT::from_bytes(vec![b"v=spf1 ", b"ip4:192.0.2.0/24 ", b"-all"]);
    let found = answer(
        &question,
        ResponseCode::NoError,
        false,
        vec![record("example.test.", RData::TXT(txt))],
    );
    let txt = convert(question.records(&found, true, SERVER).unwrap(), wire::txt).unwrap();
    assert_eq!(txt.records, [b"v=spf1 ip4:192.0.2.0/24 -all".to_vec()]);
    let question = Question::new("example.test.", RecordKind::Mx).unwrap();
    let found = answer(
        &question,
        ResponseCode::NoError,
        true,
        vec![mx_record("example.test.", 0, ".")],
    );
    let mx = convert(question.records(&found, true, SERVER).unwrap(), wire::mx).unwrap();
    assert_eq!(mx.records[0].exchange, ".");
}

#[test]
fn bad_names_are_permanent() {
    assert!(matches!(
        Question::new("a..b.", RecordKind::Mx),
        Err(LookupError::Permanent { .. })
    ));
}
