//! MX host matching (RFC 8461 §4.1): is an MX host one the policy names?

use crate::dns::Domain;

/// Whether `host` (an MX host, with or without the trailing dot, A-labels or U-labels)
/// matches one of `patterns`.
#[must_use]
pub fn matches_any(patterns: &[String], host: &str) -> bool {
    patterns.iter().any(|pattern| matches(pattern, host))
}

/// Whether `host` matches `pattern`.
///
/// RFC 8461 §4.1: names are compared case-insensitively without the trailing dot, as A-labels
/// ("for IDNs, ... MUST be converted to A-labels"); "*." matches "exactly one label" on the
/// left: `*.example.com` matches `mx.example.com`, not `example.com` nor `a.mx.example.com`.
#[must_use]
pub fn matches(pattern: &str, host: &str) -> bool {
    let Some(host) = ascii(host) else {
        return false;
    };
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            let Some(parent) = ascii(parent) else {
                return false;
            };
            host.split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == parent)
        }
        None => ascii(pattern).is_some_and(|pattern| pattern == host),
    }
}

/// The A-label form of a name, lower case, without the trailing dot; `None` when invalid.
fn ascii(name: &str) -> Option<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    Domain::parse_lax(name).ok().map(|d| d.ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_wildcard() {
        let cases = [
            ("mail.example.com", "mail.example.com", true),
            ("mail.example.com", "MAIL.Example.COM.", true),
            ("Mail.Example.com.", "mail.example.com", true),
            ("mail.example.com", "mail2.example.com", false),
            ("mail.example.com", "example.com", false),
            ("*.example.net", "mx1.example.net", true),
            ("*.example.net", "MX1.EXAMPLE.NET.", true),
            ("*.example.net", "example.net", false),
            ("*.example.net", "a.mx1.example.net", false),
            ("*.example.net", "mx1.example.org", false),
            ("*.example.net", "mx1.xexample.net", false),
            // The wildcard is only a whole leftmost label.
            ("*x.example.net", "ax.example.net", false),
            ("mx.*.example.net", "mx.a.example.net", false),
            ("*.example.net", "*.example.net", false),
            ("mail.example.com", "", false),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(matches(pattern, host), want, "{pattern} vs {host}");
        }
    }

    #[test]
    fn idna_compares_a_labels() {
        let cases = [
            ("mx.xn--bcher-kva.example", "mx.bücher.example", true),
            ("mx.bücher.example", "mx.xn--bcher-kva.example.", true),
            ("*.bücher.example", "MX.xn--BCHER-kva.example", true),
            ("*.xn--bcher-kva.example", "mx.bücher.example", true),
            ("mx.bücher.example", "mx.bucher.example", false),
        ];
        for (pattern, host, want) in cases {
            assert_eq!(matches(pattern, host), want, "{pattern} vs {host}");
        }
    }

    #[test]
    fn any_of_the_patterns() {
        let patterns = vec!["mail.example.com".to_string(), "*.example.net".to_string()];
        assert!(matches_any(&patterns, "x.example.net"));
        assert!(matches_any(&patterns, "mail.example.com"));
        assert!(!matches_any(&patterns, "example.net"));
        assert!(!matches_any(&[], "mail.example.com"));
    }
}
