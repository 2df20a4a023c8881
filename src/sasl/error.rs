//! What can go wrong in SASL authentication: mechanism choice, the mechanisms themselves, and
//! the AUTH exchange that carries them.

use super::MechanismName;

/// A SASL failure. Messages are lowercase and never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// A preference list named a mechanism this client does not implement.
    #[error("unknown sasl mechanism {0:?}")]
    UnknownMechanism(String),
    /// No mechanism is both offered by the server and allowed by us.
    #[error(
        "no mechanism in common: server offers {}, we allow {}",
        list(.offered),
        list(.allowed)
    )]
    NoMechanism {
        /// What the server announced in its AUTH extension.
        offered: Vec<String>,
        /// What the credentials, the preference list and the TLS state allow.
        allowed: Vec<String>,
    },
    /// The only mechanisms in common would send the secret in cleartext without TLS.
    #[error("refusing {0} without tls: it would send the secret in cleartext")]
    CleartextWithoutTls(MechanismName),
    /// The credentials do not fit the mechanism (e.g. a password for OAUTHBEARER).
    #[error("{mechanism} needs {needs}")]
    CredentialMismatch {
        /// The mechanism.
        mechanism: MechanismName,
        /// What it needs: "a password", "a token" or "external credentials".
        needs: &'static str,
    },
    /// A -PLUS mechanism without channel binding data (needs TLS 1.3, RFC 9266).
    #[error("no channel binding data available: scram -plus needs tls 1.3 and its exporter")]
    ChannelBindingUnavailable,
    /// The injected SCRAM client nonce is not usable (RFC 5802 §5.1: printable, no comma).
    #[error("scram client nonce must be non-empty printable ascii without commas")]
    InvalidNonce,
    /// The server sent a challenge the mechanism does not expect.
    #[error("unexpected server challenge for {0}")]
    UnexpectedChallenge(&'static str),
    /// A challenge does not have the mechanism's syntax.
    #[error("malformed server challenge: {0}")]
    BadChallenge(&'static str),
    /// RFC 5802 §5.1: "m=" in server-first announces mandatory extensions we do not know.
    #[error("server requires scram extensions we do not support")]
    ExtensionsNotSupported,
    /// RFC 5802 §5.1: the server nonce must start with the client nonce.
    #[error("server dropped our nonce")]
    NonceMismatch,
    /// The SCRAM iteration count is outside what we accept (minimum 2048, RFC 7677 §4
    /// recommends at least 4096; a maximum guards against a server making us spin).
    #[error("unsafe scram iteration count {count}: accepted are {min} to {max}")]
    UnsafeIterations {
        /// What the server asked for.
        count: u64,
        /// The minimum accepted.
        min: u32,
        /// The maximum accepted.
        max: u32,
    },
    /// RFC 5802 §7: "e=" in server-final.
    #[error("error from server: {0}")]
    ServerError(String),
    /// RFC 5802 §3: the server signature does not prove the server knows the password.
    #[error("incorrect server signature")]
    BadServerSignature,
    /// The server refused: a 4xx or 5xx reply (its code and text are in the error).
    #[error("server rejected authentication")]
    Rejected,
    /// A reply that is neither 334, 235, 4xx nor 5xx.
    #[error("unexpected reply during authentication, expected 334 continue or 235 success")]
    UnexpectedReply,
    /// 235 before the client sent its last message (e.g. SCRAM without server-final, which
    /// would skip the server's proof).
    #[error("server completed authentication earlier than client expected")]
    EarlySuccess,
    /// A 334 continuation of more than one line.
    #[error("server sent a multiline continuation")]
    MultilineChallenge,
    /// RFC 4954 §4: the 334 text is base64; it was not.
    #[error("malformed base64 data in authentication continuation")]
    MalformedBase64,
    /// The server kept sending 334 continuations.
    #[error("more than {max} authentication round trips")]
    TooManyRoundTrips {
        /// The limit.
        max: u32,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

impl SaslError {
    /// True for configuration problems that no retry fixes: no usable mechanism, wrong
    /// credentials type, missing channel binding, a bad nonce. A refusal by the server is
    /// judged by its reply code instead (see [`crate::error::Error::is_permanent`]).
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            Self::UnknownMechanism(_)
                | Self::NoMechanism { .. }
                | Self::CleartextWithoutTls(_)
                | Self::CredentialMismatch { .. }
                | Self::ChannelBindingUnavailable
                | Self::InvalidNonce
        )
    }
}
