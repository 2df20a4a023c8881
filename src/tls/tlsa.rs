//! TLSA records (RFC 6698 §2.1) as DANE verification takes them.

use std::fmt;

/// One TLSA record: RFC 6698 §2.1 "Certificate Usage", "Selector", "Matching Type" and
/// "Certificate Association Data".
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// RFC 6698 §2.1.1: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218 acronyms).
    pub usage: u8,
    /// RFC 6698 §2.1.2: 0 the full certificate, 1 the SubjectPublicKeyInfo.
    pub selector: u8,
    /// RFC 6698 §2.1.3: 0 exact match, 1 SHA-256, 2 SHA-512.
    pub matching_type: u8,
    /// RFC 6698 §2.1.4: the certificate association data.
    pub data: Vec<u8>,
}

/// RFC 6698 §2.1.1 certificate usage DANE-TA (RFC 7218 §2.1).
pub const DANE_TA: u8 = 2;
/// RFC 6698 §2.1.1 certificate usage DANE-EE (RFC 7218 §2.1).
pub const DANE_EE: u8 = 3;
/// RFC 6698 §2.1.2 selector "Cert".
pub const SELECTOR_CERT: u8 = 0;
/// RFC 6698 §2.1.2 selector "SPKI".
pub const SELECTOR_SPKI: u8 = 1;
/// RFC 6698 §2.1.3 matching type "Full".
pub const MATCH_FULL: u8 = 0;
/// RFC 6698 §2.1.3 matching type "SHA2-256".
pub const MATCH_SHA256: u8 = 1;
/// RFC 6698 §2.1.3 matching type "SHA2-512".
pub const MATCH_SHA512: u8 = 2;

impl Tlsa {
    /// Parses the presentation form of RFC 6698 §2.2: "usage selector matching-type hex",
    /// e.g. `3 1 1 0d6f...` (spaces inside the hex are allowed, as in zone files).
    ///
    /// # Errors
    /// A message saying which field is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut fields = text.split_ascii_whitespace();
        let mut number = |what: &str| -> Result<u8, String> {
            fields
                .next()
                .ok_or_else(|| format!("missing {what}"))?
                .parse()
                .map_err(|_| format!("invalid {what}"))
        };
        let usage = number("usage")?;
        let selector = number("selector")?;
        let matching_type = number("matching type")?;
        let hex: String = fields.collect();
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return Err("invalid association data".into());
        }
        let data = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("x"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| "invalid association data".to_string())?;
        Ok(Tlsa {
            usage,
            selector,
            matching_type,
            data,
        })
    }
}

/// The record as mox and TLS reports write it (RFC 8460 §4.4 "policy-string" for "tlsa"):
/// `"%d %d %d %x"`, lower-case hex.
impl fmt::Display for Tlsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} ",
            self.usage, self.selector, self.matching_type
        )?;
        self.data.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Tlsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tlsa({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let record = Tlsa::parse("3 1 1 0D6F a0").unwrap();
        assert_eq!(record.usage, DANE_EE);
        assert_eq!(record.selector, SELECTOR_SPKI);
        assert_eq!(record.matching_type, MATCH_SHA256);
        assert_eq!(record.data, [0x0d, 0x6f, 0xa0]);
        assert_eq!(record.to_string(), "3 1 1 0d6fa0");
        for bad in [
            "",
            "3 1",
            "3 1 1",
            "3 1 1 abc",
            "3 1 1 zz",
            "300 1 1 00",
            "3 x 1 00",
        ] {
            assert!(Tlsa::parse(bad).is_err(), "{bad:?}");
        }
    }
}
