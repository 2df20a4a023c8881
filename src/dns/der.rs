//! Just enough DER (ITU-T X.690 §8, §10) to tell whether TLSA data with matching type 0 is
//! shaped like a certificate or a SubjectPublicKeyInfo (RFC 6698 §2.1.3). It checks the
//! outer structure only; the certificate verifier parses the data fully when it uses it.

/// Universal tag of SEQUENCE, constructed (X.690 §8.9).
const SEQUENCE: u8 = 0x30;
/// Universal tag of BIT STRING, primitive (X.690 §8.6).
const BIT_STRING: u8 = 0x03;

/// Splits one TLV off `data`: `(tag, contents, rest)`.
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, data) = data.split_first()?;
    let (&first, mut data) = data.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        // X.690 §8.1.3.5: long form, 1 to 4 length octets (no indefinite form in DER).
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || data.len() < count {
            return None;
        }
        let (octets, rest) = data.split_at(count);
        data = rest;
        let len = octets
            .iter()
            .fold(0usize, |n, &b| (n << 8) | usize::from(b));
        // X.690 §10.1: the shortest form.
        if len < 0x80 || octets.first() == Some(&0) {
            return None;
        }
        len
    };
    if data.len() < len {
        return None;
    }
    let (contents, rest) = data.split_at(len);
    Some((tag, contents, rest))
}

/// `data` is one SEQUENCE, nothing after it, whose elements have exactly `tags`.
fn sequence_of(data: &[u8], tags: &[u8]) -> bool {
    let Some((SEQUENCE, mut contents, [])) = tlv(data) else {
        return false;
    };
    for &expected in tags {
        match tlv(contents) {
            Some((tag, _, rest)) if tag == expected => contents = rest,
            _ => return false,
        }
    }
    contents.is_empty()
}

/// RFC 5280 §4.1: `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
/// signatureValue BIT STRING }`.
#[must_use]
pub fn is_certificate(data: &[u8]) -> bool {
    sequence_of(data, &[SEQUENCE, SEQUENCE, BIT_STRING])
}

/// RFC 5280 §4.1: `SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING }`.
#[must_use]
pub fn is_public_key(data: &[u8]) -> bool {
    sequence_of(data, &[SEQUENCE, BIT_STRING])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 SubjectPublicKeyInfo (RFC 8410 §4).
    const ED25519_SPKI: [u8; 44] = [
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, 0x19, 0xbf, 0x44,
        0x09, 0x69, 0x84, 0xcd, 0xfe, 0x85, 0x41, 0xba, 0xc1, 0x67, 0xdc, 0x3b, 0x96, 0xc8, 0x50,
        0x86, 0xaa, 0x30, 0xb6, 0xb6, 0xcb, 0x0c, 0x5c, 0x38, 0xad, 0x70, 0x31, 0x66, 0xe1,
    ];

    #[test]
    fn public_key_shape() {
        assert!(is_public_key(&ED25519_SPKI));
        assert!(!is_certificate(&ED25519_SPKI));
        assert!(!is_public_key(&ED25519_SPKI[..43]));
        let mut trailing = ED25519_SPKI.to_vec();
        trailing.push(0);
        assert!(!is_public_key(&trailing));
        assert!(!is_public_key(&[]));
        assert!(!is_public_key(&[0u8; 32]));
    }

    #[test]
    fn certificate_shape_with_long_lengths() {
        // SEQUENCE { SEQUENCE (300 bytes), SEQUENCE {}, BIT STRING {0} }
        let mut tbs = vec![0x30, 0x82, 0x01, 0x2c];
        tbs.extend([0u8; 300]);
        let mut inner = tbs.clone();
        inner.extend([0x30, 0x00, 0x03, 0x01, 0x00]);
        let len = u16::try_from(inner.len()).expect("small");
        let mut cert = vec![0x30, 0x82];
        cert.extend(len.to_be_bytes());
        cert.extend(&inner);
        assert!(is_certificate(&cert));
        assert!(!is_public_key(&cert));
        // A non-minimal length is not DER.
        let mut loose = vec![0x30, 0x82, 0x00, 0x05];
        loose.extend([0x30, 0x00, 0x03, 0x01, 0x00]);
        assert!(!is_public_key(&loose));
        // Lengths past the data.
        assert!(!is_certificate(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]));
        assert!(!is_certificate(&[0x30, 0x85, 1, 1, 1, 1, 1]));
    }
}
