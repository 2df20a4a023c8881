//! What the fuzz targets check, one function per target. `tests/fuzz_corpus.rs` of the root
//! crate includes this file and replays the corpora and crash inputs through the same
//! functions on stable Rust, so CI exercises them without nightly.
//!
//! Each function takes arbitrary bytes, must never panic on its own, and asserts the
//! properties written next to it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use smtpclient::dns::{
    Answer, DialedIps, Domain, Fqdn, IpDomain, IpFamily, LookupError, Mx, Resolver,
    Tlsa as DnsTlsa, TlsaNamesInput, gather_destinations, gather_ips, gather_tlsa, tlsa_names,
};
use smtpclient::mtasts::record::select;
use smtpclient::mtasts::{Policy, matches, matches_any};
use smtpclient::smtp::{
    DataEncoder, Extensions, Limits, LineEndings, ProtocolError, Reply, ReplyParser,
};
use smtpclient::tls::Tlsa;
use smtpclient::tls::dane;

/// A cursor over the fuzz input; reads past the end give zeros and empty slices.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        first
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    fn rest(&mut self) -> &'a [u8] {
        self.take(self.0.len())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every reply until the first error, the input pushed in chunks of `step` bytes.
fn parse_replies(bytes: &[u8], enhanced: bool, step: usize) -> Vec<Result<Reply, ProtocolError>> {
    let mut parser = ReplyParser::new();
    let mut out = Vec::new();
    for chunk in bytes.chunks(step) {
        parser.push(chunk);
        while let Some(reply) = parser.next_reply(enhanced) {
            let failed = reply.is_err();
            out.push(reply);
            if failed {
                return out;
            }
        }
    }
    out
}

/// The reply parser (RFC 5321 §4.2): the replies do not depend on how the input is split;
/// every reply has a three-digit code, the same on each line (§4.2.1), and an enhanced code
/// of the same class (RFC 3463 §2).
pub fn reply(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let bytes = input.rest();
    let enhanced = flags & 1 == 1;
    let step = usize::from(flags >> 1) % 17 + 1;
    let whole = parse_replies(bytes, enhanced, bytes.len().max(1));
    let split = parse_replies(bytes, enhanced, step);
    assert_eq!(whole, split, "replies depend on the split ({step} bytes)");
    for reply in whole.iter().flatten() {
        // Any three digits, as mox: "075" and "600" are codes too (to be refused by class).
        assert!(reply.code.0 < 1000, "code {}", reply.code.0);
        assert!(!reply.lines.is_empty());
        for line in &reply.lines {
            assert_eq!(
                &line[..3],
                format!("{:03}", reply.code.0).as_bytes(),
                "line {line:?}"
            );
        }
        if let Some(code) = reply.enhanced {
            assert!(enhanced, "enhanced code without ENHANCEDSTATUSCODES");
            assert_eq!(u16::from(code.class), reply.code.class(), "{code}");
        }
        let _ = (reply.to_string(), reply.text_lossy(), reply.lines_lossy());
    }
}

/// EHLO keywords (RFC 5321 §4.1.1.1) and LIMITS (RFC 9422): keywords are upper case, AUTH
/// mechanisms unique, and parsing is deterministic.
pub fn ehlo(data: &[u8]) {
    let lines: Vec<Vec<u8>> = data
        .split(|&b| b == b'\n')
        .map(|line| {
            let mut l = b"250-".to_vec();
            l.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            l
        })
        .collect();
    let reply = Reply {
        code: smtpclient::smtp::ReplyCode(250),
        enhanced: None,
        lines,
    };
    let ext = Extensions::parse(&reply);
    assert_eq!(ext, Extensions::parse(&reply));
    for keyword in &ext.keywords {
        assert_eq!(keyword, &keyword.to_ascii_uppercase());
    }
    for (i, mechanism) in ext.auth.iter().enumerate() {
        assert!(!ext.auth[..i].contains(mechanism), "{mechanism} twice");
    }
    let _ = Limits::parse(&String::from_utf8_lossy(data));
}

/// Undoes dot-stuffing (RFC 5321 §4.5.2) and removes the final ".": `None` when `wire` is
/// not CRLF lines ending with "." or has a line "." before the end.
fn unstuff(wire: &[u8], dot_stuffed: bool) -> Option<Vec<u8>> {
    let body = if dot_stuffed {
        wire.strip_suffix(b".\r\n")?
    } else {
        wire
    };
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = &rest[..end];
        if line.contains(&b'\r') || line.contains(&b'\n') {
            return None;
        }
        let line = if dot_stuffed && line.first() == Some(&b'.') {
            // A line "." alone would end the data early.
            if line.len() == 1 {
                return None;
            }
            &line[1..]
        } else {
            line
        };
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        rest = &rest[end + 2..];
    }
    Some(out)
}

/// The message as `Normalize` should send it: bare CR and LF as CRLF, CRLF at the end.
fn normalized(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < message.len() {
        match message[i] {
            b'\r' if message.get(i + 1) == Some(&b'\n') => i += 1,
            b'\r' | b'\n' => {}
            other => {
                out.push(other);
                i += 1;
                continue;
            }
        }
        out.extend_from_slice(b"\r\n");
        i += 1;
    }
    if !out.is_empty() && !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The data writer (RFC 5321 §4.1.1.4, §4.5.2; BDAT chunks of RFC 3030 without stuffing):
/// in any split of chunks, the output decodes back to the input; `Strict` refuses exactly
/// the messages with a bare CR or LF or without a final CRLF, `Normalize` never refuses.
pub fn data(data: &[u8]) {
    let mut input = Input(data);
    let flags = input.byte();
    let message = input.rest();
    let line_endings = if flags & 1 == 1 {
        LineEndings::Normalize
    } else {
        LineEndings::Strict
    };
    let dot_stuffed = flags & 2 == 0;
    let step = usize::from(flags >> 2) % 13 + 1;
    let mut encoder = if dot_stuffed {
        DataEncoder::new(line_endings)
    } else {
        DataEncoder::chunked(line_endings)
    };
    let mut wire = Vec::new();
    let result = message
        .chunks(step)
        .try_for_each(|chunk| encoder.encode(chunk, &mut wire))
        .and_then(|()| encoder.finish(&mut wire));
    let valid = normalized(message) == message;
    match (line_endings, result) {
        (LineEndings::Strict, Ok(())) => {
            assert!(valid, "strict accepted {message:?}");
            assert_eq!(encoder.bytes_in(), message.len() as u64);
            assert_eq!(unstuff(&wire, dot_stuffed).as_deref(), Some(message));
        }
        (LineEndings::Strict, Err(error)) => assert!(!valid, "strict refused: {error}"),
        (LineEndings::Normalize, Ok(())) => {
            assert_eq!(encoder.bytes_in(), message.len() as u64);
            assert_eq!(unstuff(&wire, dot_stuffed), Some(normalized(message)));
        }
        (LineEndings::Normalize, Err(error)) => panic!("normalize refused: {error}"),
    }
}

/// DANE matching (RFC 7672 §3, RFC 6698 §2.1): no records is `NoRecords`; a verified record
/// is one of the records and DANE-TA or DANE-EE; a DANE-EE record with the full leaf or its
/// SHA-256 always verifies.
pub fn dane(data: &[u8]) {
    let mut input = Input(data);
    let chain: Vec<CertificateDer<'_>> = (0..input.byte() % 4)
        .map(|_| {
            let n = usize::from(input.u16());
            CertificateDer::from(input.take(n))
        })
        .collect();
    let leaf = chain
        .first()
        .map(|c| c.as_ref().to_vec())
        .unwrap_or_default();
    let records: Vec<Tlsa> = (0..input.byte() % 5)
        .map(|_| {
            let (usage, selector, matching_type) = (input.byte(), input.byte(), input.byte());
            let data = match input.byte() % 3 {
                0 => leaf.clone(),
                1 => Sha256::digest(&leaf).to_vec(),
                _ => {
                    let n = usize::from(input.byte());
                    input.take(n).to_vec()
                }
            };
            Tlsa {
                usage: usage % 5,
                selector: selector % 3,
                matching_type: matching_type % 4,
                data,
            }
        })
        .collect();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(u64::from(input.u16()) << 16));
    let names = [ServerName::try_from("mx.example.net").expect("a dns name")];
    let algorithms = rustls_rustcrypto::provider()
        .signature_verification_algorithms
        .all;
    let outcome = dane::verify(&records, &chain, &names, now, algorithms);
    if records.is_empty() {
        assert_eq!(outcome.errors, vec![dane::DaneError::NoRecords]);
    }
    if let Some(verified) = &outcome.verified {
        assert!(records.contains(verified));
        assert!(matches!(verified.usage, 2 | 3), "{verified}");
    }
    let exact = records.iter().any(|r| {
        r.usage == 3
            && r.selector == 0
            && ((r.matching_type == 0 && r.data == leaf)
                || (r.matching_type == 1 && r.data == Sha256::digest(&leaf).as_slice()))
    });
    if exact && !chain.is_empty() {
        assert!(outcome.verified.is_some(), "{:?}", outcome.errors);
    }
}

/// Names answers are made of: valid, IDNA, odd and invalid ones.
const NAMES: [&str; 10] = [
    "example.net.",
    "mx.example.net.",
    "mx2.example.net.",
    "alias.example.org.",
    "xn--bcher-kva.example.",
    "under_score.example.",
    ".",
    "",
    "a..b.",
    "-bad-.example.",
];

/// A resolver answering from the fuzz input.
struct FuzzResolver<'a>(Input<'a>);

impl FuzzResolver<'_> {
    fn name(&mut self) -> String {
        match self.0.byte() {
            n if usize::from(n) < NAMES.len() => NAMES[usize::from(n)].to_string(),
            _ => {
                let n = usize::from(self.0.byte() % 64);
                String::from_utf8_lossy(self.0.take(n)).into_owned()
            }
        }
    }

    /// An answer built by `build`, or a failure.
    fn answer<T>(&mut self, build: impl FnOnce(&mut Self) -> T) -> Result<Answer<T>, LookupError> {
        if self.0.is_empty() {
            return Err(LookupError::NotFound { authentic: false });
        }
        let tag = self.0.byte();
        let authentic = tag & 4 != 0;
        match tag % 4 {
            0 => Err(LookupError::NotFound { authentic }),
            1 => Err(LookupError::Temporary {
                extended_error: (tag & 8 != 0).then_some(6),
                message: "servfail".into(),
            }),
            2 => Err(LookupError::Permanent {
                message: "refused".into(),
            }),
            _ => Ok(Answer {
                data: build(self),
                authentic,
            }),
        }
    }

    fn ip(&mut self) -> IpAddr {
        if self.0.byte() & 1 == 0 {
            IpAddr::V4(Ipv4Addr::from(u32::from(self.0.u16()) << 16 | 1))
        } else {
            IpAddr::V6(Ipv6Addr::from(u128::from(self.0.u16()) << 64 | 1))
        }
    }
}

impl Resolver for FuzzResolver<'_> {
    fn lookup_cname(&mut self, _name: &Fqdn) -> Result<Answer<String>, LookupError> {
        self.answer(Self::name)
    }

    fn lookup_mx(&mut self, _name: &Fqdn) -> Result<Answer<Vec<Mx>>, LookupError> {
        self.answer(|r| {
            (0..r.0.byte() % 6)
                .map(|_| Mx {
                    preference: u16::from(r.0.byte() % 4),
                    exchange: r.name(),
                })
                .collect()
        })
    }

    fn lookup_ip(
        &mut self,
        _name: &Fqdn,
        _family: IpFamily,
    ) -> Result<Answer<Vec<IpAddr>>, LookupError> {
        self.answer(|r| (0..r.0.byte() % 4).map(|_| r.ip()).collect())
    }

    fn lookup_tlsa(
        &mut self,
        _port: u16,
        _protocol: &str,
        _host: &Fqdn,
    ) -> Result<Answer<Vec<DnsTlsa>>, LookupError> {
        self.answer(|r| {
            (0..r.0.byte() % 4)
                .map(|_| {
                    let (usage, selector, matching_type) = (r.0.byte(), r.0.byte(), r.0.byte());
                    let n = usize::from(r.0.byte() % 80);
                    DnsTlsa {
                        usage: usage % 5,
                        selector: selector % 3,
                        matching_type: matching_type % 4,
                        data: r.0.take(n).to_vec(),
                    }
                })
                .collect()
        })
    }

    fn lookup_txt(&mut self, _name: &Fqdn) -> Result<Answer<Vec<Vec<u8>>>, LookupError> {
        self.answer(|r| {
            (0..r.0.byte() % 3)
                .map(|_| {
                    let n = usize::from(r.0.byte());
                    r.0.take(n).to_vec()
                })
                .collect()
        })
    }
}

/// DNS answers mapped to a delivery plan (RFC 5321 §5.1, RFC 7505, RFC 7672 §2.2): for any
/// answers, gathering destinations, addresses and TLSA records ends; addresses are never an
/// empty success; kept TLSA records are usable and make DANE required; the DANE names are
/// never empty.
pub fn dns(data: &[u8]) {
    let mut resolver = FuzzResolver(Input(data));
    let seed = u64::from(resolver.0.u16());
    let next_hop = IpDomain::Domain(Domain::parse("example.net").expect("a domain"));
    let Ok(destinations) = gather_destinations(&mut resolver, &next_hop, seed) else {
        return;
    };
    for host in destinations.hosts.iter().take(3) {
        let Ok(addresses) = gather_ips(
            &mut resolver,
            &host.host,
            IpFamily::Any,
            &DialedIps::default(),
        ) else {
            continue;
        };
        assert!(
            !addresses.addresses.is_empty(),
            "empty addresses for {}",
            host.host
        );
        let IpDomain::Domain(domain) = &host.host else {
            continue;
        };
        let expanded = addresses
            .expanded_host
            .clone()
            .unwrap_or_else(|| domain.clone());
        let Ok(policy) = gather_tlsa(
            &mut resolver,
            domain,
            addresses.expanded_authentic,
            &expanded,
        ) else {
            continue;
        };
        for record in &policy.records {
            assert!(matches!(record.usage, 2 | 3), "unusable {record:?} kept");
            assert!(
                record.selector < 2 && record.matching_type < 3,
                "{record:?}"
            );
        }
        if !policy.records.is_empty() {
            assert!(policy.dane_required);
        }
        let next = destinations
            .expanded_next_hop
            .clone()
            .unwrap_or_else(|| domain.clone());
        let names = tlsa_names(&TlsaNamesInput {
            have_mx: destinations.have_mx,
            expanded_next_hop_authentic: destinations.expanded_authentic,
            expanded_base_domain_authentic: addresses.expanded_authentic,
            original_next_hop: domain.clone(),
            expanded_next_hop: next,
            original_base_domain: domain.clone(),
            expanded_base_domain: policy.base_domain.clone(),
        });
        assert!(!names.is_empty());
    }
}

/// MTA-STS (RFC 8461): the policy text (§3.2) and the TXT record (§3.1). A valid policy
/// parses again from its own lines to the same policy; a selected record has an id of 1 to
/// 32 letters and digits; MX matching (§4.1) never panics.
pub fn mtasts(data: &[u8]) {
    let mut input = Input(data);
    let split = usize::from(input.byte());
    let body = input.rest();
    if let Ok(policy) = Policy::parse(body) {
        let again = Policy::parse(policy.lines.join("\n").as_bytes());
        assert_eq!(again.as_ref(), Ok(&policy), "{:?}", policy.lines);
        for host in ["mail.example.com", "example.com", "a.b.example.net", ""] {
            let _ = matches_any(&policy.mx, host);
        }
    }
    let (first, second) = body.split_at(split.min(body.len()));
    let records = [first.to_vec(), second.to_vec()];
    if let Ok(record) = select(&records) {
        assert!(
            (1..=32).contains(&record.id.len())
                && record.id.bytes().all(|b| b.is_ascii_alphanumeric()),
            "{record:?}"
        );
    }
    if let Some(pattern) = body.split(|&b| b == b'\n').next() {
        let pattern = String::from_utf8_lossy(pattern);
        let _ = matches(&pattern, "mail.example.com");
    }
}
