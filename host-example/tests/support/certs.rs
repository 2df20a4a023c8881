//! Test certificates from `tests/peers/gen-cert.sh`: a self-signed P-256 certificate for
//! `mx.example.test` (also valid for localhost, 127.0.0.1, ::1).

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
