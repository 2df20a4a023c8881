//! The master-file parser behind [`ZoneResolver`](super::ZoneResolver): RFC 1035 §5 text to
//! a table of names, records and directives. The format is documented in [`super::zone`].

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smtpclient_dns_stub::{Mx, RecordKind, Tlsa, fqdn};

use super::zone_lexer::{Entry, Token, tokenize};

/// RFC 1035 §3.3: "`<character-string>` is a single length octet followed by that number of
/// characters", so at most 255.
const MAX_CHARACTER_STRING: usize = 255;

/// Record types that are accepted and ignored: the zone's own records, DNSSEC records (the
/// resolver's authenticity comes from directives instead) and types no lookup asks for.
const IGNORED_TYPES: &[&str] = &[
    "SOA",
    "NS",
    "DS",
    "DNSKEY",
    "RRSIG",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "CDS",
    "CDNSKEY",
    "PTR",
    "SRV",
    "CAA",
    "SSHFP",
];

/// A zone file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The text is not a zone this resolver understands.
    #[error("line {line}: {error}")]
    Syntax {
        /// The 1-based line where the offending entry starts.
        line: usize,
        /// What is wrong.
        error: SyntaxError,
    },
}

/// What is wrong with a line of a zone file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    /// A `"` without its closing `"` on the same line.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A `)` without `(`, or a `(` still open at the end of the file.
    #[error("unbalanced parentheses")]
    UnbalancedParentheses,
    /// A `$` directive other than `$ORIGIN` and `$TTL`.
    #[error("unsupported directive {0}")]
    UnsupportedDirective(String),
    /// A `; @word` comment whose word is not a known directive.
    #[error("unknown directive @{0}")]
    UnknownDirective(String),
    /// A known `; @` directive with wrong arguments.
    #[error("malformed @{directive} directive: expected {expected}")]
    MalformedDirective {
        /// The directive.
        directive: &'static str,
        /// Its syntax.
        expected: &'static str,
    },
    /// A relative name or `@` before any `$ORIGIN`.
    #[error("relative name {0:?} without $ORIGIN")]
    NoOrigin(String),
    /// Not an ASCII domain name of letters, digits, `-` and `_`.
    #[error("invalid name {0:?}")]
    InvalidName(String),
    /// A line that starts with a blank before any owner name.
    #[error("no previous owner name")]
    NoOwner,
    /// A TTL that is not a number with optional s/m/h/d/w units.
    #[error("invalid ttl {0:?}")]
    InvalidTtl(String),
    /// A class other than IN.
    #[error("unsupported class {0}")]
    UnsupportedClass(String),
    /// A record without a type.
    #[error("missing record type")]
    MissingType,
    /// A record type this resolver neither answers nor ignores.
    #[error("unsupported record type {0}")]
    UnsupportedType(String),
    /// `$ORIGIN` or `$TTL` without exactly one argument.
    #[error("${0} takes exactly one argument")]
    DirectiveArgument(&'static str),
    /// A field of the record data is missing.
    #[error("{rtype} record: missing {field}")]
    MissingField {
        /// The record type.
        rtype: RecordKind,
        /// The field.
        field: &'static str,
    },
    /// A field of the record data does not parse.
    #[error("{rtype} record: invalid {field} {value:?}")]
    InvalidField {
        /// The record type.
        rtype: RecordKind,
        /// The field.
        field: &'static str,
        /// What was found.
        value: String,
    },
    /// More fields than the record type has.
    #[error("{rtype} record: unexpected {value:?}")]
    TrailingData {
        /// The record type.
        rtype: RecordKind,
        /// The first extra field.
        value: String,
    },
    /// A TXT character-string over 255 bytes.
    #[error("character-string longer than 255 bytes")]
    LongString,
    /// A CNAME next to other data, or two CNAMEs, at one name (RFC 2181 §10.1).
    #[error("cname and other data at {0}")]
    CnameAndOtherData(String),
}

/// A failure that a directive injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// SERVFAIL, with an Extended DNS Error code.
    Servfail {
        /// RFC 8914 INFO-CODE.
        extended_error: Option<u16>,
    },
    /// REFUSED.
    Refused,
    /// No answer.
    Timeout,
}

/// The records at one name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) cname: Option<String>,
    pub(crate) addresses: Vec<IpAddr>,
    pub(crate) mx: Vec<Mx>,
    pub(crate) tlsa: Vec<Tlsa>,
    pub(crate) txt: Vec<Vec<u8>>,
}

impl Node {
    fn has_data(&self) -> bool {
        !(self.addresses.is_empty()
            && self.mx.is_empty()
            && self.tlsa.is_empty()
            && self.txt.is_empty())
    }
}

/// A parsed zone: names are lowercase FQDNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Zone {
    pub(crate) nodes: HashMap<String, Node>,
    /// `@insecure` names: answers at or below them are not authentic.
    pub(crate) insecure: Vec<String>,
    /// `@servfail`, `@refused`, `@timeout` by lookup type and name.
    pub(crate) failures: HashMap<(RecordKind, String), Failure>,
}

/// Parses zone text.
///
/// # Errors
/// [`ZoneError::Syntax`] with the line of the first bad entry.
pub(crate) fn parse(text: &str) -> Result<Zone, ZoneError> {
    let mut parser = Parser::default();
    for entry in tokenize(text)? {
        let line = match &entry {
            Entry::Line { line, .. } | Entry::Directive { line, .. } => *line,
        };
        parser
            .entry(entry)
            .map_err(|error| ZoneError::Syntax { line, error })?;
    }
    Ok(parser.zone)
}

/// State while reading entries in order.
#[derive(Debug, Default)]
struct Parser {
    zone: Zone,
    origin: Option<String>,
    last_owner: Option<String>,
}

impl Parser {
    fn entry(&mut self, entry: Entry) -> Result<(), SyntaxError> {
        match entry {
            Entry::Directive { words, .. } => self.directive(&words),
            Entry::Line {
                blank_owner,
                tokens,
                ..
            } => {
                let mut tokens = tokens.into_iter();
                let owner = if blank_owner {
                    self.last_owner.clone().ok_or(SyntaxError::NoOwner)?
                } else {
                    // Never empty: empty entries are not emitted.
                    let first = tokens.next().ok_or(SyntaxError::NoOwner)?;
                    if let Some(directive) = first.text.strip_prefix('$') {
                        return self.dollar(directive, tokens);
                    }
                    self.name(&first)?
                };
                self.last_owner = Some(owner.clone());
                self.record(owner, tokens)
            }
        }
    }

    /// RFC 1035 §5.1 `$ORIGIN <domain-name>`; `$TTL` (RFC 2308 §4) is checked and ignored.
    fn dollar(
        &mut self,
        directive: &str,
        tokens: impl Iterator<Item = Token>,
    ) -> Result<(), SyntaxError> {
        let upper = directive.to_ascii_uppercase();
        let directive = match upper.as_str() {
            "ORIGIN" => "ORIGIN",
            "TTL" => "TTL",
            _ => return Err(SyntaxError::UnsupportedDirective(format!("${directive}"))),
        };
        let arguments: Vec<Token> = tokens.collect();
        let [argument] = arguments.as_slice() else {
            return Err(SyntaxError::DirectiveArgument(directive));
        };
        if directive == "ORIGIN" {
            self.origin = Some(self.name(argument)?);
        } else if !is_ttl(&argument.text) {
            return Err(SyntaxError::InvalidTtl(argument.text.clone()));
        }
        Ok(())
    }

    /// A name of the file: `@` is the origin, a name without the final dot is relative to it.
    fn name(&self, token: &Token) -> Result<String, SyntaxError> {
        let text = token.text.as_str();
        if token.quoted || text.contains('\\') {
            return Err(SyntaxError::InvalidName(text.to_string()));
        }
        let origin = || {
            self.origin
                .as_deref()
                .ok_or_else(|| SyntaxError::NoOrigin(text.to_string()))
        };
        // RFC 1035 §5.1: "A free standing @ is used to denote the current origin."
        let absolute = if text == "@" {
            origin()?.to_string()
        } else if text.ends_with('.') {
            text.to_string()
        } else {
            match origin()? {
                "." => format!("{text}."),
                origin => format!("{text}.{origin}"),
            }
        };
        fqdn(&absolute).map_err(|_| SyntaxError::InvalidName(text.to_string()))
    }

    /// RFC 1035 §5.1: `<domain-name> [<TTL>] [<class>] <type> <RDATA>`, TTL and class in
    /// either order.
    fn record(
        &mut self,
        owner: String,
        tokens: impl Iterator<Item = Token>,
    ) -> Result<(), SyntaxError> {
        let mut tokens = tokens.peekable();
        for _ in 0..2 {
            let Some(token) = tokens.peek() else { break };
            let text = token.text.to_ascii_uppercase();
            if text.starts_with(|c: char| c.is_ascii_digit()) {
                if !is_ttl(&text) {
                    return Err(SyntaxError::InvalidTtl(token.text.clone()));
                }
            } else if matches!(text.as_str(), "CH" | "HS" | "CS" | "ANY" | "NONE") {
                return Err(SyntaxError::UnsupportedClass(text));
            } else if text != "IN" {
                break;
            }
            tokens.next();
        }
        let rtype = tokens
            .next()
            .ok_or(SyntaxError::MissingType)?
            .text
            .to_ascii_uppercase();
        let kind = match RecordKind::parse(&rtype) {
            Some(kind) => kind,
            None if IGNORED_TYPES.contains(&rtype.as_str()) => return Ok(()),
            None => return Err(SyntaxError::UnsupportedType(rtype)),
        };
        let mut rdata = Rdata {
            rtype: kind,
            tokens: tokens.collect::<Vec<_>>().into_iter(),
        };
        match kind {
            RecordKind::A => {
                let ip = rdata.parse::<Ipv4Addr>("address")?;
                rdata.end()?;
                self.add(owner, |node| push_new(&mut node.addresses, IpAddr::V4(ip)))
            }
            RecordKind::Aaaa => {
                let ip = rdata.parse::<Ipv6Addr>("address")?;
                rdata.end()?;
                self.add(owner, |node| push_new(&mut node.addresses, IpAddr::V6(ip)))
            }
            RecordKind::Cname => {
                let target = self.name(&rdata.next("target")?)?;
                rdata.end()?;
                self.add_cname(owner, target)
            }
            RecordKind::Mx => {
                let preference = rdata.parse::<u16>("preference")?;
                // RFC 7505 §3: a null MX has the exchange ".", an absolute name.
                let exchange = self.name(&rdata.next("exchange")?)?;
                rdata.end()?;
                let mx = Mx {
                    preference,
                    exchange,
                };
                self.add(owner, |node| push_new(&mut node.mx, mx))
            }
            RecordKind::Txt => {
                let txt = rdata.character_strings()?;
                self.add(owner, |node| push_new(&mut node.txt, txt))
            }
            RecordKind::Tlsa => {
                let tlsa = rdata.tlsa()?;
                self.add(owner, |node| push_new(&mut node.tlsa, tlsa))
            }
        }
    }

    /// Adds data at `owner`, which must not be an alias.
    fn add(&mut self, owner: String, add: impl FnOnce(&mut Node)) -> Result<(), SyntaxError> {
        let node = self.zone.nodes.entry(owner.clone()).or_default();
        if node.cname.is_some() {
            return Err(SyntaxError::CnameAndOtherData(owner));
        }
        add(node);
        Ok(())
    }

    /// RFC 2181 §10.1: an alias has no other data, and one target.
    fn add_cname(&mut self, owner: String, target: String) -> Result<(), SyntaxError> {
        let node = self.zone.nodes.entry(owner.clone()).or_default();
        match &node.cname {
            Some(existing) if *existing == target => Ok(()),
            Some(_) => Err(SyntaxError::CnameAndOtherData(owner)),
            None if node.has_data() => Err(SyntaxError::CnameAndOtherData(owner)),
            None => {
                node.cname = Some(target);
                Ok(())
            }
        }
    }

    /// `; @insecure <name>`, `; @servfail <type> <name> [ede=<code>]`,
    /// `; @refused <type> <name>`, `; @timeout <type> <name>`.
    fn directive(&mut self, words: &[String]) -> Result<(), SyntaxError> {
        let token = |text: &String| Token {
            text: text.clone(),
            quoted: false,
        };
        let Some((first, arguments)) = words.split_first() else {
            return Ok(());
        };
        let (directive, expected): (&'static str, &'static str) =
            match first.to_ascii_lowercase().as_str() {
                "insecure" => {
                    let [name] = arguments else {
                        return Err(SyntaxError::MalformedDirective {
                            directive: "insecure",
                            expected: "@insecure <name>",
                        });
                    };
                    let name = self.name(&token(name))?;
                    self.zone.insecure.push(name);
                    return Ok(());
                }
                "servfail" => ("servfail", "@servfail <type> <name> [ede=<code>]"),
                "refused" => ("refused", "@refused <type> <name>"),
                "timeout" => ("timeout", "@timeout <type> <name>"),
                _ => return Err(SyntaxError::UnknownDirective(first.clone())),
            };
        let malformed = SyntaxError::MalformedDirective {
            directive,
            expected,
        };
        let (rtype, name, extended_error) = match (directive, arguments) {
            (_, [rtype, name]) => (rtype, name, None),
            ("servfail", [rtype, name, ede]) => {
                let code = ede
                    .strip_prefix("ede=")
                    .and_then(|code| code.parse::<u16>().ok())
                    .ok_or(malformed.clone())?;
                (rtype, name, Some(code))
            }
            _ => return Err(malformed),
        };
        let kinds: Vec<RecordKind> = if rtype.eq_ignore_ascii_case("ip") {
            vec![RecordKind::A, RecordKind::Aaaa]
        } else {
            vec![RecordKind::parse(rtype).ok_or(malformed)?]
        };
        let name = self.name(&token(name))?;
        let failure = match directive {
            "servfail" => Failure::Servfail { extended_error },
            "refused" => Failure::Refused,
            _ => Failure::Timeout,
        };
        for kind in kinds {
            self.zone.failures.insert((kind, name.clone()), failure);
        }
        Ok(())
    }
}

/// The RDATA fields of one record.
struct Rdata {
    rtype: RecordKind,
    tokens: std::vec::IntoIter<Token>,
}

impl Rdata {
    fn next(&mut self, field: &'static str) -> Result<Token, SyntaxError> {
        self.tokens.next().ok_or(SyntaxError::MissingField {
            rtype: self.rtype,
            field,
        })
    }

    fn parse<T: std::str::FromStr>(&mut self, field: &'static str) -> Result<T, SyntaxError> {
        let token = self.next(field)?;
        match token.quoted {
            false => token.text.parse::<T>().ok(),
            true => None,
        }
        .ok_or(SyntaxError::InvalidField {
            rtype: self.rtype,
            field,
            value: token.text,
        })
    }

    fn end(&mut self) -> Result<(), SyntaxError> {
        match self.tokens.next() {
            Some(extra) => Err(SyntaxError::TrailingData {
                rtype: self.rtype,
                value: extra.text,
            }),
            None => Ok(()),
        }
    }

    /// RFC 1035 §3.3.14: one or more character-strings, concatenated.
    fn character_strings(&mut self) -> Result<Vec<u8>, SyntaxError> {
        let first = self.next("character-string")?;
        let mut data = Vec::new();
        for token in std::iter::once(first).chain(self.tokens.by_ref()) {
            let bytes = unescape(&token.text).ok_or(SyntaxError::InvalidField {
                rtype: self.rtype,
                field: "escape",
                value: token.text.clone(),
            })?;
            if bytes.len() > MAX_CHARACTER_STRING {
                return Err(SyntaxError::LongString);
            }
            data.extend(bytes);
        }
        Ok(data)
    }

    /// RFC 6698 §2.2: usage, selector and matching type as numbers, then the data in hex,
    /// "which MAY include whitespace".
    fn tlsa(&mut self) -> Result<Tlsa, SyntaxError> {
        let usage = self.parse::<u8>("usage")?;
        let selector = self.parse::<u8>("selector")?;
        let matching_type = self.parse::<u8>("matching type")?;
        let first = self.next("certificate association data")?;
        let hex: String = std::iter::once(first)
            .chain(self.tokens.by_ref())
            .map(|token| token.text)
            .collect();
        let data = decode_hex(&hex).ok_or(SyntaxError::InvalidField {
            rtype: self.rtype,
            field: "hex data",
            value: hex,
        })?;
        Ok(Tlsa {
            usage,
            selector,
            matching_type,
            data,
        })
    }
}

/// RFC 1035 §5.1: `\X` is X, `\DDD` the octet with decimal value DDD.
fn unescape(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let digits = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(u8::is_ascii_digit));
        match digits {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
                out.push(u8::try_from(value).ok()?);
                i += 4;
            }
            None => {
                out.push(*bytes.get(i + 1)?);
                i += 2;
            }
        }
    }
    Some(out)
}

/// Hex digits, an even number of them, at least one byte.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if hex.is_empty() {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let [high, low] = pair else { return None };
            let high = char::from(*high).to_digit(16)?;
            let low = char::from(*low).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

/// A TTL: seconds, or BIND's units (`1h30m`, `2d`).
fn is_ttl(text: &str) -> bool {
    let mut after_digit = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            after_digit = true;
        } else if after_digit && matches!(c.to_ascii_lowercase(), 's' | 'm' | 'h' | 'd' | 'w') {
            after_digit = false;
        } else {
            return false;
        }
    }
    text.starts_with(|c: char| c.is_ascii_digit())
}

/// Adds `value` unless it is there already: an RRset is a set (RFC 2181 §5).
fn push_new<T: PartialEq>(list: &mut Vec<T>, value: T) {
    if !list.contains(&value) {
        list.push(value);
    }
}

#[cfg(test)]
#[path = "zone_file_tests.rs"]
mod tests;
