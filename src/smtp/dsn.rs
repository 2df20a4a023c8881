//! Delivery status notification parameters ([RFC 3461](https://www.rfc-editor.org/rfc/rfc3461)):
//! RET and ENVID on MAIL FROM, NOTIFY and ORCPT on RCPT TO, and the xtext encoding.
//!
//! Values are validated when built, so encoding never fails and never puts a space, a
//! control character or a non-ASCII byte on the wire. An original recipient of address type
//! "utf-8" (RFC 6533 §3) is encoded as utf-8-addr-xtext, so it may be non-ASCII.
//!
//! ```text
//! ret-value           = "FULL" / "HDRS"                          ; RFC 3461 §4.3
//! envid-parameter     = "ENVID=" xtext                           ; RFC 3461 §4.4
//! notify-esmtp-value  = "NEVER" / 1#notify-list-element          ; RFC 3461 §4.1
//! notify-list-element = "SUCCESS" / "FAILURE" / "DELAY"
//! orcpt-parameter     = "ORCPT=" original-recipient-address      ; RFC 3461 §4.2
//! original-recipient-address = addr-type ";" xtext
//! xtext   = *( xchar / hexchar )                                 ; RFC 3461 §4
//! xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+" and "="
//! hexchar = ASCII "+" immediately followed by two upper case hexadecimal digits
//! utf-8-addr-xtext = 1*(QCHAR / EmbeddedUnicodeChar)             ; RFC 6533 §3
//! QCHAR   = %x21-2a / %x2c-3c / %x3e-5b / %x5d-7e
//! EmbeddedUnicodeChar = %x5C.78 "{" HEXPOINT "}"
//! ```

use std::fmt;
use std::str::FromStr;

/// RFC 3461 §4.4: the longest ENVID value, in characters once encoded.
pub const MAX_ENVID: usize = 100;
/// RFC 3461 §4.2: the longest ORCPT value (addr-type, ";" and the encoded address), in
/// characters.
pub const MAX_ORCPT: usize = 500;

/// A DSN parameter that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsnError {
    /// RFC 3461 §4.1: "NEVER" must appear alone, and a list must name something.
    #[error("invalid notify value {0:?}: NEVER alone, or a list of SUCCESS, FAILURE, DELAY")]
    Notify(String),
    /// RFC 3461 §4.3: RET is FULL or HDRS.
    #[error("invalid ret value {0:?}: FULL or HDRS")]
    Ret(String),
    /// RFC 3461 §4.2, §4.4: only printable US-ASCII (and space) can be encoded.
    #[error("{parameter} must be printable us-ascii")]
    NotPrintable {
        /// "ENVID" or "ORCPT".
        parameter: &'static str,
    },
    /// The encoded value is longer than the RFC allows.
    #[error("{parameter} too long: {length} characters encoded, at most {max}")]
    TooLong {
        /// "ENVID" or "ORCPT".
        parameter: &'static str,
        /// The encoded length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// RFC 3461 §4.2: addr-type = atom (RFC 5322 §3.2.3).
    #[error("invalid orcpt address type {0:?}")]
    AddrType(String),
}

/// RFC 3461 §4.3: whether a failure DSN returns the full message or only its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// "RET=FULL".
    Full,
    /// "RET=HDRS".
    Hdrs,
}

impl Ret {
    /// "FULL" or "HDRS".
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Hdrs => "HDRS",
        }
    }
}

impl FromStr for Ret {
    type Err = DsnError;

    /// Parses "FULL" or "HDRS", case-insensitively.
    fn from_str(s: &str) -> Result<Self, DsnError> {
        if s.eq_ignore_ascii_case("FULL") {
            Ok(Self::Full)
        } else if s.eq_ignore_ascii_case("HDRS") {
            Ok(Self::Hdrs)
        } else {
            Err(DsnError::Ret(s.to_string()))
        }
    }
}

/// RFC 3461 §4.1: when the recipient's DSNs are wanted. Only valid values can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Notify {
    success: bool,
    failure: bool,
    delay: bool,
}

impl Notify {
    /// "NEVER": no DSN at all.
    pub const NEVER: Self = Self {
        success: false,
        failure: false,
        delay: false,
    };

    /// A list of conditions.
    ///
    /// # Errors
    /// [`DsnError::Notify`] when none is set (that would be NEVER: use [`Notify::NEVER`]).
    pub fn on(success: bool, failure: bool, delay: bool) -> Result<Self, DsnError> {
        if !(success || failure || delay) {
            return Err(DsnError::Notify(String::new()));
        }
        Ok(Self {
            success,
            failure,
            delay,
        })
    }

    /// True for NEVER.
    #[must_use]
    pub fn is_never(self) -> bool {
        self == Self::NEVER
    }
}

impl fmt::Display for Notify {
    /// The parameter value: "NEVER" or e.g. "SUCCESS,FAILURE".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            return f.write_str("NEVER");
        }
        let names = [
            (self.success, "SUCCESS"),
            (self.failure, "FAILURE"),
            (self.delay, "DELAY"),
        ];
        let list: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        f.write_str(&list.join(","))
    }
}

impl FromStr for Notify {
    type Err = DsnError;

    /// Parses "NEVER" or a comma-separated list of SUCCESS, FAILURE, DELAY, case-insensitively.
    fn from_str(s: &str) -> Result<Self, DsnError> {
        let bad = || DsnError::Notify(s.to_string());
        if s.eq_ignore_ascii_case("NEVER") {
            return Ok(Self::NEVER);
        }
        let mut notify = Self::NEVER;
        for item in s.split(',') {
            let flag = match item.to_ascii_uppercase().as_str() {
                "SUCCESS" => &mut notify.success,
                "FAILURE" => &mut notify.failure,
                "DELAY" => &mut notify.delay,
                // RFC 3461 §4.1: "NEVER" combined with anything else is invalid.
                _ => return Err(bad()),
            };
            if *flag {
                return Err(bad());
            }
            *flag = true;
        }
        Ok(notify)
    }
}

/// DSN parameters of MAIL FROM (RFC 3461 §4.3, §4.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailDsn {
    ret: Option<Ret>,
    /// The ENVID, already xtext-encoded.
    envid: Option<String>,
}

impl MailDsn {
    /// RET and an envelope identifier (sent back in DSNs, RFC 3461 §4.4).
    ///
    /// # Errors
    /// [`DsnError`] when the envelope identifier is not printable US-ASCII or is longer than
    /// [`MAX_ENVID`] characters once encoded.
    pub fn new(ret: Option<Ret>, envid: Option<&str>) -> Result<Self, DsnError> {
        let envid = envid
            .map(|id| encode_limited("ENVID", id, MAX_ENVID))
            .transpose()?;
        Ok(Self { ret, envid })
    }

    /// The RET parameter.
    #[must_use]
    pub fn ret(&self) -> Option<Ret> {
        self.ret
    }

    /// The ENVID parameter as sent (xtext).
    #[must_use]
    pub fn envid_xtext(&self) -> Option<&str> {
        self.envid.as_deref()
    }

    /// Appends " RET=... ENVID=..." to a MAIL command.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(ret) = self.ret {
            out.extend_from_slice(b" RET=");
            out.extend_from_slice(ret.as_str().as_bytes());
        }
        if let Some(envid) = &self.envid {
            out.extend_from_slice(b" ENVID=");
            out.extend_from_slice(envid.as_bytes());
        }
    }
}

/// DSN parameters of RCPT TO (RFC 3461 §4.1, §4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcptDsn {
    notify: Option<Notify>,
    /// The ORCPT value as sent: addr-type ";" xtext.
    orcpt: Option<String>,
}

impl RcptDsn {
    /// NOTIFY and ORCPT. `orcpt` is the address type (usually "rfc822") and the original
    /// recipient address.
    ///
    /// # Errors
    /// [`DsnError`] for an address type that is not an atom, an address that is not
    /// printable US-ASCII, or an encoded ORCPT longer than [`MAX_ORCPT`] characters.
    pub fn new(notify: Option<Notify>, orcpt: Option<(&str, &str)>) -> Result<Self, DsnError> {
        let orcpt = orcpt
            .map(|(addr_type, address)| {
                // RFC 5322 §3.2.3: atom = 1*atext.
                let atext =
                    |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
                if addr_type.is_empty() || !addr_type.chars().all(atext) {
                    return Err(DsnError::AddrType(addr_type.to_string()));
                }
                let encoded = if addr_type.eq_ignore_ascii_case("utf-8") {
                    utf8_addr_xtext(address)?
                } else {
                    xtext("ORCPT", address)?
                };
                let value = format!("{addr_type};{encoded}");
                check_length("ORCPT", value, MAX_ORCPT)
            })
            .transpose()?;
        Ok(Self { notify, orcpt })
    }

    /// The NOTIFY parameter.
    #[must_use]
    pub fn notify(&self) -> Option<Notify> {
        self.notify
    }

    /// The ORCPT parameter as sent: addr-type ";" xtext.
    #[must_use]
    pub fn orcpt_value(&self) -> Option<&str> {
        self.orcpt.as_deref()
    }

    /// Appends " NOTIFY=... ORCPT=..." to a RCPT command.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if let Some(notify) = self.notify {
            out.extend_from_slice(format!(" NOTIFY={notify}").as_bytes());
        }
        if let Some(orcpt) = &self.orcpt {
            out.extend_from_slice(b" ORCPT=");
            out.extend_from_slice(orcpt.as_bytes());
        }
    }
}

/// Encodes `value` as xtext (RFC 3461 §4). Only printable US-ASCII and space are accepted:
/// RFC 3461 §4.2 and §4.4 restrict the original recipient and the envelope identifier to
/// printable (graphic and white space) US-ASCII.
///
/// # Errors
/// [`DsnError::NotPrintable`] for other characters.
pub fn xtext(parameter: &'static str, value: &str) -> Result<String, DsnError> {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            // xchar: "!" (33) to "~" (126), except "+" and "=".
            b'!'..=b'~' if b != b'+' && b != b'=' => out.push(char::from(b)),
            // hexchar: "+" and two upper case hexadecimal digits.
            b' '..=b'~' => out.push_str(&format!("+{b:02X}")),
            _ => return Err(DsnError::NotPrintable { parameter }),
        }
    }
    Ok(out)
}

/// Encodes an address as utf-8-addr-xtext (RFC 6533 §3): printable ASCII but "+", "=" and
/// "\" as it is; those, space and non-ASCII characters as `\x{HEX}` (upper case, no
/// leading zero).
///
/// # Errors
/// [`DsnError::NotPrintable`] for a control character.
fn utf8_addr_xtext(value: &str) -> Result<String, DsnError> {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '!'..='~' if !matches!(c, '+' | '=' | '\\') => out.push(c),
            c if c.is_control() => return Err(DsnError::NotPrintable { parameter: "ORCPT" }),
            c => out.push_str(&format!("\\x{{{:X}}}", u32::from(c))),
        }
    }
    Ok(out)
}

fn encode_limited(parameter: &'static str, value: &str, max: usize) -> Result<String, DsnError> {
    check_length(parameter, xtext(parameter, value)?, max)
}

fn check_length(parameter: &'static str, value: String, max: usize) -> Result<String, DsnError> {
    if value.len() > max {
        return Err(DsnError::TooLong {
            parameter,
            length: value.len(),
            max,
        });
    }
    Ok(value)
}

#[cfg(test)]
#[path = "dsn_tests.rs"]
mod tests;
