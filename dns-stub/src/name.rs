//! Domain names as the resolvers take them: ASCII, absolute, lowercase, with the trailing dot.
//!
//! Every name given to a lookup is treated as absolute, with or without its trailing dot;
//! search domains are never applied.

use crate::types::LookupError;

/// RFC 1035 §2.3.4: "labels 63 octets or less".
const MAX_LABEL: usize = 63;
/// RFC 1035 §2.3.4: "names 255 octets or less" on the wire, i.e. 253 characters in text
/// without the trailing dot.
const MAX_NAME: usize = 253;

/// Normalises `name` to a lowercase ASCII FQDN with a trailing dot ("." for the root).
///
/// Labels may hold letters, digits, `-` and `_` (for `_25._tcp.` and `_mta-sts.` names).
///
/// # Errors
/// [`LookupError::Permanent`] for an empty label, a label over 63 characters, a name over
/// 253 characters, or any other character.
pub fn fqdn(name: &str) -> Result<String, LookupError> {
    let bad = |why: &str| LookupError::permanent(format!("invalid name {name:?}: {why}"));
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return if name == "." {
            Ok(".".to_string())
        } else {
            Err(bad("empty name"))
        };
    }
    if trimmed.len() > MAX_NAME {
        return Err(bad("name too long"));
    }
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(bad("empty label"));
        }
        if label.len() > MAX_LABEL {
            return Err(bad("label too long"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad("only letters, digits, '-' and '_' are allowed"));
        }
    }
    Ok(format!("{}.", trimmed.to_ascii_lowercase()))
}

/// The TLSA owner name `_<port>._<protocol>.<host>.`.
///
/// [RFC 6698 §3](https://www.rfc-editor.org/rfc/rfc6698#section-3)
///
/// # Errors
/// [`LookupError::Permanent`] when the result is not a valid name.
pub fn tlsa_name(port: u16, protocol: &str, host: &str) -> Result<String, LookupError> {
    if protocol.is_empty() || protocol.contains('.') {
        return Err(LookupError::permanent(format!(
            "invalid tlsa protocol {protocol:?}"
        )));
    }
    // RFC 6698 §3: "The first label ... the decimal representation of the port number ...
    // prepended with an underscore"; the second is the protocol name, also with an underscore.
    fqdn(&format!("_{port}._{protocol}.{host}"))
}

/// True if `name` equals `zone` or lies below it (both as returned by [`fqdn`]).
pub fn is_at_or_below(name: &str, zone: &str) -> bool {
    zone == "." || name == zone || name.ends_with(&format!(".{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_table() {
        let long_label = "a".repeat(64);
        let long_name = format!("{}.com", vec!["a".repeat(63); 4].join("."));
        for (input, want) in [
            ("Example.COM", Some("example.com.")),
            ("example.com.", Some("example.com.")),
            ("_25._tcp.mx.example", Some("_25._tcp.mx.example.")),
            (".", Some(".")),
            ("", None),
            ("..", None),
            ("a..b", None),
            ("a b.example", None),
            ("bücher.example", None),
            ("a\\.b.example", None),
            (long_label.as_str(), None),
            (long_name.as_str(), None),
        ] {
            assert_eq!(fqdn(input).ok().as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn tlsa_names() {
        assert_eq!(
            tlsa_name(25, "tcp", "MX.example").unwrap(),
            "_25._tcp.mx.example."
        );
        assert!(tlsa_name(25, "", "mx.example").is_err());
    }

    #[test]
    fn below() {
        assert!(is_at_or_below("a.b.example.", "b.example."));
        assert!(is_at_or_below("b.example.", "b.example."));
        assert!(!is_at_or_below("ab.example.", "b.example."));
        assert!(is_at_or_below("x.", "."));
    }
}
