//! The MTA-STS policy text (RFC 8461 §3.2): `key: value` lines with the version, the mode,
//! the MX patterns and the maximum age.

use std::fmt;

use crate::dns::Domain;

/// RFC 8461 §3.2: the policy "SHOULD NOT be larger than 64 KiB"; larger ones are refused.
pub const MAX_POLICY_SIZE: usize = 64 * 1024;

/// RFC 8461 §3.2 "max_age": "up to 31557600" seconds (about one year).
pub const MAX_MAX_AGE: u32 = 31_557_600;

/// RFC 8461 §3.2 "mode".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// "Sending MTAs MUST NOT deliver the message to hosts that fail MX matching or
    /// certificate validation".
    Enforce,
    /// Failures are reported (RFC 8460), delivery goes on.
    Testing,
    /// "there is no expected policy".
    None,
}

impl Mode {
    /// The value as written in a policy.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Testing => "testing",
            Self::None => "none",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A valid policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The mode.
    pub mode: Mode,
    /// The MX patterns as written (RFC 8461 §3.2 "mx"), e.g. "mail.example.com" or
    /// "*.example.net"; see [`super::matching`].
    pub mx: Vec<String>,
    /// Seconds the policy may be cached (RFC 8461 §3.2 "max_age").
    pub max_age: u32,
    /// The policy's lines without their terminators, for TLS reports (RFC 8460 §4.4
    /// "policy-string").
    pub lines: Vec<String>,
}

/// Why a policy text is invalid; line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Larger than [`MAX_POLICY_SIZE`].
    #[error("policy of {size} bytes, larger than {max}")]
    TooLarge {
        /// The size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The text is not UTF-8 (the grammar allows only ASCII and UTF-8 in values).
    #[error("policy is not utf-8")]
    NotUtf8,
    /// A line is not `key: value`, or its key or value has characters the grammar forbids.
    #[error("line {line}: not a \"key: value\" field: {text:?}")]
    BadLine {
        /// The line number.
        line: usize,
        /// The line, cut to 64 characters.
        text: String,
    },
    /// A field other than "mx" appears twice.
    #[error("line {line}: {key} given again")]
    Duplicate {
        /// The line number.
        line: usize,
        /// The key.
        key: &'static str,
    },
    /// A known field with a value the grammar forbids.
    #[error("line {line}: invalid {key} {value:?}")]
    BadValue {
        /// The line number.
        line: usize,
        /// The key.
        key: &'static str,
        /// The value, cut to 64 characters.
        value: String,
    },
    /// A required field is missing.
    #[error("policy without {key}")]
    Missing {
        /// The key.
        key: &'static str,
    },
}

fn cut(s: &str) -> String {
    s.chars().take(64).collect()
}

impl Policy {
    /// Parses a policy body as served.
    ///
    /// ```text
    /// sts-policy-record   = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
    /// sts-policy-field-delim = ":" *WSP
    /// sts-policy-version  = %s"version" sts-policy-field-delim %s"STSv1"
    /// sts-policy-mode     = %s"mode" sts-policy-field-delim ("testing" / "enforce" / "none")
    /// sts-policy-max-age  = %s"max_age" sts-policy-field-delim 1*10(DIGIT)
    /// sts-policy-mx       = %s"mx" sts-policy-field-delim ["*."] Domain
    /// sts-policy-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
    /// sts-policy-term     = LF / CRLF
    /// ```
    ///
    /// Empty lines are skipped (servers commonly end the text with one).
    ///
    /// # Errors
    /// [`PolicyError`] naming the first bad line, or the missing field.
    pub fn parse(body: &[u8]) -> Result<Self, PolicyError> {
        if body.len() > MAX_POLICY_SIZE {
            return Err(PolicyError::TooLarge {
                size: body.len(),
                max: MAX_POLICY_SIZE,
            });
        }
        let text = std::str::from_utf8(body).map_err(|_| PolicyError::NotUtf8)?;
        let mut version = false;
        let mut mode = None;
        let mut max_age = None;
        let mut mx = Vec::new();
        let mut lines = Vec::new();
        // RFC 8461 §3.2 `sts-policy-term = LF / CRLF`.
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            let bad = || PolicyError::BadLine {
                line,
                text: cut(raw),
            };
            let (key, value) = raw.split_once(':').ok_or_else(bad)?;
            // `sts-policy-field-delim = ":" *WSP`, and `*WSP` after each field.
            let value = value.trim_matches([' ', '\t']);
            let bad_value = |key| PolicyError::BadValue {
                line,
                key,
                value: cut(value),
            };
            match key {
                "version" => {
                    if std::mem::replace(&mut version, true) {
                        return Err(PolicyError::Duplicate {
                            line,
                            key: "version",
                        });
                    }
                    if value != "STSv1" {
                        return Err(bad_value("version"));
                    }
                }
                "mode" => {
                    let parsed = match value {
                        "enforce" => Mode::Enforce,
                        "testing" => Mode::Testing,
                        "none" => Mode::None,
                        _ => return Err(bad_value("mode")),
                    };
                    if mode.replace(parsed).is_some() {
                        return Err(PolicyError::Duplicate { line, key: "mode" });
                    }
                }
                "max_age" => {
                    // `1*10(DIGIT)`, and RFC 8461 §3.2 "up to 31557600".
                    let parsed = (!value.is_empty()
                        && value.len() <= 10
                        && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<u64>().ok())
                    .flatten()
                    .filter(|v| *v <= u64::from(MAX_MAX_AGE))
                    .ok_or_else(|| bad_value("max_age"))?;
                    let parsed = u32::try_from(parsed).map_err(|_| bad_value("max_age"))?;
                    if max_age.replace(parsed).is_some() {
                        return Err(PolicyError::Duplicate {
                            line,
                            key: "max_age",
                        });
                    }
                }
                "mx" => {
                    if !valid_pattern(value) {
                        return Err(bad_value("mx"));
                    }
                    mx.push(value.to_string());
                }
                // RFC 8461 §3.2: "Additional "key: value" pairs can be included ... MUST
                // ignore" unknown ones; they must still be well-formed.
                _ if ext_name(key) && ext_value(value) => {}
                _ => return Err(bad()),
            }
            lines.push(raw.to_string());
        }
        if !version {
            return Err(PolicyError::Missing { key: "version" });
        }
        let mode = mode.ok_or(PolicyError::Missing { key: "mode" })?;
        let max_age = max_age.ok_or(PolicyError::Missing { key: "max_age" })?;
        // RFC 8461 §3.2 "mx": "This field MUST be present if mode is not none".
        if mx.is_empty() && mode != Mode::None {
            return Err(PolicyError::Missing { key: "mx" });
        }
        Ok(Policy {
            mode,
            mx,
            max_age,
            lines,
        })
    }
}

/// `["*."] Domain`, the domain a valid host name (A-labels or U-labels).
fn valid_pattern(value: &str) -> bool {
    let name = value.strip_prefix("*.").unwrap_or(value);
    Domain::parse_lax(name).is_ok()
}

fn ext_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.len() <= 32
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// `sts-policy-ext-value`: visible characters (ASCII or UTF-8) and inner spaces; the
/// surrounding whitespace is already trimmed.
fn ext_value(value: &str) -> bool {
    !value.is_empty() && value.chars().all(|c| c == ' ' || !c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8461 §3.2 example.
    const EXAMPLE: &str = "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n";

    #[test]
    fn rfc_example() {
        let policy = Policy::parse(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(policy.mode, Mode::Enforce);
        assert_eq!(
            policy.mx,
            ["mail.example.com", "*.example.net", "backupmx.example.com"]
        );
        assert_eq!(policy.max_age, 604_800);
        assert_eq!(policy.lines.len(), 6);
        assert_eq!(policy.lines[0], "version: STSv1");
        let crlf = EXAMPLE.replace('\n', "\r\n");
        assert_eq!(Policy::parse(crlf.as_bytes()).unwrap(), policy);
        let unterminated = EXAMPLE.trim_end();
        assert_eq!(Policy::parse(unterminated.as_bytes()).unwrap(), policy);
    }

    #[test]
    fn order_whitespace_and_extensions() {
        let text = "mx:mx.example.com \r\nmax_age:\t0\nx-ext.1: some value ü\nversion: STSv1\nmode: testing\n\n";
        let policy = Policy::parse(text.as_bytes()).unwrap();
        assert_eq!(policy.mode, Mode::Testing);
        assert_eq!(policy.mx, ["mx.example.com"]);
        assert_eq!(policy.max_age, 0);
        assert_eq!(policy.lines.len(), 5);
        let none = Policy::parse(b"version: STSv1\nmode: none\nmax_age: 31557600\n").unwrap();
        assert_eq!(none.mode, Mode::None);
        assert!(none.mx.is_empty());
        assert_eq!(none.max_age, MAX_MAX_AGE);
    }

    #[test]
    fn errors_name_the_line() {
        let base = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n";
        let cases: &[(&str, PolicyError)] = &[
            (
                "version: STSv1\nmode enforce\n",
                PolicyError::BadLine {
                    line: 2,
                    text: "mode enforce".into(),
                },
            ),
            (
                "version: STSv2\n",
                PolicyError::BadValue {
                    line: 1,
                    key: "version",
                    value: "STSv2".into(),
                },
            ),
            (
                "version: STSv1\nmode: Enforce\n",
                PolicyError::BadValue {
                    line: 2,
                    key: "mode",
                    value: "Enforce".into(),
                },
            ),
            (
                "version: STSv1\nmode: enforce\nmax_age: 31557601\n",
                PolicyError::BadValue {
                    line: 3,
                    key: "max_age",
                    value: "31557601".into(),
                },
            ),
            (
                "version: STSv1\nmax_age: -1\n",
                PolicyError::BadValue {
                    line: 2,
                    key: "max_age",
                    value: "-1".into(),
                },
            ),
            (
                "version: STSv1\nmax_age: 00000000001\n",
                PolicyError::BadValue {
                    line: 2,
                    key: "max_age",
                    value: "00000000001".into(),
                },
            ),
            (
                "version: STSv1\nmax_age:\n",
                PolicyError::BadValue {
                    line: 2,
                    key: "max_age",
                    value: String::new(),
                },
            ),
            (
                "mx: *.*.example.com\n",
                PolicyError::BadValue {
                    line: 1,
                    key: "mx",
                    value: "*.*.example.com".into(),
                },
            ),
            (
                "mx: mx..example.com\n",
                PolicyError::BadValue {
                    line: 1,
                    key: "mx",
                    value: "mx..example.com".into(),
                },
            ),
            (
                "version: STSv1\nversion: STSv1\n",
                PolicyError::Duplicate {
                    line: 2,
                    key: "version",
                },
            ),
            (
                "mode: none\nmode: enforce\n",
                PolicyError::Duplicate {
                    line: 2,
                    key: "mode",
                },
            ),
            (
                "max_age: 1\nmax_age: 2\n",
                PolicyError::Duplicate {
                    line: 2,
                    key: "max_age",
                },
            ),
            (
                "version: STSv1\n_bad: x\n",
                PolicyError::BadLine {
                    line: 2,
                    text: "_bad: x".into(),
                },
            ),
            (
                "version: STSv1\next:\n",
                PolicyError::BadLine {
                    line: 2,
                    text: "ext:".into(),
                },
            ),
            (
                "mode: enforce\nmx: a.example\nmax_age: 1\n",
                PolicyError::Missing { key: "version" },
            ),
            (
                "version: STSv1\nmx: a.example\nmax_age: 1\n",
                PolicyError::Missing { key: "mode" },
            ),
            (
                "version: STSv1\nmode: none\n",
                PolicyError::Missing { key: "max_age" },
            ),
            (
                "version: STSv1\nmode: testing\nmax_age: 1\n",
                PolicyError::Missing { key: "mx" },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Policy::parse(text.as_bytes()).as_ref(), Err(want), "{text}");
        }
        assert!(Policy::parse(base.as_bytes()).is_ok());
        assert_eq!(
            Policy::parse(b"version: STSv1\n\xff"),
            Err(PolicyError::NotUtf8)
        );
    }

    #[test]
    fn size_cap() {
        let mut text = String::from("version: STSv1\nmode: none\nmax_age: 1\n");
        let padding = format!("x: {}\n", "a".repeat(1000));
        while text.len() + padding.len() <= MAX_POLICY_SIZE {
            text.push_str(&padding);
        }
        assert!(Policy::parse(text.as_bytes()).is_ok());
        text.push_str(&"a".repeat(MAX_POLICY_SIZE + 1 - text.len()));
        assert_eq!(
            Policy::parse(text.as_bytes()),
            Err(PolicyError::TooLarge {
                size: MAX_POLICY_SIZE + 1,
                max: MAX_POLICY_SIZE
            })
        );
    }
}
