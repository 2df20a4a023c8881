//! The TLS settings of one session and the rustls configuration built from them: the
//! `rustls-rustcrypto` provider (no ring, no aws-lc), TLS 1.2 minimum (RFC 8996, RFC 8997),
//! SNI with the remote host name (RFC 6066 §3), a client certificate when given, no session
//! resumption, and the verifier of [`super::verifier`]. What does not depend on the connection
//! is built once per policy ([`super::shared`]).

use std::fmt;
use std::sync::Arc;

use rustls::ClientConnection;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use super::tlsa::Tlsa;
use super::verifier::{SmtpVerifier, VerifierConfig};

/// How a session does TLS and records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The server's name, ASCII (A-labels): SNI, the PKIX name, the first DANE-TA name and
    /// the TLS reports' "receiving-mx-hostname". Empty: no SNI, and PKIX fails (see
    /// [`super::pkix`]).
    pub remote_hostname: String,
    /// PKIX must pass (RFC 5280, RFC 6125; MTA-STS "enforce", submission), unless a DANE-EE
    /// or DANE-TA record verified the server (RFC 7672 §3.1). Not enforced with opportunistic
    /// TLS (RFC 7435).
    pub verify_pkix: bool,
    /// DANE records (RFC 7672 §3): when present the chain must match one. Present but empty:
    /// DANE is required and nothing can match. Not enforced with opportunistic TLS.
    pub dane_records: Option<Vec<Tlsa>>,
    /// Further names a DANE-TA certificate may carry (RFC 7672 §3.2.2), ASCII.
    pub dane_more_hostnames: Vec<String>,
    /// "TLS-Required: No" (RFC 8689 §5): failures are recorded, the session goes on.
    pub ignore_verify_errors: bool,
    /// Roots trusted for PKIX besides the compiled-in Mozilla set, DER.
    pub extra_roots: Vec<Vec<u8>>,
    /// A certificate to authenticate with (RFC 8446 §4.4.2).
    pub client_certificate: Option<ClientCertificate>,
    /// The wall-clock time when the session was created, for certificate validity; the
    /// session adds the time passed since (the core reads no clock).
    pub wall_clock: UnixTime,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            remote_hostname: String::new(),
            verify_pkix: false,
            dane_records: None,
            dane_more_hostnames: Vec::new(),
            ignore_verify_errors: false,
            extra_roots: Vec::new(),
            client_certificate: None,
            wall_clock: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
        }
    }
}

/// A client certificate chain (leaf first) and its private key, DER.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The chain, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The private key: PKCS#8, SEC1 or PKCS#1.
    pub key: Vec<u8>,
}

impl ClientCertificate {
    /// Reads a chain and a key from PEM.
    ///
    /// # Errors
    /// A message when the chain has no certificate or the key is missing or unreadable.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, String> {
        use rustls::pki_types::pem::PemObject;
        let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("client certificate: {e}"))?;
        if chain.is_empty() {
            return Err("client certificate: no certificate in pem".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
            .map_err(|e| format!("client key: {e}"))?;
        Ok(ClientCertificate {
            chain,
            key: key.secret_der().to_vec(),
        })
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Checks what can be checked before connecting: the extra roots parse.
    ///
    /// # Errors
    /// A message naming the bad input.
    pub fn validate(&self) -> Result<(), String> {
        for (i, root) in self.extra_roots.iter().enumerate() {
            webpki::anchor_from_trusted_cert(&CertificateDer::from(root.as_slice()))
                .map_err(|e| format!("extra root {i}: {e}"))?;
        }
        Ok(())
    }

    /// A client connection with its own verifier, at wall-clock time `now`; a failed
    /// verification fails the handshake unless `ignore_verify_errors`.
    pub(crate) fn connect(
        &self,
        now: UnixTime,
    ) -> Result<(ClientConnection, Arc<SmtpVerifier>), rustls::Error> {
        self.connect_with(now, self.ignore_verify_errors)
    }

    /// A client connection for opportunistic TLS: RFC 7435 §1 "the default is at least
    /// unauthenticated encryption", Postfix's "may". DANE and PKIX are evaluated and their
    /// failures recorded (the TLS state, the TLS reports) but never fail the handshake.
    pub(crate) fn connect_unauthenticated(
        &self,
        now: UnixTime,
    ) -> Result<(ClientConnection, Arc<SmtpVerifier>), rustls::Error> {
        self.connect_with(now, true)
    }

    fn connect_with(
        &self,
        now: UnixTime,
        ignore_errors: bool,
    ) -> Result<(ClientConnection, Arc<SmtpVerifier>), rustls::Error> {
        let shared = super::shared::shared(&self.extra_roots, self.client_certificate.as_ref())?;
        let name = ServerName::try_from(self.remote_hostname.as_str())
            .ok()
            .map(|n| n.to_owned());
        let dane_names = name
            .iter()
            .cloned()
            .chain(
                self.dane_more_hostnames
                    .iter()
                    .filter_map(|n| ServerName::try_from(n.as_str()).ok().map(|n| n.to_owned())),
            )
            .collect();
        let verifier = SmtpVerifier::new(VerifierConfig {
            name: name.clone(),
            dane_names,
            dane_records: self.dane_records.clone(),
            verify_pkix: self.verify_pkix,
            ignore_errors,
            roots: Arc::clone(&shared.roots),
            algorithms: shared
                .config
                .crypto_provider()
                .signature_verification_algorithms,
            now,
        });
        let mut config = shared.config.clone();
        config
            .dangerous()
            .set_certificate_verifier(verifier.clone());
        // RFC 6066 §3: SNI carries a host name; none without one.
        config.enable_sni = name.is_some();
        let server_name = name.unwrap_or(ServerName::IpAddress(
            std::net::Ipv4Addr::UNSPECIFIED.into(),
        ));
        let conn = ClientConnection::new(Arc::new(config), server_name)?;
        Ok((conn, verifier))
    }
}
