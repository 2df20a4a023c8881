//! What `send` and `deliver` ask a host to do, in the host's own terms: no binding type, so
//! every host converts these the same way (`contract_conversions!`). `M` is the host's
//! message (a spool file, a `spool.message` handle).

use std::fmt;
use std::time::Duration;

/// One submission to one server.
#[derive(Debug, Clone)]
pub struct SendRequest<M> {
    /// Host name or IP address of the server.
    pub server: String,
    pub port: u16,
    pub tls_mode: TlsMode,
    pub verify_pkix: bool,
    /// The EHLO name.
    pub ehlo: String,
    pub from: String,
    pub to: Vec<String>,
    /// The message; its size goes into SIZE (RFC 1870).
    pub message: M,
    pub require_8bitmime: bool,
    pub require_smtputf8: bool,
    pub require_tls: bool,
    /// Convert bare CR and LF to CRLF instead of refusing the message.
    pub normalize_line_endings: bool,
    /// Replaces every per-phase deadline when set.
    pub timeout: Option<Duration>,
    /// Roots trusted for PKIX besides the compiled-in Mozilla set, DER (`--ca`).
    pub extra_root_cas: Vec<Vec<u8>>,
    /// DANE records the server must match (`--tlsa`); none: no DANE.
    pub dane_records: Option<Vec<Tlsa>>,
    /// Authenticate with these credentials (RFC 4954); none: no AUTH.
    pub auth: Option<SendAuth>,
    /// Present this certificate to the server (`--client-cert`, `--client-key`).
    pub client_certificate: Option<ClientCert>,
}

/// What to deliver to the MX hosts of the recipients' domains, or through a relay.
#[derive(Debug, Clone)]
pub struct DeliverRequest<M> {
    pub from: String,
    pub to: Vec<String>,
    /// The message; its size goes into SIZE (RFC 1870).
    pub message: M,
    /// The SMTP port of the MX hosts: 25 unless testing.
    pub port: u16,
    pub ehlo: String,
    /// The lowest TLS level accepted from MX hosts.
    pub tls_level: TlsLevel,
    /// Dial MX hosts at loopback and private addresses too (tests, labs); the component
    /// never dials unspecified, multicast or broadcast addresses.
    pub allow_private_addresses: bool,
    /// Deliver through this server instead of the MX hosts: `port`, `tls_level` and
    /// `allow_private_addresses` do not apply then.
    pub relay: Option<Relay>,
    /// "TLS-Required: No" (RFC 8689 §5).
    pub tls_required_no: bool,
    /// Roots trusted for PKIX besides the Mozilla set, DER.
    pub extra_roots: Vec<Vec<u8>>,
    /// Replaces every per-phase deadline, and the per-address connect deadline.
    pub timeout: Option<Duration>,
    /// The deadline of each recipient domain's whole attempt (lookups, every host).
    pub deadline: Option<Duration>,
    /// Present this certificate to the servers (TLS client authentication).
    pub client_certificate: Option<ClientCert>,
    /// Which attempt of a queue this is, from 1; 0 when not counted (the command line).
    pub attempt_number: u32,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub require_tls: bool,
}

/// A relay (smarthost) and how to talk to it, as `send` talks to its server.
#[derive(Debug, Clone)]
pub struct Relay {
    /// Host name or IP address.
    pub server: String,
    pub port: u16,
    pub tls_mode: TlsMode,
    pub verify_pkix: bool,
    /// DANE records the relay must match; DANE-TA and DANE-EE replace PKIX.
    pub dane_records: Option<Vec<Tlsa>>,
    pub auth: Option<SendAuth>,
}

/// How TLS is used with a server the user names (the contract's `tls-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (RFC 8314 §3.3).
    Immediate,
    /// STARTTLS, required (RFC 3207).
    RequiredStarttls,
    /// STARTTLS when offered; verification failures do not stop the session.
    Opportunistic,
    /// No TLS.
    Skip,
}

/// The lowest TLS level accepted from MX hosts (the contract's `tls-level`, Postfix's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsLevel {
    May,
    Encrypt,
    Dane,
    DaneOnly,
    Verify,
    Secure,
}

/// A TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    pub usage: u8,
    pub selector: u8,
    pub matching_type: u8,
    pub data: Vec<u8>,
}

impl fmt::Display for Tlsa {
    /// Presentation form, "USAGE SELECTOR MATCHING-TYPE HEX" (RFC 6698 §2.2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {}",
            self.usage,
            self.selector,
            self.matching_type,
            hex::encode(&self.data)
        )
    }
}

/// A SASL mechanism the component implements (the contract's `sasl-mechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    ScramSha256Plus,
    ScramSha256,
    ScramSha1Plus,
    ScramSha1,
    CramMd5,
    Plain,
    Login,
    Xoauth2,
    Oauthbearer,
    External,
}

impl SaslMechanism {
    /// A mechanism by its registered name (RFC 4422 §3.1), any case; `None` for one the
    /// component does not implement.
    pub fn from_name(name: &str) -> Option<SaslMechanism> {
        let mechanism = match name.to_ascii_uppercase().as_str() {
            "SCRAM-SHA-256-PLUS" => SaslMechanism::ScramSha256Plus,
            "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
            "SCRAM-SHA-1-PLUS" => SaslMechanism::ScramSha1Plus,
            "SCRAM-SHA-1" => SaslMechanism::ScramSha1,
            "CRAM-MD5" => SaslMechanism::CramMd5,
            "PLAIN" => SaslMechanism::Plain,
            "LOGIN" => SaslMechanism::Login,
            "XOAUTH2" => SaslMechanism::Xoauth2,
            "OAUTHBEARER" => SaslMechanism::Oauthbearer,
            "EXTERNAL" => SaslMechanism::External,
            _ => return None,
        };
        Some(mechanism)
    }
}

/// A client certificate chain and its key, PEM (TLS client authentication, RFC 8446
/// §4.4.2). `Debug` never shows the key.
#[derive(Clone)]
pub struct ClientCert {
    pub chain_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("chain_pem", &self.chain_pem)
            .finish_non_exhaustive()
    }
}

/// Credentials for AUTH (`--user`, `--password-file` or `SMTP_PASSWORD`, `--auth`). `Debug`
/// never shows the password.
#[derive(Clone)]
pub struct SendAuth {
    pub username: String,
    /// The password (or OAuth 2.0 token for OAUTHBEARER and XOAUTH2).
    pub secret: String,
    /// Mechanisms, most preferred first; empty: the strongest the server offers.
    pub mechanisms: Vec<SaslMechanism>,
}

impl fmt::Debug for SendAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendAuth")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .field("mechanisms", &self.mechanisms)
            .finish()
    }
}

/// The domain of an address: after the last "@"; the whole string when there is none (the
/// component then reports the address as invalid).
pub fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map_or(address, |(_, domain)| domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_mechanism_names() {
        assert_eq!(
            SaslMechanism::from_name("scram-sha-256-plus"),
            Some(SaslMechanism::ScramSha256Plus)
        );
        assert_eq!(
            SaslMechanism::from_name("PLAIN"),
            Some(SaslMechanism::Plain)
        );
        assert_eq!(SaslMechanism::from_name("GSSAPI"), None);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let auth = SendAuth {
            username: "u".into(),
            secret: "hunter2".into(),
            mechanisms: Vec::new(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
        let cert = ClientCert {
            chain_pem: "chain".into(),
            key_pem: "KEY".into(),
        };
        assert!(!format!("{cert:?}").contains("KEY"));
    }

    #[test]
    fn tlsa_presentation() {
        let tlsa = Tlsa {
            usage: 3,
            selector: 1,
            matching_type: 1,
            data: vec![0x0a, 0xff],
        };
        assert_eq!(tlsa.to_string(), "3 1 1 0aff");
    }
}
