//! The service extensions a server announces in its EHLO reply (RFC 5321 §4.1.1.1).
//!
//! Recognised, case-insensitively: STARTTLS (RFC 3207), ENHANCEDSTATUSCODES (RFC 2034),
//! 8BITMIME (RFC 6152), PIPELINING (RFC 2920), REQUIRETLS (RFC 8689), SMTPUTF8 (RFC 6531),
//! SIZE (RFC 1870), AUTH (RFC 4954), LIMITS (RFC 9422), CHUNKING and BINARYMIME (RFC 3030),
//! DSN (RFC 3461). Unknown keywords are kept in [`Extensions::keywords`] only.
//!
//! After STARTTLS the session parses a fresh `Extensions` from the second EHLO: RFC 3207 §4.2
//! "The client MUST discard any knowledge obtained from the server" (mox only ever added
//! flags).

use std::collections::BTreeMap;

use super::reply::Reply;

/// What the server announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// The text of every line after the first, as sent (lossy UTF-8).
    pub lines: Vec<String>,
    /// The keyword of every line after the first, upper case, for display.
    pub keywords: Vec<String>,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034): replies carry RFC 3463 codes.
    pub enhanced_status_codes: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// REQUIRETLS (RFC 8689).
    pub require_tls: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// SIZE (RFC 1870): `Some(0)` when announced without a limit (a bare "SIZE", or "SIZE 0").
    pub size: Option<u64>,
    /// AUTH mechanisms (RFC 4954), upper case, in the order announced.
    pub auth: Vec<String>,
    /// LIMITS (RFC 9422), when announced with a valid syntax.
    pub limits: Option<Limits>,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// BINARYMIME (RFC 3030).
    pub binary_mime: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
}

/// LIMITS (RFC 9422): every limit as announced, and the three the client uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Every limit, names upper case.
    pub values: BTreeMap<String, String>,
    /// MAILMAX: transactions per session; 0 when absent or invalid.
    pub mail_max: u32,
    /// RCPTMAX: recipients per transaction; 0 when absent or invalid.
    pub rcpt_max: u32,
    /// RCPTDOMAINMAX: recipient domains per transaction; 0 when absent or invalid.
    pub rcpt_domain_max: u32,
}

impl Extensions {
    /// Parses the lines after the first of a 250 EHLO reply.
    ///
    /// ```text
    /// ehlo-line      = ehlo-keyword *( SP ehlo-param )
    /// ehlo-keyword   = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    /// ```
    #[must_use]
    pub fn parse(reply: &Reply) -> Self {
        let mut ext = Self::default();
        for text in reply.texts().skip(1) {
            let text = String::from_utf8_lossy(text);
            let line = text.trim();
            if line.is_empty() {
                continue;
            }
            ext.lines.push(line.to_string());
            let end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(line.len());
            let keyword = line[..end].to_ascii_uppercase();
            let rest = &line[end..];
            ext.apply(&keyword, rest);
            ext.keywords.push(keyword);
        }
        ext
    }

    fn apply(&mut self, keyword: &str, rest: &str) {
        match keyword {
            "STARTTLS" => self.starttls = true,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes = true,
            "8BITMIME" => self.eight_bit_mime = true,
            "PIPELINING" => self.pipelining = true,
            "REQUIRETLS" => self.require_tls = true,
            // RFC 6531 §3.3: parameters are ignored.
            "SMTPUTF8" => self.smtputf8 = true,
            "CHUNKING" => self.chunking = true,
            "BINARYMIME" => self.binary_mime = true,
            "DSN" => self.dsn = true,
            // RFC 1870 §4: the SIZE parameter is optional, 0 means no fixed maximum. A bare
            // SIZE (which mox ignored) or an unparsable value: no announced limit.
            "SIZE" => self.size = Some(rest.trim().parse().unwrap_or(0)),
            // RFC 4954 §3: "AUTH" SP mechanisms; the obsolete "AUTH=" form from drafts that
            // some servers still send is accepted too.
            "AUTH" => {
                let list = rest.strip_prefix('=').unwrap_or(rest);
                for mechanism in list.split_ascii_whitespace() {
                    let mechanism = mechanism.to_ascii_uppercase();
                    if !self.auth.contains(&mechanism) {
                        self.auth.push(mechanism);
                    }
                }
            }
            // A bare LIMITS announces nothing; ignored, as in mox.
            "LIMITS" if !rest.is_empty() => self.limits = Limits::parse(rest),
            _ => {}
        }
    }
}

impl Limits {
    /// Parses the text after the LIMITS keyword, leading space included (as mox's `parseLimits`).
    ///
    /// ```text
    /// limits-param = SP limit-name "=" limit-value
    /// limit-name   = 1*(ALPHA / DIGIT / "-" / "_")
    /// limit-value  = 1*(%x21-3A / %x3C-7E)   ; VCHAR except ";"
    /// ```
    ///
    /// A syntax error anywhere makes the whole extension ignored, as RFC 9422 asks, so `None`;
    /// so does a duplicate name (mox's choice). mox switched on the name as sent
    /// rather than upper case; the upper-cased name is used here.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut limits = Self::default();
        let mut rest = text.as_bytes();
        while !rest.is_empty() {
            rest = rest.strip_prefix(b" ")?;
            let name_len = rest
                .iter()
                .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
                .count();
            if name_len == 0 {
                return None;
            }
            let (name, tail) = rest.split_at(name_len);
            let tail = tail.strip_prefix(b"=")?;
            let value_len = tail
                .iter()
                .take_while(|&&c| c > 0x20 && c < 0x7f && c != b';')
                .count();
            if value_len == 0 {
                return None;
            }
            let (value, tail) = tail.split_at(value_len);
            rest = tail;
            // Both are ASCII: checked above.
            let name = String::from_utf8_lossy(name).to_ascii_uppercase();
            let value = String::from_utf8_lossy(value).into_owned();
            // RFC 9422: an invalid value only makes that one limit unused.
            let number = limit_number(&value);
            match name.as_str() {
                "MAILMAX" => limits.mail_max = number,
                "RCPTMAX" => limits.rcpt_max = number,
                "RCPTDOMAINMAX" => limits.rcpt_domain_max = number,
                _ => {}
            }
            if limits.values.insert(name, value).is_some() {
                return None;
            }
        }
        Some(limits)
    }
}

/// RFC 9422: MAILMAX, RCPTMAX and RCPTDOMAINMAX values are 1 to 6 digits and greater than zero; anything else is 0 (not used).
fn limit_number(value: &str) -> u32 {
    if value.len() > 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    value.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::reply::ReplyCode;

    fn ehlo(lines: &[&str]) -> Extensions {
        let reply = Reply {
            code: ReplyCode::OK,
            enhanced: None,
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let sep = if i + 1 == lines.len() { ' ' } else { '-' };
                    format!("250{sep}{l}").into_bytes()
                })
                .collect(),
        };
        Extensions::parse(&reply)
    }

    #[test]
    fn keywords() {
        let ext = ehlo(&[
            "mox.example greets you",
            "pipelining",
            "Size 1000",
            "ENHANCEDSTATUSCODES",
            "STARTTLS",
            "8bitmime",
            "SMTPUTF8",
            "REQUIRETLS",
            "AUTH PLAIN  login",
            "AUTH=CRAM-MD5 PLAIN",
            "CHUNKING",
            "BINARYMIME",
            "DSN",
            "LIMITS MAILMAX=10 RCPTMAX=100 RCPTDOMAINMAX=1",
            "",
            "UNKNOWN x",
        ]);
        assert!(ext.pipelining && ext.enhanced_status_codes && ext.starttls);
        assert!(ext.eight_bit_mime && ext.smtputf8 && ext.require_tls);
        assert!(ext.chunking && ext.binary_mime && ext.dsn);
        assert_eq!(ext.size, Some(1000));
        assert_eq!(ext.auth, ["PLAIN", "LOGIN", "CRAM-MD5"]);
        let limits = ext.limits.as_ref().expect("limits");
        assert_eq!(
            (limits.mail_max, limits.rcpt_max, limits.rcpt_domain_max),
            (10, 100, 1)
        );
        assert_eq!(
            ext.keywords,
            [
                "PIPELINING",
                "SIZE",
                "ENHANCEDSTATUSCODES",
                "STARTTLS",
                "8BITMIME",
                "SMTPUTF8",
                "REQUIRETLS",
                "AUTH",
                "AUTH",
                "CHUNKING",
                "BINARYMIME",
                "DSN",
                "LIMITS",
                "UNKNOWN"
            ]
        );
        assert_eq!(ext.lines[1], "Size 1000");
        assert_eq!(ext.lines.len(), 14);
    }

    #[test]
    fn first_line_is_not_a_keyword() {
        let ext = ehlo(&["PIPELINING"]);
        assert_eq!(ext, Extensions::default());
    }

    #[test]
    fn size_forms() {
        for (line, want) in [
            ("SIZE", Some(0)),
            ("SIZE 0", Some(0)),
            ("SIZE 35882577", Some(35_882_577)),
            ("SIZE abc", Some(0)),
            ("SIZES 1", None),
        ] {
            assert_eq!(ehlo(&["mox.example", line]).size, want, "{line}");
        }
    }

    #[test]
    fn limits_spec_vectors() {
        // mox's TestLimits cases, argument with the leading space.
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        type Want = Option<(BTreeMap<String, String>, u32, u32, u32)>;
        let cases: Vec<(&str, Want)> = vec![
            (
                " unknown=a=b -_1oK=xY",
                Some((map(&[("UNKNOWN", "a=b"), ("-_1OK", "xY")]), 0, 0, 0)),
            ),
            (
                " MAILMAX=123 OTHER=ignored RCPTDOMAINMAX=1 RCPTMAX=321",
                Some((
                    map(&[
                        ("MAILMAX", "123"),
                        ("OTHER", "ignored"),
                        ("RCPTDOMAINMAX", "1"),
                        ("RCPTMAX", "321"),
                    ]),
                    123,
                    321,
                    1,
                )),
            ),
            (
                " MAILMAX=invalid",
                Some((map(&[("MAILMAX", "invalid")]), 0, 0, 0)),
            ),
            (" invalid syntax", None),
            (" DUP=1 DUP=2", None),
            // Lower-case names count (unlike mox); limits out of range are unused.
            (
                " mailmax=5 RCPTMAX=0 RCPTDOMAINMAX=1234567",
                Some((
                    map(&[
                        ("MAILMAX", "5"),
                        ("RCPTMAX", "0"),
                        ("RCPTDOMAINMAX", "1234567"),
                    ]),
                    5,
                    0,
                    0,
                )),
            ),
            (" A=1;", None),
            (" A=", None),
            ("A=1", None),
            (" =1", None),
        ];
        for (input, want) in cases {
            let got =
                Limits::parse(input).map(|l| (l.values, l.mail_max, l.rcpt_max, l.rcpt_domain_max));
            assert_eq!(got, want, "{input:?}");
        }
        // A bare LIMITS keyword, or a malformed one, is ignored.
        assert_eq!(ehlo(&["x", "LIMITS"]).limits, None);
        assert_eq!(ehlo(&["x", "LIMITS bad"]).limits, None);
    }
}
