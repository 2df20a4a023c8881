//! Certificates for tests, generated at test time with rcgen: a CA, leaves signed by it,
//! self-signed leaves, ECDSA P-256 and RSA keys (the RSA key is a fixed PEM because rcgen
//! generates RSA keys only with aws-lc), and a fixed "now" inside their validity.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

/// 2026-01-01T00:00:00Z: inside every validity period here except the expired ones.
pub(crate) fn now() -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_767_225_600))
}

/// The key algorithm of a generated certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Ecdsa,
    Rsa,
}

fn key(alg: Alg) -> KeyPair {
    match alg {
        Alg::Ecdsa => KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("ecdsa key"),
        Alg::Rsa => KeyPair::from_pkcs8_pem_and_sign_algo(
            include_str!("testdata/rsa2048.pem"),
            &PKCS_RSA_SHA256,
        )
        .expect("rsa key"),
    }
}

/// A certificate with its private key.
pub(crate) struct Cert {
    pub der: CertificateDer<'static>,
    pub key: KeyPair,
}

impl Cert {
    pub(crate) fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::try_from(self.key.serialize_der()).expect("pkcs8")
    }

    /// The SubjectPublicKeyInfo, DER.
    pub(crate) fn spki(&self) -> Vec<u8> {
        use rcgen::PublicKeyData;
        self.key.subject_public_key_info()
    }
}

/// A certificate authority.
pub(crate) struct Ca {
    pub cert: Cert,
    issuer: Issuer<'static, KeyPair>,
}

fn params(names: &[&str], cn: &str, expired: bool) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("names");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = if expired {
        date_time_ymd(2021, 1, 1)
    } else {
        date_time_ymd(2040, 1, 1)
    };
    params
}

impl Ca {
    pub(crate) fn new(cn: &str) -> Self {
        Self::with_names(cn, &[])
    }

    /// A CA whose certificate also carries `names` (as `openssl req -x509` makes them).
    pub(crate) fn with_names(cn: &str, names: &[&str]) -> Self {
        let mut params = params(names, cn, false);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = key(Alg::Ecdsa);
        let der = params.self_signed(&key).expect("ca").der().clone();
        let cert = Cert {
            der,
            key: KeyPair::try_from(key.serialize_der()).expect("key copy"),
        };
        Ca {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` signed by this CA.
    pub(crate) fn leaf(&self, names: &[&str], alg: Alg, expired: bool) -> Cert {
        let key = key(alg);
        let der = params(names, names.first().copied().unwrap_or("leaf"), expired)
            .signed_by(&key, &self.issuer)
            .expect("leaf")
            .der()
            .clone();
        Cert { der, key }
    }
}

/// A self-signed leaf (not a CA) for `names`.
pub(crate) fn self_signed(names: &[&str], alg: Alg, expired: bool) -> Cert {
    let key = key(alg);
    let der = params(names, names.first().copied().unwrap_or("leaf"), expired)
        .self_signed(&key)
        .expect("self-signed")
        .der()
        .clone();
    Cert { der, key }
}

/// A self-signed X.509 version 1 certificate (no extensions, so no names), which webpki
/// refuses to parse as an end entity: rcgen's v3 certificate, rewritten and signed again.
pub(crate) fn v1_self_signed(alg: Alg) -> Cert {
    use rcgen::SigningKey;
    use x509_cert::Certificate;
    use x509_cert::certificate::Version;
    use x509_cert::der::asn1::BitString;
    use x509_cert::der::{Decode, Encode};
    let v3 = self_signed(&["v1.example"], alg, false);
    let mut cert = Certificate::from_der(v3.der.as_ref()).expect("parse");
    cert.tbs_certificate.version = Version::V1;
    cert.tbs_certificate.extensions = None;
    let tbs = cert.tbs_certificate.to_der().expect("tbs");
    let signature = v3.key.sign(&tbs).expect("sign");
    cert.signature = BitString::from_bytes(&signature).expect("bits");
    Cert {
        der: CertificateDer::from(cert.to_der().expect("der")),
        key: v3.key,
    }
}
