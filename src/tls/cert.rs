//! The few fields of an X.509 certificate (RFC 5280 §4.1) that DANE and PKIX need beyond what
//! webpki exposes: the SubjectPublicKeyInfo, the issuer name and the validity period. Version 1
//! certificates parse too.

use std::time::Duration;

use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

/// A parsed certificate.
pub(crate) struct CertInfo {
    cert: Certificate,
}

impl CertInfo {
    /// Parses DER; `None` when it is not a certificate.
    pub(crate) fn parse(der: &[u8]) -> Option<Self> {
        Certificate::from_der(der).ok().map(|cert| Self { cert })
    }

    /// RFC 5280 §4.1.2.7: the DER SubjectPublicKeyInfo (DANE selector 1, RFC 6698 §2.1.2).
    pub(crate) fn spki(&self) -> Option<Vec<u8>> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .ok()
    }

    /// RFC 5280 §4.1.2.4: the issuer Name, DER without its outer SEQUENCE header (the form of
    /// a webpki trust anchor's subject).
    pub(crate) fn issuer_contents(&self) -> Option<Vec<u8>> {
        let der = self.cert.tbs_certificate.issuer.to_der().ok()?;
        contents(&der).map(<[u8]>::to_vec)
    }

    /// RFC 5280 §4.1.2.5: notBefore and notAfter, as durations since the Unix epoch.
    pub(crate) fn validity(&self) -> (Duration, Duration) {
        let validity = &self.cert.tbs_certificate.validity;
        (
            validity.not_before.to_unix_duration(),
            validity.not_after.to_unix_duration(),
        )
    }
}

/// The contents of one DER TLV (X.690 §8.1), without tag and length.
pub(crate) fn contents(tlv: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = tlv.get(1..)?.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = rest
            .get(..n)?
            .iter()
            .fold(0usize, |len, &b| (len << 8) | usize::from(b));
        (len, rest.get(n..)?)
    };
    (rest.len() == len).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_contents() {
        assert_eq!(contents(&[0x30, 0x02, 1, 2]), Some(&[1u8, 2][..]));
        assert_eq!(contents(&[0x30, 0x81, 0x01, 7]), Some(&[7u8][..]));
        assert_eq!(contents(&[0x30, 0x03, 1, 2]), None);
        assert_eq!(contents(&[0x30]), None);
        assert_eq!(contents(&[0x30, 0x80]), None);
        assert!(CertInfo::parse(b"not a certificate").is_none());
    }
}
