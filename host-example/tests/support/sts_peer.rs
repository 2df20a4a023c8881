//! The MTA-STS policies of the DNS peers' unsigned zone ([`super::dns`]), served on
//! 127.0.0.1:443 once per test binary ([`super::policy_server`]): `sts.insecure.test`
//! (enforce, MX `mx.example.test` listed; TXT id [`STS_ID`]) and `stsbad.insecure.test`
//! (enforce, only `mx.elsewhere.test`). Port 443 needs root: the tests belong to the peer
//! group `netns`. Clients trust the server's test root as DER ([`StsPeer::root_der`]) or as
//! a PEM file for `--ca` ([`StsPeer::root_pem`], in the state directory).

use super::TempDir;
use super::policy_server::{self, Pki, PolicyHost};
use base64::Engine;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// The id of `sts.insecure.test`'s `_mta-sts` TXT record (`tests/peers/dns-peer.sh`).
pub const STS_ID: &str = "20261128";

/// The policy server of this test binary.
pub struct StsPeer {
    root_der: Vec<u8>,
    root_pem: PathBuf,
    requests: Arc<Mutex<HashMap<String, usize>>>,
    counting: Mutex<()>,
    _dir: TempDir,
}

/// The policy server, started on first use (the caller checks `peers_enabled("netns")`).
pub fn sts_peer() -> &'static StsPeer {
    static PEER: OnceLock<StsPeer> = OnceLock::new();
    PEER.get_or_init(|| {
        let pki = Pki::new();
        let host = |domain: &str, mx: &str| PolicyHost {
            name: format!("mta-sts.{domain}"),
            certificate_name: format!("mta-sts.{domain}"),
            response: policy_server::ok(&format!(
                "version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 86400\r\n"
            )),
        };
        let requests = policy_server::serve(
            &pki,
            vec![
                host("sts.insecure.test", "mx.example.test"),
                host("stsbad.insecure.test", "mx.elsewhere.test"),
            ],
        );
        let dir = TempDir::new("sts-peer");
        let root_pem = dir.path().join("root.pem");
        std::fs::write(&root_pem, pem(&pki.root_der())).expect("the root's PEM file");
        StsPeer {
            root_der: pki.root_der(),
            root_pem,
            requests,
            counting: Mutex::new(()),
            _dir: dir,
        }
    })
}

impl StsPeer {
    /// The test root, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The test root as a PEM file.
    pub fn root_pem(&self) -> &Path {
        &self.root_pem
    }

    /// How often the policy of `domain` was fetched so far.
    pub fn fetches(&self, domain: &str) -> usize {
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        requests
            .get(&format!("mta-sts.{domain}"))
            .copied()
            .unwrap_or(0)
    }

    /// Held by a test while it fetches policies, so that the counts another test reads
    /// before and after its own runs are its own.
    pub fn counting(&self) -> MutexGuard<'_, ()> {
        self.counting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// PEM of one DER certificate.
fn pem(der: &[u8]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}
