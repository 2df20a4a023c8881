//! Validation of mail paths (the text between "<" and ">" of MAIL FROM and RCPT TO) before
//! they reach the wire.
//!
//! mox inserted paths verbatim, so a CR or LF in one injected commands. Here no
//! control character, no angle bracket, and no non-ASCII character without SMTPUTF8
//! (RFC 6531 §3.3) gets through, and the lengths of RFC 5321 §4.5.3.1 are enforced.

/// RFC 5321 §4.5.3.1.1: "The maximum total length of a user name or other local-part is 64
/// octets."
pub const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.3: "The maximum total length of a reverse-path or forward-path is 256
/// octets (including the punctuation and element separators)." This also keeps the domain
/// within the 255 octets of RFC 5321 §4.5.3.1.2.
pub const MAX_PATH: usize = 256;

/// Why a path cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// An empty forward path (only the reverse path may be empty, RFC 5321 §4.5.5).
    #[error("empty address")]
    Empty,
    /// A control character (below 0x20, or 0x7f), e.g. CR or LF.
    #[error("control character 0x{byte:02x} at byte {offset}")]
    ControlCharacter {
        /// The character.
        byte: u8,
        /// Its offset in the path.
        offset: usize,
    },
    /// "<" or ">" inside the path.
    #[error("angle bracket at byte {offset}")]
    AngleBracket {
        /// Its offset in the path.
        offset: usize,
    },
    /// A non-ASCII character while SMTPUTF8 is not requested (RFC 6531 §3.3).
    #[error("non-ascii character at byte {offset} without smtputf8")]
    NonAscii {
        /// Its offset in the path.
        offset: usize,
    },
    /// No "@" (only "postmaster" may go without a domain, RFC 5321 §4.1.1.3).
    #[error("missing @domain")]
    MissingDomain,
    /// The local part is longer than [`MAX_LOCAL_PART`].
    #[error("local part is {length} bytes, more than {MAX_LOCAL_PART}")]
    LocalPartTooLong {
        /// Its length.
        length: usize,
    },
    /// The path with its angle brackets is longer than [`MAX_PATH`].
    #[error("path is {length} bytes with angle brackets, more than {MAX_PATH}")]
    PathTooLong {
        /// Its length with the brackets.
        length: usize,
    },
}

/// Checks a reverse path for MAIL FROM; empty is the null sender (RFC 5321 §4.5.5).
///
/// # Errors
/// See [`AddressError`].
pub fn validate_reverse_path(path: &str, smtputf8: bool) -> Result<(), AddressError> {
    if path.is_empty() {
        return Ok(());
    }
    validate_mailbox(path, smtputf8, false)
}

/// Checks a forward path for RCPT TO.
///
/// # Errors
/// See [`AddressError`]; an empty path is [`AddressError::Empty`].
pub fn validate_forward_path(path: &str, smtputf8: bool) -> Result<(), AddressError> {
    if path.is_empty() {
        return Err(AddressError::Empty);
    }
    validate_mailbox(path, smtputf8, true)
}

fn validate_mailbox(path: &str, smtputf8: bool, forward: bool) -> Result<(), AddressError> {
    for (offset, &byte) in path.as_bytes().iter().enumerate() {
        match byte {
            0..=0x1f | 0x7f => return Err(AddressError::ControlCharacter { byte, offset }),
            b'<' | b'>' => return Err(AddressError::AngleBracket { offset }),
            // RFC 6531 §3.3: UTF-8 in mailboxes only with the SMTPUTF8 extension.
            0x80.. if !smtputf8 => return Err(AddressError::NonAscii { offset }),
            _ => {}
        }
    }
    let length = path.len() + 2;
    if length > MAX_PATH {
        return Err(AddressError::PathTooLong { length });
    }
    // The local part may be a quoted string holding "@": the domain follows the last one.
    let Some((local, _)) = path.rsplit_once('@') else {
        // RFC 5321 §4.1.1.3: "RCPT TO:<Postmaster>" ... MUST be accepted; no other path
        // goes without a domain.
        if forward && path.eq_ignore_ascii_case("postmaster") {
            return Ok(());
        }
        return Err(AddressError::MissingDomain);
    };
    if local.len() > MAX_LOCAL_PART {
        return Err(AddressError::LocalPartTooLong {
            length: local.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let local64 = "l".repeat(64);
        let local65 = "l".repeat(65);
        let long_local = format!("{local64}@example.org");
        let too_long_local = format!("{local65}@example.org");
        let domain = "d".repeat(189);
        let path254 = format!("{local64}@{domain}");
        let path255 = format!("{local64}@{domain}d");
        assert_eq!(path254.len(), 254);
        use AddressError::*;
        // (path, smtputf8, reverse result, forward result)
        type Want = Result<(), AddressError>;
        let cases: Vec<(&str, bool, Want, Want)> = vec![
            ("mjl@mox.example", false, Ok(()), Ok(())),
            ("", false, Ok(()), Err(Empty)),
            ("postmaster", false, Err(MissingDomain), Ok(())),
            ("PostMaster", false, Err(MissingDomain), Ok(())),
            ("mjl", false, Err(MissingDomain), Err(MissingDomain)),
            ("\"a@b\"@mox.example", false, Ok(()), Ok(())),
            (
                "a@b\r\nRCPT TO:<evil@x>",
                false,
                Err(ControlCharacter {
                    byte: b'\r',
                    offset: 3,
                }),
                Err(ControlCharacter {
                    byte: b'\r',
                    offset: 3,
                }),
            ),
            (
                "a\n@b",
                false,
                Err(ControlCharacter {
                    byte: b'\n',
                    offset: 1,
                }),
                Err(ControlCharacter {
                    byte: b'\n',
                    offset: 1,
                }),
            ),
            (
                "a\0@b",
                true,
                Err(ControlCharacter { byte: 0, offset: 1 }),
                Err(ControlCharacter { byte: 0, offset: 1 }),
            ),
            (
                "a\x7f@b",
                true,
                Err(ControlCharacter {
                    byte: 0x7f,
                    offset: 1,
                }),
                Err(ControlCharacter {
                    byte: 0x7f,
                    offset: 1,
                }),
            ),
            (
                "a>@b",
                false,
                Err(AngleBracket { offset: 1 }),
                Err(AngleBracket { offset: 1 }),
            ),
            (
                "<a@b",
                false,
                Err(AngleBracket { offset: 0 }),
                Err(AngleBracket { offset: 0 }),
            ),
            (
                "jöran@mox.example",
                false,
                Err(NonAscii { offset: 1 }),
                Err(NonAscii { offset: 1 }),
            ),
            ("jöran@mox.example", true, Ok(()), Ok(())),
            ("a@møx.example", true, Ok(()), Ok(())),
            (&long_local, false, Ok(()), Ok(())),
            (
                &too_long_local,
                false,
                Err(LocalPartTooLong { length: 65 }),
                Err(LocalPartTooLong { length: 65 }),
            ),
            (&path254, false, Ok(()), Ok(())),
            (
                &path255,
                false,
                Err(PathTooLong { length: 257 }),
                Err(PathTooLong { length: 257 }),
            ),
        ];
        for (path, utf8, reverse, forward) in cases {
            assert_eq!(
                validate_reverse_path(path, utf8),
                reverse,
                "reverse {path:?}"
            );
            assert_eq!(
                validate_forward_path(path, utf8),
                forward,
                "forward {path:?}"
            );
        }
    }
}
