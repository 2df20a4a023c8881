//! Test certificates from `tests/peers/gen-cert.sh`: a self-signed P-256 certificate for
//! `mx.example.test` (also valid for localhost, 127.0.0.1, ::1); or from
//! `tests/peers/gen-ca-cert.sh`: a leaf signed by a test CA, for DANE-TA.

use super::{TempDir, run_peer_script};
use std::path::{Path, PathBuf};

/// A certificate directory (`<cn>.crt`, `<cn>.key`, `<cn>.tlsa311`), removed on drop.
#[derive(Debug)]
pub struct Certs {
    dir: TempDir,
    cn: String,
}

impl Certs {
    /// A new certificate for `mx.example.test`.
    pub fn generate() -> Certs {
        Self::generate_for("mx.example.test")
    }

    /// A new certificate for `cn`.
    pub fn generate_for(cn: &str) -> Certs {
        let dir = TempDir::new("certs");
        let d = dir.path().to_string_lossy().into_owned();
        run_peer_script("gen-cert.sh", &[&d, cn], &[]);
        Certs {
            dir,
            cn: cn.to_string(),
        }
    }

    /// A CA and a leaf for `cn` it signs (`tests/peers/gen-ca-cert.sh`): [`Certs::cert`] is
    /// the chain, leaf first, for the server; [`Certs::ca_tlsa_record`] anchors it.
    pub fn generate_with_ca(cn: &str) -> Certs {
        let dir = TempDir::new("certs");
        let d = dir.path().to_string_lossy().into_owned();
        run_peer_script("gen-ca-cert.sh", &[&d, cn], &[]);
        Certs {
            dir,
            cn: cn.to_string(),
        }
    }

    /// `"2 <selector> <matching-type> <hex>"` over the CA of [`Certs::generate_with_ca`]:
    /// (1, 1) SHA-256 of its SPKI, (0, 0) the whole certificate, (0, 2) SHA-512 of it.
    pub fn ca_tlsa_record(&self, selector: u8, matching_type: u8) -> String {
        let file = format!("ca.tlsa2{selector}{matching_type}");
        let data = std::fs::read_to_string(self.dir.path().join(&file))
            .unwrap_or_else(|e| panic!("reading {file}: {e}"));
        format!("2 {selector} {matching_type} {}", data.trim())
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join(format!("{}.crt", self.cn))
    }

    pub fn key(&self) -> PathBuf {
        self.dir.path().join(format!("{}.key", self.cn))
    }

    /// The certificate in PEM.
    pub fn cert_pem(&self) -> String {
        std::fs::read_to_string(self.cert()).expect("reading the certificate")
    }

    /// Hex SHA-256 of the SubjectPublicKeyInfo: the data of a `3 1 1` TLSA record.
    pub fn tlsa311(&self) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{}.tlsa311", self.cn)))
            .expect("reading the tlsa311 file")
            .trim()
            .to_string()
    }

    /// `"3 1 1 <hex>"`, as `host-example send --tlsa` takes it.
    pub fn tlsa_record(&self) -> String {
        format!("3 1 1 {}", self.tlsa311())
    }
}
